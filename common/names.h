// The words every layer shares: the config loader parses them, the snapshot carries them, the
// CLI and logs print them. Each list is written once, as an X-macro, and makes the enum, its
// names (the YAML and CLI spellings) and the list parsers offer in their errors.
// Thread safety: constants and pure functions.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace sluice {

// X(Enum, name[, value])
#define SLUICE_PROTOCOLS(X) X(Protocol, tcp, 6) X(Protocol, udp, 17)  // IP protocol numbers
// dr: new destination MAC only. nat: destination rewritten, replies come back through sluice
// because the real servers route to the clients via it. snat (full NAT): the source becomes
// an address of the service's snat_pool too, so replies come back without any route.
// tun: the packet travels unchanged inside IP-in-IP to the real server, which may be routed
// hops away and answers the client directly.
#define SLUICE_MODES(X) X(Mode, dr) X(Mode, nat) X(Mode, snat) X(Mode, tun)
// IPVS's names: rr, wrr, lc, wlc, sh (source hash), dh (destination hash); first (the
// first available server in file order takes all: active/standby pairs); maglev (consistent
// hashing of the client address: few clients move when the server set changes).
#define SLUICE_SCHEDULERS(X)                                                                 \
  X(Scheduler, rr) X(Scheduler, wrr) X(Scheduler, lc) X(Scheduler, wlc) X(Scheduler, sh) \
      X(Scheduler, dh) X(Scheduler, first) X(Scheduler, maglev)
#define SLUICE_ADMIN_STATES(X) X(AdminState, online) X(AdminState, drain) X(AdminState, halt)
// What becomes of a real server's established connections when a reload removes it
// (on_remove) or its health check fails (on_failure).
#define SLUICE_KEEP_OR_CUT(X) X(KeepOrCut, keep) X(KeepOrCut, cut)
// What a control-socket client may do: nothing, show (read), or change too (full).
#define SLUICE_CONTROL_ACCESS(X) X(ControlAccess, none) X(ControlAccess, read) X(ControlAccess, full)
// How a real server's health is checked (docs/configuration.md, `health_check.type`): on and
// off are ldirectord's always-up and always-down.
#define SLUICE_CHECK_TYPES(X)                                                               \
  X(CheckType, connect) X(CheckType, http) X(CheckType, https) X(CheckType, ping)           \
      X(CheckType, dns) X(CheckType, udp) X(CheckType, external) X(CheckType, on) X(CheckType, off)
#define SLUICE_HTTP_METHODS(X) X(HttpMethod, GET) X(HttpMethod, HEAD)
// DNS record types a dns check may ask for (their numbers, RFC 1035 and 3596).
#define SLUICE_DNS_TYPES(X)                                                                  \
  X(DnsType, A, 1) X(DnsType, NS, 2) X(DnsType, CNAME, 5) X(DnsType, SOA, 6) X(DnsType, PTR, 12) \
      X(DnsType, MX, 15) X(DnsType, TXT, 16) X(DnsType, AAAA, 28) X(DnsType, SRV, 33)
// How a real server reports its load: the feedback agent's TCP reply, or an HTTP URL's body.
#define SLUICE_FEEDBACK_TYPES(X) X(FeedbackType, agent) X(FeedbackType, http)
// A checked server's health as shown: rising is down and counting successes towards `rise`,
// falling is up and counting failures towards `fall`; unchecked has no check configured.
#define SLUICE_HEALTH(X) \
  X(Health, unchecked) X(Health, up) X(Health, down) X(Health, rising) X(Health, falling)
// How much sluiced logs (`--log-level`): each level includes those before it. The values are
// syslog's priorities, which journald reads from a line's `<N>` prefix.
#define SLUICE_LOG_LEVELS(X)                                                                   \
  X(LogLevel, error, 3) X(LogLevel, warning, 4) X(LogLevel, notice, 5) X(LogLevel, info, 6) \
      X(LogLevel, debug, 7)

#define SLUICE_ENUMERATOR(type, name, ...) name __VA_OPT__(= __VA_ARGS__),
enum class Protocol : uint8_t { SLUICE_PROTOCOLS(SLUICE_ENUMERATOR) };
enum class Mode : uint8_t { SLUICE_MODES(SLUICE_ENUMERATOR) };
enum class Scheduler : uint8_t { SLUICE_SCHEDULERS(SLUICE_ENUMERATOR) };
enum class AdminState : uint8_t { SLUICE_ADMIN_STATES(SLUICE_ENUMERATOR) };
enum class ControlAccess : uint8_t { SLUICE_CONTROL_ACCESS(SLUICE_ENUMERATOR) };
enum class KeepOrCut : uint8_t { SLUICE_KEEP_OR_CUT(SLUICE_ENUMERATOR) };
enum class CheckType : uint8_t { SLUICE_CHECK_TYPES(SLUICE_ENUMERATOR) };
enum class HttpMethod : uint8_t { SLUICE_HTTP_METHODS(SLUICE_ENUMERATOR) };
enum class DnsType : uint16_t { SLUICE_DNS_TYPES(SLUICE_ENUMERATOR) };
enum class FeedbackType : uint8_t { SLUICE_FEEDBACK_TYPES(SLUICE_ENUMERATOR) };
enum class Health : uint8_t { SLUICE_HEALTH(SLUICE_ENUMERATOR) };
enum class LogLevel : uint8_t { SLUICE_LOG_LEVELS(SLUICE_ENUMERATOR) };
#undef SLUICE_ENUMERATOR

// Every value of an enum and its name, in declaration order.
template <class Enum>
struct Vocabulary;

#define SLUICE_VALUE(type, name, ...) type::name,
#define SLUICE_NAME(type, name, ...) #name,
#define SLUICE_VOCABULARY(type, list)                                               \
  template <>                                                                       \
  struct Vocabulary<type> {                                                         \
    static constexpr std::array values{list(SLUICE_VALUE)};                         \
    static constexpr std::array<const char*, values.size()> names{list(SLUICE_NAME)}; \
  };
SLUICE_VOCABULARY(Protocol, SLUICE_PROTOCOLS)
SLUICE_VOCABULARY(Mode, SLUICE_MODES)
SLUICE_VOCABULARY(Scheduler, SLUICE_SCHEDULERS)
SLUICE_VOCABULARY(AdminState, SLUICE_ADMIN_STATES)
SLUICE_VOCABULARY(ControlAccess, SLUICE_CONTROL_ACCESS)
SLUICE_VOCABULARY(KeepOrCut, SLUICE_KEEP_OR_CUT)
SLUICE_VOCABULARY(CheckType, SLUICE_CHECK_TYPES)
SLUICE_VOCABULARY(HttpMethod, SLUICE_HTTP_METHODS)
SLUICE_VOCABULARY(DnsType, SLUICE_DNS_TYPES)
SLUICE_VOCABULARY(FeedbackType, SLUICE_FEEDBACK_TYPES)
SLUICE_VOCABULARY(Health, SLUICE_HEALTH)
SLUICE_VOCABULARY(LogLevel, SLUICE_LOG_LEVELS)
#undef SLUICE_VOCABULARY
#undef SLUICE_NAME
#undef SLUICE_VALUE

template <class Enum>
concept Named = requires { Vocabulary<Enum>::values; };

template <Named Enum>
constexpr const char* to_string(Enum value) {
  const auto& v = Vocabulary<Enum>::values;
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] == value) return Vocabulary<Enum>::names[i];
  }
  return "?";
}

template <Named Enum>
constexpr std::optional<Enum> from_name(std::string_view name) {
  const auto& v = Vocabulary<Enum>::values;
  for (size_t i = 0; i < v.size(); ++i) {
    if (name == Vocabulary<Enum>::names[i]) return v[i];
  }
  return std::nullopt;
}

// "a", "a or b", "a, b or c": how errors list what they expected.
std::string either_of(std::span<const char* const> names);

template <Named Enum>
std::string expected_names() {
  return either_of(Vocabulary<Enum>::names);
}

// nat and snat rewrite the destination port (a real server may listen on another one); dr and
// tun deliver the client's packet as it was sent.
constexpr bool translates_ports(Mode m) { return m == Mode::nat || m == Mode::snat; }
// In nat and snat the real servers' replies come back through sluice; in dr and tun they go
// straight to the client.
constexpr bool replies_return(Mode m) { return m == Mode::nat || m == Mode::snat; }

}  // namespace sluice
