// AWS Signature Version 4 for the EC2 API calls of the AWS HA mode (AssignPrivateIpAddresses,
// AssociateAddress, ReplaceRoute), signed with the instance role's credentials from the
// instance metadata service. Only the signing: no network, no clock (the caller passes the
// time), no credentials of its own. SHA-256 and HMAC are OpenSSL's (libcrypto).
// The canonical request follows AWS's SigV4 test suite (tests/unit/control/ha/sigv4_test.cc):
//   path     as sent on the request line (already percent-encoded). For every service but s3
//            it is normalised (empty, "." and ".." segments resolved, a trailing slash kept)
//            and URI-encoded again: the spec's "double encoding". For s3 it is used as is.
//   query    decoded pairs; each key and value URI-encoded (RFC 3986 unreserved characters
//            kept), sorted by key then value.
//   headers  names lower-cased; values trimmed, runs of whitespace (a folded line's too) made
//            one space; repeated names joined with ',' in the order given; sorted by name.
//   payload  hex SHA-256 of the body.
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice::control::ha {

using Pairs = std::vector<std::pair<std::string, std::string>>;

// The EC2 Query API version sluice's calls are written against, and the content type of their
// POST bodies.
inline constexpr std::string_view kEc2ApiVersion = "2016-11-15";
inline constexpr std::string_view kEc2ContentType =
    "application/x-www-form-urlencoded; charset=utf-8";

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  // Set for temporary credentials (IMDS role credentials always have one): sent and signed as
  // X-Amz-Security-Token. Empty: no such header.
  std::string session_token;
};

struct HttpRequestToSign {
  std::string method;  // "GET", "POST"
  std::string host;    // the Host header's value, e.g. "ec2.eu-west-1.amazonaws.com"
  std::string path;    // as on the request line, see above; "/" for EC2
  // Decoded. The canonical query string (the canonical request's third line) is also what to
  // send after the '?'.
  Pairs query;
  // Headers to sign besides Host, X-Amz-Date and X-Amz-Security-Token, which sign_v4 adds
  // (so they must not be here), e.g. Content-Type.
  Pairs headers;
  std::string body;
};

struct Signed {
  // What to send: Host, the request's headers, X-Amz-Date, X-Amz-Security-Token (with a
  // session token) and Authorization, in that order.
  Pairs headers;
  std::string canonical_request;
  std::string string_to_sign;
  std::string authorization;  // the Authorization header's value
};

// Signs `r` for `service` in `region` at `amz_date` (ISO 8601 basic, UTC: "20150830T123600Z";
// its first eight characters are the credential scope's date).
Signed sign_v4(const HttpRequestToSign& r, const Credentials& c, std::string_view region,
               std::string_view service, std::string_view amz_date);

// The body of an EC2 Query API POST (Content-Type kEc2ContentType): `params` (Action and the
// action's parameters, e.g. {"NetworkInterfaceId", "eni-..."}, {"PrivateIpAddress.1", ...})
// plus Version=kEc2ApiVersion, each key and value URI-encoded as in a canonical query string,
// sorted, joined with '&'.
std::string ec2_query_body(Pairs params);

}  // namespace sluice::control::ha
