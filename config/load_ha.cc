#include "config/load_ha.h"

#include <set>
#include <utility>

#include "common/ip_text.h"
#include "config/load_aws.h"

namespace sluice::config {
namespace {

constexpr Range kVrid{1, 255};
constexpr Range kPriority{1, 255};
// RFC 5798: 12 bits of centiseconds; 10 ms steps make the YAML's seconds exact.
constexpr Range kIntervalMs{10, 40'950};
constexpr Range kPreemptDelayMs{0, 3'600'000};
constexpr size_t kMaxPeers = 16;

std::optional<std::vector<IpAddress>> read_ipv4_list(Context& cx, const Element& e,
                                                     size_t max, const char* what) {
  const std::optional<std::vector<Element>> items = read_list(cx, e);
  if (!items) return std::nullopt;
  if (items->size() > max) {
    return fail(cx, e, "at most " + std::to_string(max) + " " + what);
  }
  std::vector<IpAddress> out;
  for (const Element& item : *items) {
    const std::optional<IpAddress> ip = read_ip(cx, item);
    if (!ip) continue;
    if (!ip->is_v4()) {
      cx.error(item.origin, std::string(what) + " must be IPv4 addresses (IPv6 VRRP is not built yet)");
      continue;
    }
    out.push_back(*ip);
  }
  return out;
}

std::optional<HaInstance> parse_instance(Context& cx, const Element& e) {
  const size_t errors_before = cx.error_count();
  HaInstance in;
  in.origin = e.origin;
  const Fields f(cx, e, {"name", "interface", "vrid", "priority", "interval", "preempt",
                         "preempt_delay", "peers", "addresses", "aws"});
  if (!f.is_mapping()) return std::nullopt;
  if (auto v = f.require("name")) set(in.name, read_string(cx, *v));
  if (auto v = f.require("interface")) set(in.interface, read_string(cx, *v));
  if (auto v = f.require("vrid")) set(in.vrid, read_integer(cx, *v, kVrid));
  if (auto v = f.get("priority")) set(in.priority, read_integer(cx, *v, kPriority));
  if (auto v = f.get("interval")) {
    if (const std::optional<uint32_t> ms = read_seconds_ms(cx, *v, kIntervalMs)) {
      if (*ms % 10 != 0) {
        cx.error(v->origin, "interval goes in hundredths of a second (VRRP's centiseconds)");
      } else {
        in.interval_cs = static_cast<uint16_t>(*ms / 10);
      }
    }
  }
  if (auto v = f.get("preempt")) set(in.preempt, read_bool(cx, *v));
  if (auto v = f.get("preempt_delay")) set(in.preempt_delay_ms, read_seconds_ms(cx, *v, kPreemptDelayMs));
  if (auto v = f.get("peers")) set(in.peers, read_ipv4_list(cx, *v, kMaxPeers, "peers"));
  if (auto v = f.require("addresses")) {
    set(in.addresses, read_ipv4_list(cx, *v, 255, "addresses"));  // an advert's 8-bit count
  }
  if (auto v = f.get("aws")) set(in.aws, parse_aws(cx, *v, in.addresses));
  if (cx.error_count() != errors_before) return std::nullopt;
  return in;
}

}  // namespace

void parse_ha(Context& cx, const Element& e, Ha& ha) {
  const Fields f(cx, e, {"instances"});
  const std::optional<Element> list = f.get("instances");
  if (!list) return;
  const std::optional<std::vector<Element>> items = read_list(cx, *list);
  if (!items) return;
  for (const Element& item : *items) {
    if (std::optional<HaInstance> in = parse_instance(cx, item)) ha.instances.push_back(std::move(*in));
  }
}

void validate_ha(const Config& cfg, Context& cx) {
  std::set<std::string> names;
  std::set<std::pair<std::string, uint8_t>> vrids;
  std::set<IpAddress> floating;
  for (const HaInstance& in : cfg.ha.instances) {
    const auto at = [&](const char* key) {
      return cx.origin_of(child_path(in.origin.path, key), in.origin);
    };
    if (!names.insert(in.name).second) cx.error(at("name"), "instance name " + in.name + " is used twice");
    const Interface* ifc = nullptr;
    for (const Interface& i : cfg.interfaces) {
      if (i.name == in.interface) ifc = &i;
    }
    if (ifc == nullptr) {
      cx.error(at("interface"), "no interface named " + in.interface);
    } else if (std::none_of(ifc->addresses.begin(), ifc->addresses.end(),
                            [](const Prefix& p) { return p.address.is_v4(); })) {
      cx.error(at("interface"), "interface " + in.interface + " has no IPv4 address to advertise from");
    }
    if (!vrids.insert({in.interface, in.vrid}).second) {
      cx.error(at("vrid"), "vrid " + std::to_string(in.vrid) + " is used twice on " + in.interface);
    }
    for (const IpAddress& a : in.addresses) {
      bool served = false;
      for (const VirtualService& vs : cfg.virtual_services) {
        for (const Listener& l : vs.listeners) served = served || l.address == a;
        for (const IpAddress& pool : vs.snat_pool) served = served || pool == a;
      }
      if (!served) {
        cx.error(at("addresses"), format_ip(a) + " is no virtual service or snat pool address");
      }
      if (!floating.insert(a).second) {
        cx.error(at("addresses"), format_ip(a) + " floats in two instances");
      }
    }
  }
}

}  // namespace sluice::config
