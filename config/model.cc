#include "config/model.h"

#include <algorithm>
#include <tuple>

namespace sluice::config {
namespace {

// Is `port` in one of `ranges` (sorted, disjoint)?
bool in_ranges(const std::vector<PortRange>& ranges, uint16_t port) {
  const auto after = std::upper_bound(ranges.begin(), ranges.end(), port,
                                      [](uint16_t p, const PortRange& r) { return p < r.first; });
  return after != ranges.begin() && std::prev(after)->last >= port;
}

std::string format_ranges(const std::vector<PortRange>& ranges) {
  std::string out;
  for (const PortRange& r : ranges) {
    if (!out.empty()) out += ',';
    out += format_range(r);
  }
  return out;
}

}  // namespace

bool PortSet::contains(uint16_t port) const {
  if (all) return port != 0 && !in_ranges(except, port);
  return in_ranges(ranges, port);
}

uint16_t PortSet::lowest() const {
  if (!all) return ranges.empty() ? 0 : ranges.front().first;
  // Exceptions are not adjacent, so only one can start at the first free port.
  uint32_t port = 1;
  for (const PortRange& r : except) {
    if (r.first > port) break;
    port = uint32_t{r.last} + 1;
  }
  return port > 65535 ? 0 : static_cast<uint16_t>(port);
}

std::string format_range(PortRange range) {
  std::string out = std::to_string(range.first);
  if (range.last != range.first) out += "-" + std::to_string(range.last);
  return out;
}

std::string format_ports(const PortSet& ports) {
  if (!ports.all) return format_ranges(ports.ranges);
  if (ports.except.empty()) return "all";
  return "all except " + format_ranges(ports.except);
}

namespace {

auto keys_of(const HealthCheck& h) {
  return std::tie(h.type, h.address, h.port, h.interval_ms, h.timeout_ms, h.rise, h.fall,
                  h.connects_between, h.method, h.path, h.host, h.expect_status, h.expect_body,
                  h.expect_body_regex, h.expect_body_absent, h.verify_certificate, h.ca_file,
                  h.query_name, h.query_type, h.payload, h.expect_reply, h.command);
}

auto keys_of(const Feedback& f) {
  return std::tie(f.type, f.port, f.interval_ms, f.timeout_ms, f.path, f.send);
}

template <class T>
bool same_keys(const std::optional<T>& a, const std::optional<T>& b) {
  if (!a || !b) return a.has_value() == b.has_value();
  return keys_of(*a) == keys_of(*b);
}

}  // namespace

bool is_service_address(const Config& cfg, const IpAddress& a) {
  return std::ranges::any_of(cfg.virtual_services, [&a](const VirtualService& vs) {
    return std::ranges::any_of(vs.listeners, [&a](const Listener& l) { return l.address == a; }) ||
           std::ranges::find(vs.snat_pool, a) != vs.snat_pool.end();
  });
}

bool same_check(const std::optional<HealthCheck>& a, const std::optional<HealthCheck>& b) {
  return same_keys(a, b);
}

bool same_feedback(const std::optional<Feedback>& a, const std::optional<Feedback>& b) {
  return same_keys(a, b);
}

std::optional<uint16_t> check_port(const VirtualService& vs, const RealServer& rs,
                                   const HealthCheck& check) {
  if (check.type == CheckType::ping || check.type == CheckType::on ||
      check.type == CheckType::off) {
    return std::nullopt;
  }
  if (check.port) return check.port;
  if (rs.port) return rs.port;
  for (const Listener& l : vs.listeners) {
    if (!l.ports.all && !l.ports.ranges.empty()) return l.ports.lowest();
  }
  return std::nullopt;
}

std::string port_name_of(const std::string& device) { return device.substr(0, device.find(',')); }

const char* protocols_name(const std::vector<Protocol>& protocols) {
  if (protocols.size() == 2) return "both";
  return protocols.empty() ? "?" : to_string(protocols.front());
}

}  // namespace sluice::config
