// The AWS HA mode's HTTP exchanges as data: the requests to the instance metadata service
// (IMDSv2: a session token, then region, instance id, role and the role's credentials) and
// the EC2 Query API calls that move an instance's addresses, and what each reply means. No
// network and no clock: control/ha/aws_mover sends them on the event loop and passes the time.
// Replies are hostile input: bodies are bounded (kMaxAwsReply), and no text of theirs goes
// into a URL, a header or a report before its characters are checked.
// EC2 replies are XML: only <return>, <Code> and <Message> are wanted, so a small bounded
// scanner reads them (no XML library, no DTDs, entities or namespaces to go wrong); the
// credentials are JSON, read with nlohmann-json.
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/aws.h"
#include "control/ha/sigv4.h"

namespace sluice::control::ha {

// One HTTP request as it is sent.
struct AwsRequest {
  std::string method;  // "GET", "PUT", "POST"
  std::string url;     // "http://169.254.169.254/latest/api/token"
  Pairs headers;
  std::string body;
};

inline constexpr size_t kMaxAwsReply = 64 * 1024;  // bytes of a reply's body kept

// An answer, as far as the transfer kept it.
struct AwsReply {
  long status = 0;
  std::string body;  // at most kMaxAwsReply bytes
  bool cut = false;  // the body was longer
};

// What a reply means for the call that got it.
enum class Verdict {
  done,     // the call did what it was for
  retry,    // it may work later: 5xx, throttling, a reply that cannot be read
  give_up,  // it will not: a client error (named by its code), a missing role
};

struct Judgement {
  Verdict verdict = Verdict::give_up;
  // Unless done, why, in operators' words: "HTTP 503 Unavailable: The service is
  // unavailable", "HTTP 404: no IAM role", "credentials expired at 2024-01-02T03:04:05Z".
  std::string why;
};

template <class T>
struct Judged : Judgement {
  T value{};  // with done
};

// ---- the instance metadata service, IMDSv2 ----

// Seconds a metadata session token is asked for: a take-over needs it for a few requests, and
// a token refused later (401) is fetched again.
inline constexpr uint32_t kImdsTokenTtlS = 300;
inline constexpr std::string_view kTokenPath = "/latest/api/token";
inline constexpr std::string_view kRegionPath = "/latest/meta-data/placement/region";
inline constexpr std::string_view kInstanceIdPath = "/latest/meta-data/instance-id";
inline constexpr std::string_view kRolesPath = "/latest/meta-data/iam/security-credentials/";

// PUT of kTokenPath with X-aws-ec2-metadata-token-ttl-seconds.
AwsRequest imds_token_request(const ServiceUrl& metadata);
// GET of `path` with the session token (X-aws-ec2-metadata-token).
AwsRequest imds_get(const ServiceUrl& metadata, std::string_view token, std::string_view path);
// kRolesPath followed by the role's name (checked by judge_role).
std::string credentials_path(std::string_view role);

// A 200 reply's text, checked: the token (the whole body: visible ASCII, no spaces), the
// region (its first line: is_aws_region), the instance id (i-...), the role (the listing's
// first line, an IAM role name). Other statuses: 5xx and 401 (a token refused: the mover
// fetches another) are worth a retry, 404 and the rest are not.
Judged<std::string> judge_token(const AwsReply& reply);
Judged<std::string> judge_region(const AwsReply& reply);
Judged<std::string> judge_instance_id(const AwsReply& reply);
Judged<std::string> judge_role(const AwsReply& reply);

struct RoleCredentials {
  Credentials credentials;  // with the session token
  int64_t expires_at = 0;   // seconds since the epoch (the JSON's Expiration)
};
// The role's credentials JSON ({"Code": "Success", "AccessKeyId", "SecretAccessKey",
// "Token", "Expiration": "2024-01-02T03:04:05Z"}), each field checked; credentials already
// expired at `now` (seconds since the epoch) are worth a retry, as a malformed reply is.
Judged<RoleCredentials> judge_credentials(const AwsReply& reply, int64_t now);

// ---- EC2 ----

// One EC2 Query API call.
struct Ec2Call {
  std::string action;  // "AssignPrivateIpAddresses", "AssociateAddress", "ReplaceRoute"
  Pairs params;        // the action's parameters, Action included, Version not
  std::string what;    // for reports: "eni-0123456789abcdef0 198.18.0.10 198.18.0.11"
};

// The calls that move `moves` to its interface, in order: the secondary private addresses
// first (one AssignPrivateIpAddresses with AllowReassignment, taking them from the peer's
// interface), then each Elastic IP (AssociateAddress with AllowReassociation, to an address
// that is now ours), then each route (ReplaceRoute; DestinationIpv6CidrBlock for IPv6).
std::vector<Ec2Call> ec2_calls(const AwsMoves& moves);

// `configured`, else https://ec2.REGION.amazonaws.com.
ServiceUrl ec2_endpoint(const std::optional<ServiceUrl>& configured, std::string_view region);
// The call as a form POST to `endpoint`'s "/", signed with SigV4 for service "ec2" in `region`
// at `amz_date` (a session token is sent and signed as X-Amz-Security-Token).
AwsRequest ec2_request(const Ec2Call& call, const ServiceUrl& endpoint, std::string_view region,
                       const Credentials& credentials, std::string_view amz_date);
// 200 with <return>true</return>: done. 5xx and the codes RequestLimitExceeded, Throttling,
// InternalError and Unavailable: retry. Any other 4xx: give up, with the code and message.
// A 200 without <return>true</return> (cut or garbled) is retried; 1xx and 3xx are given up.
Judgement judge_ec2(const AwsReply& reply);

// SigV4's time stamp, "20240102T030405Z", of `unix_seconds` (UTC).
std::string amz_date(int64_t unix_seconds);

}  // namespace sluice::control::ha
