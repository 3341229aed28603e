#include "config/load_ha.h"

#include <set>
#include <tuple>
#include <utility>

#include "common/ip_text.h"
#include "config/load_aws.h"
#include "config/secret_file.h"

namespace sluice::config {
namespace {

constexpr Range kVrid{1, 255};
constexpr Range kPriority{1, 255};
// RFC 5798: 12 bits of centiseconds; 10 ms steps make the YAML's seconds exact.
constexpr Range kIntervalMs{10, 40'950};
constexpr Range kPreemptDelayMs{0, 3'600'000};
constexpr size_t kMaxPeers = 16;
constexpr size_t kMaxAddresses = 255;  // an advert's 8-bit count
constexpr Range kGarpRepeat{1, 100};
constexpr Range kGarpIntervalMs{0, 1000};
constexpr Range kGarpDelayMs{0, 3'600'000};
constexpr Range kGarpRefreshMs{0, 86'400'000};
constexpr Range kTrackWeight{0, 254};
constexpr Range kSyncPort{1, 65535};
constexpr Range kSyncRefreshMs{1000, 3'600'000};

std::optional<SyncSettings> parse_sync(Context& cx, const Element& e) {
  const size_t errors_before = cx.error_count();
  SyncSettings sync;
  sync.origin = e.origin;
  const Fields f(cx, e, {"interface", "peer", "port", "key_file", "refresh"});
  if (!f.is_mapping()) return std::nullopt;
  if (auto v = f.require("interface")) set(sync.interface, read_string(cx, *v));
  if (auto v = f.require("peer")) set(sync.peer, read_ip(cx, *v));
  if (auto v = f.get("port")) set(sync.port, read_integer(cx, *v, kSyncPort));
  if (auto v = f.get("refresh")) set(sync.refresh_ms, read_seconds_ms(cx, *v, kSyncRefreshMs));
  if (auto v = f.require("key_file")) {
    if (std::optional<std::string> path = read_string(cx, *v)) {
      sync.key_file = *path;
      set(sync.key, read_secret_file(cx, *v, *path, "key file"));
    }
  }
  if (cx.error_count() != errors_before) return std::nullopt;
  return sync;
}

// Floating addresses, of either family.
std::optional<std::vector<IpAddress>> read_addresses(Context& cx, const Element& e) {
  const std::optional<std::vector<Element>> items = read_list(cx, e);
  if (!items) return std::nullopt;
  if (items->size() > kMaxAddresses) {
    return fail(cx, e, "at most " + std::to_string(kMaxAddresses) + " addresses");
  }
  std::vector<IpAddress> out;
  for (const Element& item : *items) {
    if (std::optional<IpAddress> ip = read_ip(cx, item)) out.push_back(*ip);
  }
  return out;
}

// Why `peer` cannot be one of an instance's peers (`ipv6`: the election's family), given the
// peers before it, or "". A peer is another router on the link: unicast of the election's
// family. IPv6 ones may be link-local, but then all of them: adverts leave from one address
// of the peers' scope (control/vrrp_socket.h, advert_source).
std::string peer_refusal(const IpAddress& peer, bool ipv6, const std::vector<IpAddress>& before) {
  const std::string text = format_ip(peer);
  if (peer.is_v4() == ipv6) {
    return ipv6 ? text + " is IPv4 but the instance runs over IPv6 (its addresses are all IPv6)"
                : text + " is IPv6 but the instance runs over IPv4 (it has IPv4 addresses)";
  }
  const bool link_local = ipv6 && peer.is_link_local();
  const char* why = peer.not_unicast();
  if (why != nullptr && !link_local) return text + " is " + why;
  if (!before.empty() && before.front().is_link_local() != link_local) {
    return text + (link_local ? " is link-local and " : " is global and ") +
           format_ip(before.front()) +
           " is not: peers are all link-local or all global (adverts leave from one address)";
  }
  return "";
}

// Unicast peers; `ipv6` unknown when the addresses had errors (the family is theirs).
std::optional<std::vector<IpAddress>> read_peers(Context& cx, const Element& e,
                                                 std::optional<bool> ipv6) {
  const std::optional<std::vector<Element>> items = read_list(cx, e);
  if (!items) return std::nullopt;
  if (items->size() > kMaxPeers) {
    return fail(cx, e, "at most " + std::to_string(kMaxPeers) + " peers");
  }
  std::vector<IpAddress> out;
  for (const Element& item : *items) {
    const std::optional<IpAddress> ip = read_ip(cx, item);
    if (!ip) continue;
    if (const std::string why = ipv6 ? peer_refusal(*ip, *ipv6, out) : ""; !why.empty()) {
      cx.error(item.origin, why);
      continue;
    }
    out.push_back(*ip);
  }
  return out;
}

void parse_garp(Context& cx, const Element& e, Garp& garp) {
  const Fields f(cx, e, {"repeat", "interval", "delay", "refresh"});
  if (auto v = f.get("repeat")) set(garp.repeat, read_integer(cx, *v, kGarpRepeat));
  if (auto v = f.get("interval")) set(garp.interval_ms, read_seconds_ms(cx, *v, kGarpIntervalMs));
  if (auto v = f.get("delay")) set(garp.delay_ms, read_seconds_ms(cx, *v, kGarpDelayMs));
  if (auto v = f.get("refresh")) set(garp.refresh_ms, read_seconds_ms(cx, *v, kGarpRefreshMs));
}

std::optional<std::vector<std::string>> read_names(Context& cx, const Element& e) {
  const std::optional<std::vector<Element>> items = read_list(cx, e);
  if (!items) return std::nullopt;
  std::vector<std::string> out;
  for (const Element& item : *items) {
    if (std::optional<std::string> name = read_string(cx, item)) out.push_back(std::move(*name));
  }
  return out;
}

void parse_track(Context& cx, const Element& e, Track& track) {
  const Fields f(cx, e, {"interfaces", "services", "workers", "weight"});
  if (auto v = f.get("interfaces")) set(track.interfaces, read_names(cx, *v));
  if (auto v = f.get("services")) set(track.services, read_names(cx, *v));
  if (auto v = f.get("workers")) set(track.workers, read_bool(cx, *v));
  if (auto v = f.get("weight")) set(track.weight, read_integer(cx, *v, kTrackWeight));
}

std::optional<HaInstance> parse_instance(Context& cx, const Element& e) {
  const size_t errors_before = cx.error_count();
  HaInstance in;
  in.origin = e.origin;
  const Fields f(cx, e, {"name", "interface", "vrid", "priority", "interval", "preempt",
                         "preempt_delay", "peers", "addresses", "garp", "track", "aws"});
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
  std::optional<bool> ipv6;  // the election's family, once the addresses are known
  if (auto v = f.require("addresses")) {
    const size_t before = cx.error_count();
    set(in.addresses, read_addresses(cx, *v));
    if (cx.error_count() == before) ipv6 = in.ipv6();
  }
  if (auto v = f.get("peers")) set(in.peers, read_peers(cx, *v, ipv6));
  if (auto v = f.get("garp")) parse_garp(cx, *v, in.garp);
  if (auto v = f.get("track")) parse_track(cx, *v, in.track);
  if (auto v = f.get("aws")) set(in.aws, parse_aws(cx, *v, in.addresses));
  if (cx.error_count() != errors_before) return std::nullopt;
  return in;
}

// A floating address that serves no port is a gateway: the appliance answers ARP or ND for it
// on its subnet, so it must lie on one and be nobody else's.
void check_gateway(const Config& cfg, const IpAddress& a, const Origin& where, Context& cx) {
  bool connected = false;
  for (const Interface& ifc : cfg.interfaces) {
    for (const Prefix& p : ifc.addresses) {
      if (p.address == a) {
        return cx.error(where, format_ip(a) + " is an address of interface " + ifc.name +
                                   "; a floating address must be one of its own");
      }
      connected = connected || p.contains(a);
    }
  }
  if (!connected) {
    cx.error(where, format_ip(a) + " is no virtual service or snat pool address, nor on a " +
                        "connected subnet (where it would be a gateway)");
  }
  for (const VirtualService& vs : cfg.virtual_services) {
    for (const RealServer& rs : vs.real_servers) {
      if (rs.address == a) return cx.error(where, format_ip(a) + " is a real server of " + vs.name);
    }
  }
}

}  // namespace

void parse_ha(Context& cx, const Element& e, Ha& ha) {
  const Fields f(cx, e, {"sync", "instances"});
  if (auto v = f.get("sync")) ha.sync = parse_sync(cx, *v);
  const std::optional<Element> list = f.get("instances");
  if (!list) return;
  const std::optional<std::vector<Element>> items = read_list(cx, *list);
  if (!items) return;
  for (const Element& item : *items) {
    if (std::optional<HaInstance> in = parse_instance(cx, item)) ha.instances.push_back(std::move(*in));
  }
}

void validate_sync(const Config& cfg, const SyncSettings& sync, Context& cx) {
  const auto at = [&](const char* key) { return cx.origin_of(child_path(sync.origin.path, key), sync.origin); };
  const Interface* ifc = nullptr;
  for (const Interface& i : cfg.interfaces) {
    if (i.name == sync.interface) ifc = &i;
  }
  if (ifc == nullptr) return cx.error(at("interface"), "no interface named " + sync.interface);
  if (std::none_of(ifc->addresses.begin(), ifc->addresses.end(), [&](const Prefix& p) {
        return p.address.is_v4() == sync.peer.is_v4();
      })) {
    cx.error(at("interface"), "interface " + sync.interface + " has no " +
                                  (sync.peer.is_v4() ? "IPv4" : "IPv6") + " address to sync from");
  }
  for (const Interface& i : cfg.interfaces) {
    for (const Prefix& p : i.addresses) {
      if (p.address == sync.peer) {
        cx.error(at("peer"), format_ip(sync.peer) + " is an address of this appliance (interface " +
                                 i.name + "), not of its peer");
      }
    }
  }
}

void validate_ha(const Config& cfg, Context& cx) {
  if (cfg.ha.sync) validate_sync(cfg, *cfg.ha.sync, cx);
  std::set<std::string> names;
  // RFC 5798: an IPv4 and an IPv6 virtual router of one VRID are two (their adverts, sockets
  // and virtual MACs differ), as in keepalived.
  std::set<std::tuple<std::string, bool, uint8_t>> vrids;
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
                            [&](const Prefix& p) { return p.address.is_v4() != in.ipv6(); })) {
      // IPv6: an address of the family turns IPv6 on for the TAP twin, whose link-local
      // address the adverts leave from.
      cx.error(at("interface"),
               "interface " + in.interface +
                   (in.ipv6() ? " has no IPv6 address: an instance whose addresses are all IPv6 "
                                "runs over IPv6"
                              : " has no IPv4 address to advertise from"));
    }
    for (const std::string& name : in.track.interfaces) {
      if (std::none_of(cfg.interfaces.begin(), cfg.interfaces.end(),
                       [&name](const Interface& i) { return i.name == name; })) {
        cx.error(at("track"), "track: no interface named " + name);
      }
    }
    for (const std::string& name : in.track.services) {
      if (std::none_of(cfg.virtual_services.begin(), cfg.virtual_services.end(),
                       [&name](const VirtualService& vs) { return vs.name == name; })) {
        cx.error(at("track"), "track: no virtual service named " + name);
      }
    }
    if (!vrids.insert({in.interface, in.ipv6(), in.vrid}).second) {
      cx.error(at("vrid"), "vrid " + std::to_string(in.vrid) + " is used twice on " +
                               in.interface + (in.ipv6() ? " over IPv6" : ""));
    }
    for (const IpAddress& a : in.addresses) {
      if (!is_service_address(cfg, a)) check_gateway(cfg, a, at("addresses"), cx);
      if (!floating.insert(a).second) {
        cx.error(at("addresses"), format_ip(a) + " floats in two instances");
      }
    }
  }
}

}  // namespace sluice::config
