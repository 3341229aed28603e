#include "control/ha/aws_calls.h"

#include <algorithm>
#include <ctime>
#include <nlohmann/json.hpp>
#include <utility>

#include "common/ip_text.h"
#include "common/quoted_line.h"

namespace sluice::control::ha {
namespace {

using nlohmann::json;

constexpr size_t kMaxToken = 1024;         // IMDSv2 tokens are about 60 bytes
constexpr size_t kMaxRoleName = 64;        // IAM's limit
constexpr size_t kMaxSecret = 128;         // AWS's are 40 bytes
constexpr size_t kMaxSessionToken = 8192;  // STS's are 1-2 KiB
constexpr size_t kMaxXmlText = 1024;       // a <Code> or <Message> longer than this is refused
constexpr size_t kMaxShownText = 200;      // of a message, in a report

Judgement retry(std::string why) { return {Verdict::retry, std::move(why)}; }
Judgement give_up(std::string why) { return {Verdict::give_up, std::move(why)}; }

template <class T>
Judged<T> not_done(Judgement j) {
  Judged<T> out;
  static_cast<Judgement&>(out) = std::move(j);
  return out;
}

template <class T>
Judged<T> done(T value) {
  Judged<T> out;
  out.verdict = Verdict::done;
  out.value = std::move(value);
  return out;
}

// Visible ASCII, no spaces: what may go into a header or a URL as it is.
bool is_visible(std::string_view text, size_t max) {
  return !text.empty() && text.size() <= max &&
         std::all_of(text.begin(), text.end(),
                     [](unsigned char c) { return c > 0x20 && c < 0x7f; });
}

bool is_role_name(std::string_view text) {
  static constexpr std::string_view kPunctuation = "+=,.@_-";
  return !text.empty() && text.size() <= kMaxRoleName &&
         std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  kPunctuation.find(c) != std::string_view::npos;
         });
}

bool is_access_key_id(std::string_view text) {
  return text.size() >= 16 && text.size() <= 128 &&
         std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); });
}

// The text up to the first line break: metadata values end without one, listings with one
// per entry.
std::string_view first_line(std::string_view body) {
  std::string_view line = body.substr(0, body.find('\n'));
  if (line.ends_with('\r')) line.remove_suffix(1);
  return line;
}

std::string status_text(long status) { return "HTTP " + std::to_string(status); }

Judgement cut_reply() {
  return retry("reply longer than " + std::to_string(kMaxAwsReply / 1024) + " KiB");
}

// What a metadata reply's status says, when it is not a whole 200 whose body is read next.
std::optional<Judgement> metadata_failure(const AwsReply& reply, std::string_view not_found) {
  if (reply.cut) return cut_reply();
  if (reply.status == 200) return std::nullopt;
  const std::string status = status_text(reply.status);
  if (reply.status == 401) return retry(status + ": metadata token refused");
  if (reply.status >= 500) return retry(status);
  if (reply.status == 404) return give_up(status + ": " + std::string(not_found));
  return give_up(status);
}

// `value`, the part of a 200's body that matters, if `valid` takes it.
Judged<std::string> metadata_value(const AwsReply& reply, std::string_view value,
                                   std::string_view not_found, bool (*valid)(std::string_view),
                                   std::string_view what) {
  if (std::optional<Judgement> failure = metadata_failure(reply, not_found)) {
    return not_done<std::string>(std::move(*failure));
  }
  if (!valid(value)) {
    return not_done<std::string>(retry("not " + std::string(what) + ": " + quoted_line(value)));
  }
  return done(std::string(value));
}

// "2024-01-02T03:04:05Z", exactly, to seconds since the epoch.
std::optional<int64_t> parse_expiration(std::string_view text) {
  static constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:ddZ";
  if (text.size() != kShape.size()) return std::nullopt;
  for (size_t i = 0; i < kShape.size(); ++i) {
    const bool digit = text[i] >= '0' && text[i] <= '9';
    if (kShape[i] == 'd' ? !digit : text[i] != kShape[i]) return std::nullopt;
  }
  const auto number = [&](size_t at, size_t digits) {
    int value = 0;
    for (size_t i = at; i < at + digits; ++i) value = value * 10 + (text[i] - '0');
    return value;
  };
  std::tm tm{};
  tm.tm_year = number(0, 4) - 1900;
  tm.tm_mon = number(5, 2) - 1;
  tm.tm_mday = number(8, 2);
  tm.tm_hour = number(11, 2);
  tm.tm_min = number(14, 2);
  tm.tm_sec = number(17, 2);
  if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
      tm.tm_min > 59 || tm.tm_sec > 60) {
    return std::nullopt;
  }
  return static_cast<int64_t>(timegm(&tm));
}

std::optional<std::string> string_member(const json& doc, const char* key) {
  const auto it = doc.find(key);
  if (it == doc.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

// The text of the first <name>...</name> of `xml`, the five predefined entities decoded
// (others stay as written); nullopt when there is none, or it holds markup or is longer than
// kMaxXmlText. EC2 writes these elements plainly, without attributes.
std::optional<std::string> xml_text(std::string_view xml, std::string_view name) {
  const std::string open = "<" + std::string(name) + ">";
  const std::string close = "</" + std::string(name) + ">";
  size_t start = xml.find(open);
  if (start == std::string_view::npos) return std::nullopt;
  start += open.size();
  const size_t end = xml.find(close, start);
  if (end == std::string_view::npos || end - start > kMaxXmlText) return std::nullopt;
  const std::string_view raw = xml.substr(start, end - start);
  if (raw.find('<') != std::string_view::npos) return std::nullopt;
  static constexpr std::pair<std::string_view, char> kEntities[] = {
      {"&lt;", '<'}, {"&gt;", '>'}, {"&amp;", '&'}, {"&quot;", '"'}, {"&apos;", '\''}};
  std::string text;
  for (size_t i = 0; i < raw.size(); ++i) {
    const auto* entity =
        std::find_if(std::begin(kEntities), std::end(kEntities),
                     [&](const auto& e) { return raw.substr(i).starts_with(e.first); });
    if (entity == std::end(kEntities)) {
      text += raw[i];
    } else {
      text += entity->second;
      i += entity->first.size() - 1;
    }
  }
  return text;
}

// EC2's error codes are dotted words: "InvalidAllocationID.NotFound".
bool is_error_code(std::string_view code) {
  return !code.empty() && code.size() <= 64 && std::all_of(code.begin(), code.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.';
  });
}

// Codes that say AWS is busy or failing rather than that the request is wrong: worth another
// try, whatever status they come with.
bool is_transient(std::string_view code) {
  return code == "RequestLimitExceeded" || code == "Throttling" || code == "InternalError" ||
         code == "Unavailable";
}

AwsRequest metadata_request(std::string method, const ServiceUrl& metadata, std::string_view path,
                            Pairs headers) {
  return {std::move(method), metadata.text() + std::string(path), std::move(headers), ""};
}

}  // namespace

AwsRequest imds_token_request(const ServiceUrl& metadata) {
  return metadata_request(
      "PUT", metadata, kTokenPath,
      {{"X-aws-ec2-metadata-token-ttl-seconds", std::to_string(kImdsTokenTtlS)}});
}

AwsRequest imds_get(const ServiceUrl& metadata, std::string_view token, std::string_view path) {
  return metadata_request("GET", metadata, path,
                          {{"X-aws-ec2-metadata-token", std::string(token)}});
}

std::string credentials_path(std::string_view role) {
  return std::string(kRolesPath) + std::string(role);
}

// A token is the whole body; other values are the first line of theirs.
Judged<std::string> judge_token(const AwsReply& reply) {
  return metadata_value(
      reply, reply.body, "no token service",
      [](std::string_view t) { return is_visible(t, kMaxToken); }, "a token");
}

Judged<std::string> judge_region(const AwsReply& reply) {
  return metadata_value(reply, first_line(reply.body), "no region", is_aws_region, "a region");
}

Judged<std::string> judge_instance_id(const AwsReply& reply) {
  return metadata_value(
      reply, first_line(reply.body), "no instance id",
      [](std::string_view id) { return is_aws_id(id, "i"); }, "an instance id");
}

Judged<std::string> judge_role(const AwsReply& reply) {
  return metadata_value(reply, first_line(reply.body), "no IAM role attached to the instance",
                        is_role_name, "an IAM role name");
}

Judged<RoleCredentials> judge_credentials(const AwsReply& reply, int64_t now) {
  if (std::optional<Judgement> failure = metadata_failure(reply, "no credentials for the role")) {
    return not_done<RoleCredentials>(std::move(*failure));
  }
  const json doc = json::parse(reply.body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return not_done<RoleCredentials>(retry("credentials: not a JSON object"));
  }
  if (const auto code = doc.find("Code");
      code != doc.end() && (!code->is_string() || code->get<std::string>() != "Success")) {
    const std::string text = code->is_string() ? code->get<std::string>() : code->dump();
    return not_done<RoleCredentials>(retry("credentials: Code " + quoted_line(text)));
  }
  const std::optional<std::string> id = string_member(doc, "AccessKeyId");
  const std::optional<std::string> secret = string_member(doc, "SecretAccessKey");
  const std::optional<std::string> token = string_member(doc, "Token");
  const std::optional<std::string> expiration = string_member(doc, "Expiration");
  const std::optional<int64_t> expires_at = parse_expiration(expiration.value_or(""));
  const char* invalid = !id || !is_access_key_id(*id)                     ? "AccessKeyId"
                        : !secret || !is_visible(*secret, kMaxSecret)     ? "SecretAccessKey"
                        : !token || !is_visible(*token, kMaxSessionToken) ? "Token"
                        : !expires_at                                     ? "Expiration"
                                                                          : nullptr;
  if (invalid != nullptr) {
    return not_done<RoleCredentials>(retry(std::string("credentials without a valid ") + invalid));
  }
  if (*expires_at <= now) {
    return not_done<RoleCredentials>(retry("credentials expired at " + *expiration));
  }
  return done(RoleCredentials{{*id, *secret, *token}, *expires_at});
}

std::vector<Ec2Call> ec2_calls(const AwsMoves& moves) {
  const std::string& eni = moves.interface_id;
  std::vector<Ec2Call> calls;
  if (!moves.private_addresses.empty()) {
    Ec2Call call{"AssignPrivateIpAddresses",
                 {{"Action", "AssignPrivateIpAddresses"},
                  {"NetworkInterfaceId", eni},
                  {"AllowReassignment", "true"}},
                 eni};
    for (size_t i = 0; i < moves.private_addresses.size(); ++i) {
      const std::string address = format_ip(moves.private_addresses[i]);
      call.params.emplace_back("PrivateIpAddress." + std::to_string(i + 1), address);
      call.what += " " + address;
    }
    calls.push_back(std::move(call));
  }
  for (const AwsElasticIp& e : moves.elastic_ips) {
    const std::string address = format_ip(e.private_address);
    calls.push_back({"AssociateAddress",
                     {{"Action", "AssociateAddress"},
                      {"AllocationId", e.allocation_id},
                      {"NetworkInterfaceId", eni},
                      {"PrivateIpAddress", address},
                      {"AllowReassociation", "true"}},
                     e.allocation_id + " to " + eni + " " + address});
  }
  for (const AwsRoute& r : moves.routes) {
    const std::string destination = format_prefix(r.destination);
    calls.push_back(
        {"ReplaceRoute",
         {{"Action", "ReplaceRoute"},
          {"RouteTableId", r.route_table},
          {r.destination.address.is_v4() ? "DestinationCidrBlock" : "DestinationIpv6CidrBlock",
           destination},
          {"NetworkInterfaceId", eni}},
         r.route_table + " " + destination + " to " + eni});
  }
  return calls;
}

ServiceUrl ec2_endpoint(const std::optional<ServiceUrl>& configured, std::string_view region) {
  if (configured) return *configured;
  return {true, "ec2." + std::string(region) + ".amazonaws.com"};
}

AwsRequest ec2_request(const Ec2Call& call, const ServiceUrl& endpoint, std::string_view region,
                       const Credentials& credentials, std::string_view amz_date) {
  const HttpRequestToSign r{"POST",
                            endpoint.host,
                            "/",
                            {},
                            {{"Content-Type", std::string(kEc2ContentType)}},
                            ec2_query_body(call.params)};
  Signed s = sign_v4(r, credentials, region, "ec2", amz_date);
  return {"POST", endpoint.text() + "/", std::move(s.headers), r.body};
}

Judgement judge_ec2(const AwsReply& reply) {
  if (reply.cut) return cut_reply();
  if (reply.status == 200) {
    if (xml_text(reply.body, "return") == "true") return {Verdict::done, ""};
    return retry("HTTP 200 without <return>true</return>");
  }
  std::string why = status_text(reply.status);
  const std::optional<std::string> code = xml_text(reply.body, "Code");
  const bool named = code && is_error_code(*code);
  if (named) why += " " + *code;
  if (const std::optional<std::string> message = xml_text(reply.body, "Message")) {
    why += ": " + printable(*message, kMaxShownText);
  }
  if (reply.status >= 500 || (named && is_transient(*code))) return retry(std::move(why));
  return give_up(std::move(why));
}

std::string amz_date(int64_t unix_seconds) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[17];
  std::strftime(text, sizeof text, "%Y%m%dT%H%M%SZ", &tm);
  return text;
}

}  // namespace sluice::control::ha
