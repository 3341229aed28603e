// The AWS mode of HA: when a VRRP instance becomes master, its addresses move to this
// appliance through the EC2 API, since a VPC delivers an address to the interface EC2 has it
// on and ignores gratuitous ARP. take_over() runs on the event loop, without blocking:
//   1. a metadata session token, then the region (unless configured) and the instance id
//      (once per process), the role and its credentials (kept until 5 minutes before they
//      expire, so most take-overs go straight to 2);
//   2. the instance's EC2 calls in order: its secondary private addresses, its Elastic IPs,
//      its routes (control/ha/aws_calls.h, ec2_calls).
// Each request is tried up to `max_attempts` times while its reply is worth another try
// (aws_calls' judge_*), 250 ms after the first failure, then doubling up to 8 s. An EC2 call
// given up does not stop the calls after it (a deleted route table must not keep the Elastic
// IP away), a metadata step given up ends the take-over (nothing to sign with). Every request's
// result is reported and counted.
// The HA runner (control/ha_instances) is to call take_over(in.name, in.aws->moves,
// in.aws->settings) when an instance with an `aws` mapping becomes master and cancel(in.name)
// when it leaves master, and to log each report as an event.
// Thread safety: the event loop's thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/aws.h"
#include "control/event_loop.h"
#include "control/ha/aws_calls.h"
#include "control/ha/aws_http.h"
#include "control/http_client.h"

namespace sluice::control::ha {

enum class AwsOutcome {
  ok,        // the request did what it was for
  retrying,  // it failed and is tried again after the backoff
  failed,    // given up: at once (a client error) or after max_attempts
};

struct AwsReport {
  std::string instance;
  // "metadata token", "metadata region", "metadata instance-id", "metadata role", "metadata
  // credentials", an EC2 action ("AssignPrivateIpAddresses", "AssociateAddress",
  // "ReplaceRoute"), or "take-over": the last report of a take-over, with its summary.
  std::string call;
  // What it is about: the metadata path, the EC2 call's objects ("eipalloc-... to eni-...
  // 198.18.0.10"); for take-over the instance id and region ("i-... in eu-west-1").
  std::string what;
  uint32_t attempt = 0;  // 1 for the first try; 0 for take-over
  AwsOutcome outcome = AwsOutcome::ok;
  // "ok", "HTTP 503 Unavailable: ... (again in 500 ms)", "HTTP 400 InvalidAllocationID.NotFound:
  // ...", "given up after 5 attempts: HTTP 503"; take-over: "3 calls done", "1 of 3 calls
  // failed", "no credentials: ...".
  std::string result;
};

// Per instance, since sluiced started; for show ha.
struct AwsCounters {
  uint64_t calls = 0;     // requests sent, metadata's included
  uint64_t retries = 0;   // of them, tries after a failed try
  uint64_t failures = 0;  // requests given up
  bool moving = false;    // a take-over is under way
};

struct AwsTiming {
  uint32_t first_backoff_ms = 250;
  uint32_t max_backoff_ms = 8000;
  AwsTimeouts timeouts;
};

class AwsMover {
 public:
  using Report = std::function<void(const AwsReport&)>;

  // `report` may call take_over() and cancel(), but must not destroy the mover.
  AwsMover(EventLoop& loop, Report report, AwsTiming timing = {});
  ~AwsMover();  // requests in flight are abandoned, nothing more is reported
  AwsMover(const AwsMover&) = delete;
  AwsMover& operator=(const AwsMover&) = delete;

  // Moves `moves` to this appliance for `instance`; a take-over of the instance still under
  // way is cancelled first. The first request goes out on the next loop turn: nothing is
  // reported from inside the call.
  void take_over(const std::string& instance, const AwsMoves& moves, const AwsSettings& settings);
  // Stops the instance's take-over: no further request and no further report (a request in
  // flight may still take effect at AWS). Nothing under way: nothing happens.
  void cancel(const std::string& instance);
  // All zero for an instance never taken over.
  AwsCounters counters(const std::string& instance) const;

 private:
  enum class Step { token, region, instance_id, role, credentials, ec2, finished };
  struct Job;

  Step next_step(const Job& job, int64_t now) const;
  bool usable_credentials(const Job& job, int64_t now) const;
  AwsRequest request(const Job& job, int64_t now) const;
  void send(Job& job);
  void on_reply(Job& job, Result<AwsReply> reply);
  // Keeps what a successful step found; the judgement of the reply.
  Judgement take(Job& job, const AwsReply& reply, int64_t now);
  void finish(Job& job, std::vector<AwsReport> reports);
  AwsReport report_of(const Job& job) const;
  uint32_t backoff_ms(uint32_t attempt) const;

  EventLoop& loop_;
  Report report_;
  AwsTiming timing_;
  HttpClient http_;
  std::unordered_map<std::string, std::unique_ptr<Job>> jobs_;
  std::unordered_map<std::string, AwsCounters> counters_;
  // What every take-over shares: this instance's identity and the role's credentials.
  std::string region_;
  std::string instance_id_;
  std::optional<RoleCredentials> credentials_;
};

}  // namespace sluice::control::ha
