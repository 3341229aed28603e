#include "config/validate.h"

#include <algorithm>
#include <array>
#include <map>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "common/ip_text.h"
#include "config/lcores.h"
#include "config/load_ha.h"
// Plain constants (no DPDK): the sizes the data plane preallocates its tables for.
#include "common/bounds.h"

namespace sluice::config {
namespace {

std::string also_at(const Origin& first) {
  return ", also defined at " + std::to_string(first.line) + ":" + std::to_string(first.column);
}

// The position of field `name` of an item, or of the item when the field took its default.
const Origin& field(const Context& cx, const Origin& item, std::string_view name) {
  return cx.origin_of(child_path(item.path, name), item);
}

// Reports `origin` when an earlier item already used `key`, pointing back at that item.
template <class Key>
void check_unique(std::map<Key, Origin>& seen, const Key& key, const Origin& origin,
                  const std::string& what, Context& cx) {
  const auto [first, inserted] = seen.emplace(key, origin);
  if (!inserted) cx.error(origin, "duplicate " + what + also_at(first->second));
}

// Answers "does one of these prefixes contain the address" with at most 129 hash look-ups
// (33 for IPv4), so that checking every server against every subnet and route stays linear
// in the file's size. Prefixes are kept per family: an IPv4 /0 covers no IPv6 address.
class PrefixSet {
 public:
  void add(const Prefix& p) {
    networks_[p.address.is_v4()][p.length].insert(p.address.masked(p.length));
  }
  bool covers(const IpAddress& ip) const {
    const auto& by_length = networks_[ip.is_v4()];
    for (int length = 0; length <= ip.bits(); ++length) {
      if (by_length[length].contains(ip.masked(length))) return true;
    }
    return false;
  }

 private:
  std::array<std::array<std::unordered_set<IpAddress, IpAddressHash>, 129>, 2> networks_;
};

struct Topology {
  PrefixSet connected;  // the subnets of the interface addresses
  PrefixSet routed;
  std::unordered_map<IpAddress, std::string, IpAddressHash> interface_of;  // own addresses
  std::array<bool, 2> has_family{};  // [is_v4()]: some interface has an address of it
  bool interfaces_complete = true;
  bool routes_complete = true;
};

Topology topology_of(const Draft& draft) {
  Topology topology;
  topology.interfaces_complete = draft.interfaces_complete;
  topology.routes_complete = draft.routes_complete;
  for (const Interface& interface : draft.config.interfaces) {
    for (const Prefix& prefix : interface.addresses) {
      topology.connected.add(prefix);
      topology.interface_of.emplace(prefix.address, interface.name);
      topology.has_family[prefix.address.is_v4()] = true;
    }
  }
  for (const Route& route : draft.config.routes) topology.routed.add(route.prefix);
  return topology;
}

void check_interfaces(const Config& config, Context& cx) {
  std::map<std::string, Origin> names, devices, taps;
  for (const Interface& i : config.interfaces) {
    check_unique(names, i.name, field(cx, i.origin, "name"), "interface name " + quote(i.name), cx);
    // DPDK names a port by the device string before its arguments: two interfaces on one
    // port would fail at start (net_af_packet0,iface=a and net_af_packet0,iface=b).
    const std::string device = port_name_of(i.device);
    check_unique(devices, device, field(cx, i.origin, "device"), "device " + quote(device), cx);
    check_unique(taps, i.tap, field(cx, i.origin, "tap"), "TAP name " + quote(i.tap), cx);
  }
}

void check_routes(const Config& config, const Topology& topology, Context& cx) {
  std::map<std::pair<IpAddress, uint8_t>, Origin> prefixes;
  for (const Route& route : config.routes) {
    check_unique(prefixes, std::pair(route.prefix.address, route.prefix.length),
                 field(cx, route.origin, "prefix"), "route " + format_prefix(route.prefix), cx);
    const Origin& via = field(cx, route.origin, "via");
    const std::string hop = format_ip(route.via);
    if (route.via.is_v4() != route.prefix.address.is_v4()) {
      cx.error(via, "next hop " + hop + " is not of the prefix's family (" +
                        format_prefix(route.prefix) + ")");
      continue;
    }
    if (!topology.interfaces_complete) continue;
    if (const auto own = topology.interface_of.find(route.via);
        own != topology.interface_of.end()) {
      cx.error(via, "next hop " + hop + " is an address of interface " + quote(own->second));
    } else if (!topology.connected.covers(route.via)) {
      cx.error(via, "next hop " + hop + " is not in a connected subnet of any interface");
    }
  }
}

// The entries of one service that send connections to the same address and port. An entry
// without port forwards each port of the service unchanged, so it also collides with an entry
// whose explicit port is one of the service's.
class ServerSet {
 public:
  struct Collision {
    const Origin* first = nullptr;
    std::optional<uint16_t> port;
  };

  explicit ServerSet(const VirtualService& vs) : service_(vs) {}

  // Adds `rs`; returns the earlier entry it collides with, if any. Every address's entries are
  // scanned at most once, when its first port-less entry arrives, so this stays linear.
  std::optional<Collision> add(const RealServer& rs) {
    Entries& entries = by_address_[rs.address];
    if (rs.port) {
      const auto [first, inserted] = entries.translated.emplace(*rs.port, &rs.origin);
      if (!inserted) return Collision{first->second, rs.port};
      if (entries.unchanged && serves(*rs.port)) {
        return Collision{entries.unchanged, rs.port};
      }
      return std::nullopt;
    }
    if (entries.unchanged) return Collision{entries.unchanged, std::nullopt};
    entries.unchanged = &rs.origin;
    for (const auto& [port, first] : entries.translated) {
      if (serves(port)) return Collision{first, port};
    }
    return std::nullopt;
  }

 private:
  struct Entries {
    const Origin* unchanged = nullptr;  // the first entry without port
    std::map<uint16_t, const Origin*> translated;
  };
  // Does a listener of the service take connections on `port`?
  bool serves(uint16_t port) const {
    return std::any_of(service_.listeners.begin(), service_.listeners.end(),
                       [port](const Listener& l) { return l.ports.contains(port); });
  }

  const VirtualService& service_;
  std::unordered_map<IpAddress, Entries, IpAddressHash> by_address_;
};

void check_reachable(const RealServer& rs, Mode mode, const Topology& topology, Context& cx) {
  if (topology.connected.covers(rs.address) || !topology.interfaces_complete) return;
  const Origin& where = field(cx, rs.origin, "address");
  const std::string server = "real server " + format_ip(rs.address);
  if (mode == Mode::dr) {
    // DR rewrites only the destination MAC: the server must be on an interface's segment.
    cx.error(where, server + " is not in a connected subnet (dr mode needs the same L2)");
  } else if (!topology.routed.covers(rs.address) && topology.routes_complete) {
    cx.error(where, server + " is not reachable: no interface subnet or route covers it");
  }
}

void check_real_servers(const VirtualService& vs, const Topology& topology, Context& cx) {
  ServerSet servers(vs);
  for (const RealServer& rs : vs.real_servers) {
    if (const std::optional<ServerSet::Collision> c = servers.add(rs)) {
      std::string server = c->port ? format_endpoint(rs.address, *c->port) : format_ip(rs.address);
      cx.error(rs.origin, "duplicate real server " + server + also_at(*c->first));
    }
    if (!translates_ports(vs.mode) && rs.port) {
      cx.error(field(cx, rs.origin, "port"),
               std::string(to_string(vs.mode)) + " mode cannot translate ports; remove port");
    }
    check_reachable(rs, vs.mode, topology, cx);
  }
  // The fallback server is reached like a real server, with the same limits of the mode, and
  // is not one of them (it would get connections past their max_conns, drain and halt).
  if (vs.fallback) {
    for (const RealServer& rs : vs.real_servers) {
      if (rs.address == vs.fallback->address && rs.port == vs.fallback->port) {
        cx.error(vs.fallback->origin, "the fallback server is also a real server of this service");
      }
    }
    if (!translates_ports(vs.mode) && vs.fallback->port) {
      cx.error(field(cx, vs.fallback->origin, "port"),
               std::string(to_string(vs.mode)) + " mode cannot translate ports; remove port");
    }
    check_reachable(*vs.fallback, vs.mode, topology, cx);
  }
}

// Which service listens where: a port of an address and protocol belongs to one service.
class ListenerSet {
 public:
  // Reports each port range of `l` that an earlier listener already has.
  void add(const Listener& l, const std::vector<PortItem>& ports, Context& cx) {
    for (Protocol protocol : l.protocols) {
      PortRanges& taken = taken_[{l.address, protocol}];
      for (const PortItem& item : ports) {
        if (const std::optional<PortRanges::Overlap> overlap = taken.add(item)) {
          cx.error(item.origin, "duplicate virtual service " + format_host(l.address) + ":" +
                                    format_range(overlap->shared) + "/" + to_string(protocol) +
                                    also_at(overlap->first));
        }
      }
    }
  }

 private:
  std::map<std::pair<IpAddress, Protocol>, PortRanges> taken_;
};

void check_own_address(const Listener& l, const Topology& topology, Context& cx) {
  const auto own = topology.interface_of.find(l.address);
  if (own == topology.interface_of.end()) return;
  cx.error(field(cx, l.origin, "address"),
           "address " + format_ip(l.address) + " is an address of interface " + quote(own->second));
}

// The real servers send their replies to the pool addresses: the appliance answers ARP for
// them on a connected subnet, and they must be nobody else's.
// Addresses other hosts or services use: a pool address among them would make sluice answer
// ARP for a real server, a gateway or a VIP, and take their traffic.
std::map<IpAddress, std::string> addresses_in_use(const Config& config) {
  std::map<IpAddress, std::string> used;
  for (const Route& r : config.routes) used.emplace(r.via, "the next hop of a route");
  for (const VirtualService& vs : config.virtual_services) {
    for (const Listener& l : vs.listeners) {
      used.emplace(l.address, "the address of virtual service " + quote(vs.name));
    }
    for (const RealServer& rs : vs.real_servers) used.emplace(rs.address, "a real server");
    if (vs.fallback) used.emplace(vs.fallback->address, "a fallback server");
  }
  return used;
}

void check_snat_pool(const VirtualService& vs, const Topology& topology,
                     const std::map<IpAddress, std::string>& in_use, Context& cx) {
  std::map<IpAddress, Origin> seen;
  for (size_t i = 0; i < vs.snat_pool.size(); ++i) {
    const IpAddress& a = vs.snat_pool[i];
    const Origin& where = vs.snat_pool_origins[i];
    check_unique(seen, a, where, "snat_pool address " + format_ip(a), cx);
    if (const auto own = topology.interface_of.find(a); own != topology.interface_of.end()) {
      cx.error(where, "snat_pool address " + format_ip(a) + " is an address of interface " +
                          quote(own->second) + "; use an address of its own");
    } else if (!topology.connected.covers(a) && topology.interfaces_complete) {
      cx.error(where, "snat_pool address " + format_ip(a) +
                          " is not in a connected subnet: nothing would answer ARP or ND for it");
    } else if (const auto other = in_use.find(a); other != in_use.end()) {
      cx.error(where, "snat_pool address " + format_ip(a) + " is " + other->second);
    }
  }
}

const char* family_name(const IpAddress& a) { return a.is_v4() ? "IPv4" : "IPv6"; }

// One family per service: sluice does not translate between IPv4 and IPv6 (no NAT64), and
// IP-in-IP carries the client's own family. The appliance has an address of the family (the
// source of its ARP or ND and of tun's header). (The loader took unicast addresses only.)
void check_family(const VirtualService& vs, const Topology& topology, Context& cx) {
  if (vs.listeners.empty()) return;
  const IpAddress& first = vs.listeners.front().address;
  const auto check = [&](const IpAddress& a, const Origin& where, const std::string& what) {
    if (a.is_v4() == first.is_v4()) return;
    cx.error(where, what + " " + format_ip(a) + " is " + family_name(a) +
                        " but the service's address " + format_ip(first) + " is " +
                        family_name(first) + " (no translation between families)");
  };
  if (topology.interfaces_complete && !topology.has_family[first.is_v4()]) {
    cx.error(field(cx, vs.listeners.front().origin, "address"),
             "no interface has an " + std::string(family_name(first)) + " address for " +
                 format_ip(first));
  }
  for (const Listener& l : vs.listeners) {
    check(l.address, field(cx, l.origin, "address"), "listener address");
  }
  for (const RealServer& rs : vs.real_servers) {
    check(rs.address, field(cx, rs.origin, "address"), "real server");
  }
  if (vs.fallback)
    check(vs.fallback->address, field(cx, vs.fallback->origin, "address"), "fallback server");
  for (size_t i = 0; i < vs.snat_pool.size(); ++i) {
    check(vs.snat_pool[i], vs.snat_pool_origins[i], "snat_pool address");
  }
  if (vs.persistence) {
    const Persistence& p = *vs.persistence;
    const Origin& where = field(cx, vs.origin, "persistence.netmask");
    if (!first.is_v4() && !p.prefix_length && p.netmask != Persistence{}.netmask) {
      cx.error(where, "an IPv6 service groups clients by a prefix length (netmask: 64)");
    } else if (first.is_v4() && p.prefix_length > 32) {
      cx.error(where, "prefix length " + std::to_string(*p.prefix_length) +
                          " is longer than an IPv4 address (expected 0..32)");
    }
  }
}

void check_virtual_services(const Draft& draft, const Topology& topology, Context& cx) {
  std::map<std::string, Origin> names;
  ListenerSet listeners;
  const std::map<IpAddress, std::string> in_use = addresses_in_use(draft.config);
  for (size_t i = 0; i < draft.config.virtual_services.size(); ++i) {
    const VirtualService& vs = draft.config.virtual_services[i];
    check_unique(names, vs.name, field(cx, vs.origin, "name"),
                 "virtual service name " + quote(vs.name), cx);
    for (size_t l = 0; l < vs.listeners.size(); ++l) {
      check_own_address(vs.listeners[l], topology, cx);
      listeners.add(vs.listeners[l], draft.listener_ports[i][l], cx);
    }
    check_real_servers(vs, topology, cx);
    check_snat_pool(vs, topology, in_use, cx);
    check_family(vs, topology, cx);
  }
}

// The data plane's tables are sized at compile time (dataplane/bounds.h); a file beyond them
// is refused here rather than overrunning a worker's arrays.
void check_capacity(const Config& config, Context& cx) {
  if (config.interfaces.size() > kMaxInterfaces) {
    cx.error(config.interfaces[kMaxInterfaces].origin,
             "at most " + std::to_string(kMaxInterfaces) + " interfaces");
  }
  if (config.virtual_services.size() > kMaxVirtualServices) {
    cx.error(config.virtual_services[kMaxVirtualServices].origin,
             "at most " + std::to_string(kMaxVirtualServices) + " virtual services");
  }
  // Fallback servers take ids like real servers.
  size_t servers = 0;
  for (const VirtualService& vs : config.virtual_services) {
    for (const RealServer& rs : vs.real_servers) {
      if (++servers == kMaxRealServers + 1) {
        cx.error(rs.origin, "at most " + std::to_string(kMaxRealServers) +
                                " real and fallback servers in all virtual services together");
      }
    }
    if (vs.fallback && ++servers == kMaxRealServers + 1) {
      cx.error(vs.fallback->origin, "at most " + std::to_string(kMaxRealServers) +
                                        " real and fallback servers in all virtual services "
                                        "together");
    }
  }
}

// Every listed port (and exception of `ports: all`) is an entry of the data plane's VIP table,
// per protocol; bounding them bounds the table's memory and the time to build it.
constexpr uint32_t kMaxServicePorts = 4096;
constexpr uint32_t kMaxPortsInAll = 65536;

uint32_t listed_ports(const VirtualService& vs) {
  uint32_t listed = 0;
  for (const Listener& l : vs.listeners) {
    for (const PortRange& r : l.ports.all ? l.ports.except : l.ports.ranges) listed += r.size();
  }
  return listed;
}

void check_listed_ports(const Config& config, Context& cx) {
  uint64_t total = 0;
  for (const VirtualService& vs : config.virtual_services) {
    const uint32_t listed = listed_ports(vs);
    if (listed > kMaxServicePorts) {
      cx.error(vs.origin, "virtual service " + quote(vs.name) + " lists " + std::to_string(listed) +
                              " ports, more than " + std::to_string(kMaxServicePorts) +
                              " (ports: all with except_ports covers large sets)");
      continue;
    }
    if (total <= kMaxPortsInAll && total + listed > kMaxPortsInAll) {
      cx.error(vs.origin, "more than " + std::to_string(kMaxPortsInAll) +
                              " ports listed in all virtual services together");
    }
    total += listed;
  }
}

// "1 lcore", "3 lcores".
std::string counted(size_t n, const std::string& noun) {
  return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}

// The first lcore runs the control plane, each worker one more (Appliance::start refuses
// fewer).
void check_lcores(const Config& config, Context& cx) {
  const Result<std::set<uint32_t>> parsed = parse_lcores(config.eal.lcores);
  const size_t lcores = parsed ? parsed.value().size() : 0;
  const uint32_t needed = config.workers.count + 1;
  if (lcores == 0 || lcores >= needed) return;  // 0: its syntax error is reported already
  const Origin& workers = cx.origin_of("workers.count", Origin{});
  cx.error(cx.origin_of("eal.lcores", workers),
           "eal.lcores " + quote(config.eal.lcores) + " gives " + counted(lcores, "lcore") +
               "; " + counted(config.workers.count, "worker") + " need" +
               (config.workers.count == 1 ? "s " : " ") + std::to_string(needed) +
               " (one more runs the control plane)");
}

// A check that needs a port must find one (config::check_port): a service on every port
// does not say which.
void check_health_ports(const Config& config, Context& cx) {
  for (const VirtualService& vs : config.virtual_services) {
    for (const RealServer& rs : vs.real_servers) {
      const std::optional<HealthCheck>& check = vs.check_of(rs);
      if (!check || check->type == CheckType::ping || check->type == CheckType::on ||
          check->type == CheckType::off || check_port(vs, rs, *check)) {
        continue;
      }
      cx.error(check->origin, "health_check needs a port: virtual service " + quote(vs.name) +
                                  " listens on every port and real server " +
                                  format_ip(rs.address) + " names none");
    }
  }
}

}  // namespace

void validate(const Draft& draft, Context& cx) {
  const Topology topology = topology_of(draft);
  check_lcores(draft.config, cx);
  check_capacity(draft.config, cx);
  check_listed_ports(draft.config, cx);
  check_interfaces(draft.config, cx);
  check_routes(draft.config, topology, cx);
  check_virtual_services(draft, topology, cx);
  check_health_ports(draft.config, cx);
  validate_ha(draft.config, cx);
}

}  // namespace sluice::config
