// One HTTP exchange of the AWS mode on the event loop: an AwsRequest out through an
// HttpClient, the status and at most kMaxAwsReply bytes of body back, or why no answer came.
// Every exchange has a connect timeout and a total one, so a silent metadata service or
// endpoint holds no call up. HTTP/1.1, TLS verified against the system's CAs, names resolved
// by libcurl's resolver thread (AWS endpoints are names), never a proxy.
// Thread safety: the event loop's thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "common/result.h"
#include "control/event_loop.h"
#include "control/ha/aws_calls.h"
#include "control/http_client.h"

namespace sluice::control::ha {

struct AwsTimeouts {
  uint32_t connect_ms = 2000;
  uint32_t total_ms = 5000;  // the whole exchange, connecting included
};

class AwsExchange final : public HttpTransfer {
 public:
  // The reply, or why none came, in libcurl's words ("Connection timed out after 2001
  // milliseconds", "Failed to connect to 127.0.0.1 port 9 after 0 ms: Couldn't connect to
  // server").
  using Done = std::function<void(Result<AwsReply>)>;

  // Sends `request` at once. `done` runs exactly once, on a later loop turn, unless the
  // exchange is destroyed first; it may destroy the exchange.
  AwsExchange(EventLoop& loop, HttpClient& client, const AwsRequest& request,
              const AwsTimeouts& timeouts, Done done);
  ~AwsExchange();  // a request in flight is abandoned: its `done` never runs
  AwsExchange(const AwsExchange&) = delete;
  AwsExchange& operator=(const AwsExchange&) = delete;

 private:
  void start(const AwsRequest& request, const AwsTimeouts& timeouts);
  void finished(CURLcode code) override;
  // Ends with `result` on the next loop turn.
  void end_soon(Result<AwsReply> result);
  void release();

  HttpClient& client_;
  Done done_;
  Timer ending_;
  std::optional<Result<AwsReply>> result_;
  CURL* easy_ = nullptr;
  curl_slist* headers_ = nullptr;
  char error_[CURL_ERROR_SIZE] = {};
  BoundedBody body_{kMaxAwsReply};
};

}  // namespace sluice::control::ha
