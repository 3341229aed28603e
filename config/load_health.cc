#include "config/load_health.h"

#include <regex.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <string_view>

#include "common/ip_text.h"

namespace sluice::config {
namespace {

constexpr Range kCheckMs{100, 3'600'000};  // 0.1 s .. 1 hour
constexpr Range kRiseFall{1, 100};
constexpr Range kConnectsBetween{0, 100};
constexpr Range kPort{1, 65535};
constexpr Range kMaxScripts{1, 256};
// Text the checks send or compare: far above what a health URL or reply needs, small enough
// that a hostile file cannot make every check carry megabytes.
constexpr size_t kMaxCheckText = 1024;
constexpr size_t kMaxHostName = 253;  // RFC 1035, as written in text
constexpr size_t kMaxPath = 4095;     // PATH_MAX less the NUL

// Which check types a key means something for.
bool applies(std::string_view key, CheckType t) {
  const bool http = t == CheckType::http || t == CheckType::https;
  if (key == "type") return true;
  if (key == "interval" || key == "timeout" || key == "rise" || key == "fall" || key == "address") {
    return t != CheckType::on && t != CheckType::off;
  }
  if (key == "port") {
    return t != CheckType::on && t != CheckType::off && t != CheckType::ping;
  }
  if (key == "verify_certificate" || key == "ca_file") return t == CheckType::https;
  if (key == "query_name" || key == "query_type") return t == CheckType::dns;
  if (key == "payload" || key == "expect_reply") return t == CheckType::udp;
  if (key == "command") return t == CheckType::external;
  return http;  // method, path, host, expect_*, connects_between
}

const char* applies_to(std::string_view key) {
  if (key == "port") return "every check type but ping, on and off";
  if (key == "verify_certificate" || key == "ca_file") return "https checks";
  if (key == "query_name" || key == "query_type") return "dns checks";
  if (key == "payload" || key == "expect_reply") return "udp checks";
  if (key == "command") return "external checks";
  if (key == "method" || key == "path" || key == "host" || key.starts_with("expect_") ||
      key == "connects_between") {
    return "http and https checks";
  }
  return "every check type but on and off";
}

std::optional<std::string> read_text(Context& cx, const Element& e, size_t max) {
  std::optional<std::string> text = read_string(cx, e);
  if (text && text->size() > max) {
    return fail(cx, e, "longer than " + std::to_string(max) + " bytes");
  }
  return text;
}

// A URL path: printable ASCII without spaces. The seeds write some without the leading '/'
// ("ZFPHealthMonitor/api/HealthCheck"), which a browser would add: so do we.
std::optional<std::string> read_url_path(Context& cx, const Element& e) {
  std::optional<std::string> path = read_text(cx, e, kMaxCheckText);
  if (!path) return std::nullopt;
  if (path->empty()) return "/";
  const bool printable = std::all_of(path->begin(), path->end(), [](unsigned char c) {
    return c > 0x20 && c < 0x7f;
  });
  if (!printable) {
    return fail(cx, e, "a URL path " + quote(*path) + " may hold no spaces or control characters");
  }
  if (path->front() != '/') path->insert(path->begin(), '/');
  return path;
}

bool is_dns_name(const std::string& name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '-' || c == '_';
  });
}

// A DNS name; with `no_address`, an address is refused with why.
std::optional<std::string> read_dns_name(Context& cx, const Element& e, const char* what,
                                         bool no_address = false) {
  std::optional<std::string> name = read_text(cx, e, kMaxHostName);
  if (!name) return std::nullopt;
  if (no_address && parse_ip(*name)) {
    return fail(cx, e, std::string(what) + " " + quote(*name) +
                           " must be a name, not an address (the check goes to the server's "
                           "address; host is the Host header and TLS name)");
  }
  if (!is_dns_name(*name)) {
    return fail(cx, e, std::string(what) + " " + quote(*name) +
                           " must be a DNS name (letters, digits, '.', '-', '_')");
  }
  return name;
}

std::optional<std::vector<StatusRange>> read_statuses(Context& cx, const Element& e) {
  const std::optional<std::string> text = read_text(cx, e, kMaxCheckText);
  if (!text) return std::nullopt;
  Result<std::vector<StatusRange>> ranges = parse_status_ranges(*text);
  if (!ranges) return fail(cx, e, ranges.error());
  return std::move(ranges).value();
}

// Compiled here only to be judged: the checker compiles its own copy.
std::optional<std::string> read_regex(Context& cx, const Element& e) {
  std::optional<std::string> text = read_text(cx, e, kMaxCheckText);
  if (!text) return std::nullopt;
  regex_t compiled;
  const int rc = regcomp(&compiled, text->c_str(), REG_EXTENDED | REG_NOSUB);
  if (rc != 0) {
    char why[256];
    regerror(rc, &compiled, why, sizeof why);
    return fail(cx, e, "invalid regular expression " + quote(*text) + ": " + why);
  }
  regfree(&compiled);
  return text;
}

// An absolute path to a file sluiced can use now: a program to run, or one to read.
std::optional<std::string> read_file_path(Context& cx, const Element& e, bool executable) {
  std::optional<std::string> path = read_text(cx, e, kMaxPath);
  if (!path) return std::nullopt;
  if (!path->starts_with('/')) return fail(cx, e, quote(*path) + " must be an absolute path");
  struct stat st{};
  if (stat(path->c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return fail(cx, e, quote(*path) + " is not a file");
  }
  if (access(path->c_str(), executable ? X_OK : R_OK) != 0) {
    return fail(cx, e, quote(*path) + (executable ? " is not executable" : " is not readable"));
  }
  return path;
}

void check_keys_apply(Context& cx, const Element& e, CheckType type) {
  for (const auto& entry : e.node) {
    const std::string key = entry.first.IsScalar() ? entry.first.Scalar() : "";
    if (key.empty() || applies(key, type)) continue;
    cx.error(locate(entry.first, child_path(e.origin.path, key)),
             key + " applies to " + applies_to(key) + " (this check's type is " + to_string(type) + ")");
  }
}

}  // namespace

std::optional<HealthCheck> parse_health_check(Context& cx, const Element& e,
                                              const HealthCheck& base) {
  const size_t errors_before = cx.error_count();
  HealthCheck hc = base;
  hc.origin = e.origin;
  const Fields f(cx, e,
                 {"type", "address", "port", "interval", "timeout", "rise", "fall",
                  "connects_between", "method", "path", "host", "expect_status", "expect_body",
                  "expect_body_regex", "expect_body_absent", "verify_certificate", "ca_file",
                  "query_name", "query_type", "payload", "expect_reply", "command"});
  if (!f.is_mapping()) return std::nullopt;
  if (auto v = f.get("type")) set(hc.type, read_enum<CheckType>(cx, *v, "check type"));
  if (auto v = f.get("address")) set(hc.address, read_ip(cx, *v));
  if (auto v = f.get("port")) set(hc.port, read_integer(cx, *v, kPort, "a port number"));
  if (auto v = f.get("interval")) set(hc.interval_ms, read_seconds_ms(cx, *v, kCheckMs));
  if (auto v = f.get("timeout")) set(hc.timeout_ms, read_seconds_ms(cx, *v, kCheckMs));
  if (auto v = f.get("rise")) set(hc.rise, read_integer(cx, *v, kRiseFall));
  if (auto v = f.get("fall")) set(hc.fall, read_integer(cx, *v, kRiseFall));
  if (auto v = f.get("connects_between")) {
    set(hc.connects_between, read_integer(cx, *v, kConnectsBetween));
  }
  if (auto v = f.get("method")) set(hc.method, read_enum<HttpMethod>(cx, *v, "method"));
  if (auto v = f.get("path")) set(hc.path, read_url_path(cx, *v));
  // Not an address: the check goes to the server's address anyway, and an address can be
  // no TLS server name.
  if (auto v = f.get("host")) set(hc.host, read_dns_name(cx, *v, "host", true));
  if (auto v = f.get("expect_status")) set(hc.expect_status, read_statuses(cx, *v));
  if (auto v = f.get("expect_body")) set(hc.expect_body, read_text(cx, *v, kMaxCheckText));
  if (auto v = f.get("expect_body_regex")) set(hc.expect_body_regex, read_regex(cx, *v));
  if (auto v = f.get("expect_body_absent")) set(hc.expect_body_absent, read_bool(cx, *v));
  if (auto v = f.get("verify_certificate")) set(hc.verify_certificate, read_bool(cx, *v));
  if (auto v = f.get("ca_file")) set(hc.ca_file, read_file_path(cx, *v, false));
  if (auto v = f.get("query_name")) set(hc.query_name, read_dns_name(cx, *v, "query_name"));
  if (auto v = f.get("query_type")) set(hc.query_type, read_enum<DnsType>(cx, *v, "query type"));
  if (auto v = f.get("payload")) set(hc.payload, read_text(cx, *v, kMaxCheckText));
  if (auto v = f.get("expect_reply")) set(hc.expect_reply, read_text(cx, *v, kMaxCheckText));
  if (auto v = f.get("command")) set(hc.command, read_file_path(cx, *v, true));
  check_keys_apply(cx, e, hc.type);
  // A check that outlives its interval would overlap the next one of the same server.
  if (hc.timeout_ms > hc.interval_ms) {
    cx.error(cx.origin_of(child_path(e.origin.path, "timeout"), e.origin),
             "timeout must not be longer than interval (" + std::to_string(hc.interval_ms) +
                 " ms): a check ends before the next one starts");
  }
  if (hc.type == CheckType::external && hc.command.empty() && !f.get("command")) {
    cx.error(e.origin, "an external check needs command: the program to run");
  }
  if (hc.type == CheckType::udp && hc.payload.empty() && !f.get("payload")) {
    cx.error(e.origin, "a udp check needs payload: what to send (the server's reply is the check)");
  }
  if (cx.error_count() != errors_before) return std::nullopt;
  return hc;
}

std::optional<Feedback> parse_feedback(Context& cx, const Element& e, const Feedback& base) {
  const size_t errors_before = cx.error_count();
  Feedback fb = base;
  fb.origin = e.origin;
  const Fields f(cx, e, {"type", "port", "interval", "timeout", "path", "send"});
  if (!f.is_mapping()) return std::nullopt;
  if (auto v = f.get("type")) set(fb.type, read_enum<FeedbackType>(cx, *v, "feedback type"));
  if (auto v = f.get("port")) set(fb.port, read_integer(cx, *v, kPort, "a port number"));
  if (auto v = f.get("interval")) set(fb.interval_ms, read_seconds_ms(cx, *v, kCheckMs));
  if (auto v = f.get("timeout")) set(fb.timeout_ms, read_seconds_ms(cx, *v, kCheckMs));
  if (auto v = f.get("path")) {
    if (fb.type != FeedbackType::http) cx.error(v->origin, "path applies to http feedback only");
    set(fb.path, read_url_path(cx, *v));
  }
  if (auto v = f.get("send")) {
    if (fb.type != FeedbackType::agent) cx.error(v->origin, "send applies to agent feedback only");
    set(fb.send, read_text(cx, *v, kMaxCheckText));
  }
  if (fb.timeout_ms > fb.interval_ms) {
    cx.error(cx.origin_of(child_path(e.origin.path, "timeout"), e.origin),
             "timeout must not be longer than interval (" + std::to_string(fb.interval_ms) +
                 " ms): a poll ends before the next one starts");
  }
  if (cx.error_count() != errors_before) return std::nullopt;
  return fb;
}

void parse_health_settings(Context& cx, const Element& e, HealthSettings& health) {
  health.origin = e.origin;
  const Fields f(cx, e, {"notify", "max_scripts"});
  if (auto v = f.get("notify")) set(health.notify, read_file_path(cx, *v, true));
  if (auto v = f.get("max_scripts")) set(health.max_scripts, read_integer(cx, *v, kMaxScripts));
}

}  // namespace sluice::config
