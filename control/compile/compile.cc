#include "control/compile/compile.h"

#include <arpa/inet.h>

#include <algorithm>
#include <numeric>
#include <span>

#include "common/bounds.h"
#include "control/health/combine.h"
#include "dataplane/hash_tables.h"

namespace sluice::control {

using namespace config;  // this file reads the config model throughout

ServerKey key_of(const VirtualService& vs, const RealServer& rs, bool fallback) {
  return {vs.name, rs.address, rs.port.value_or(0), fallback};
}

ServerIds::ServerIds() {
  for (uint32_t id = 0; id < kMaxRealServers; ++id) free_.push_back(id);
}

std::optional<uint32_t> ServerIds::id_of(const ServerKey& key,
                                         const std::function<bool(uint32_t id)>& carried) {
  if (auto it = ids_.find(key); it != ids_.end()) return it->second;
  // A carried id goes to the back again: it is tried once more after every other free id.
  for (size_t tries = free_.size(); tries > 0; --tries) {
    const uint32_t id = free_.front();
    free_.pop_front();
    if (carried && carried(id)) {
      free_.push_back(id);
      continue;
    }
    ids_.emplace(key, id);
    return id;
  }
  return std::nullopt;
}

void ServerIds::retain(const std::set<ServerKey>& keep) {
  for (auto it = ids_.begin(); it != ids_.end();) {
    if (keep.contains(it->first)) {
      ++it;
    } else {
      free_.push_back(it->second);
      it = ids_.erase(it);
    }
  }
}

std::optional<NextHop> route_to(const Config& cfg, const IpAddress& address) {
  const auto connected = [&cfg](const IpAddress& a) -> std::optional<NextHop> {
    for (size_t i = 0; i < cfg.interfaces.size(); ++i) {
      for (const Prefix& p : cfg.interfaces[i].addresses) {
        if (p.contains(a)) return NextHop{static_cast<uint8_t>(i), a};
      }
    }
    return std::nullopt;
  };
  if (auto hop = connected(address)) return hop;
  const Route* best = nullptr;
  for (const Route& r : cfg.routes) {
    if (r.prefix.contains(address) && (best == nullptr || r.prefix.length > best->prefix.length)) {
      best = &r;
    }
  }
  if (best == nullptr) return std::nullopt;
  return connected(best->via);
}

uint32_t persistence_key_of(const std::string& service) {
  uint32_t h = 2166136261u;  // FNV-1a: stable across runs and builds
  for (unsigned char c : service) h = (h ^ c) * 16777619u;
  return h == 0 ? 1 : h;  // 0 marks an empty persistence slot
}

IpAddress own_address_towards(const Interface& ifc, const IpAddress& next_hop) {
  for (const Prefix& p : ifc.addresses) {
    if (p.contains(next_hop)) return p.address;
  }
  return ifc.addresses.front().address;
}

namespace {

dp::ConnTimeouts conn_timeouts(const Timeouts& t) {
  return {t.tcp, t.tcp_fin, t.tcp_syn, t.tcp_close, t.udp};
}

// wrr walks thresholds from the largest weight down in steps of their gcd (IPVS).
void set_wrr_parameters(dp::VirtualServiceEntry& entry, std::span<const dp::RealServerEntry> s) {
  uint16_t max = 0, gcd = 0;
  for (const dp::RealServerEntry& rs : s) {
    if (!rs.available()) continue;
    max = std::max(max, rs.weight);
    gcd = static_cast<uint16_t>(std::gcd(gcd, rs.weight));
  }
  entry.max_weight = max;
  entry.weight_gcd = gcd == 0 ? 1 : gcd;
}

// Builds the RealServerEntry of one real (or fallback) server and appends it to the snapshot.
struct ServerCompiler {
  const Config& cfg;
  ServerIds& ids;
  const Overrides& overrides;
  const RunStates& run_states;
  KeepOrCut on_failure;  // of the service
  const NeighbourSlotFor& neighbour_slot;
  const dp::ConnTimeouts& timeouts;  // of the service
  dp::Snapshot& snap;
  const std::function<bool(uint32_t id)>& carried;  // Previous::has_connections

  // Each worker judges the thresholds against its own connections, so it gets its share.
  uint32_t per_worker(uint32_t limit) const {
    return limit == 0 ? 0 : std::max<uint32_t>(1, limit / cfg.workers.count);
  }

  // Fails with why the snapshot cannot be built.
  Result<void> add(const ServerKey& key, const RealServer& rs) {
    const std::optional<uint32_t> id = ids.id_of(key, carried);
    if (!id) {
      return Error{"more than " + std::to_string(kMaxRealServers) +
                   " real servers (removed servers' connections included)"};
    }
    const std::optional<NextHop> hop = route_to(cfg, rs.address);
    if (!hop) return Error{"real server unreachable (validation should have caught it)"};
    const std::optional<NeighbourSlot> neighbour = neighbour_slot(*hop);
    if (!neighbour) return Error{"more than " + std::to_string(kMaxNeighbours) + " next hops"};
    Override o;
    if (auto it = overrides.find(key); it != overrides.end()) o = it->second;
    const auto run = run_states.find(key);
    const health::Effective e =
        effective(rs, o, run == run_states.end() ? nullptr : &run->second, on_failure);
    const dp::RealServerEntry server{
        .id = *id,
        .address = rs.address,
        .port = rs.port.value_or(0),
        .weight = static_cast<uint16_t>(e.weight),
        .state = e.state,
        .max_conns = per_worker(rs.max_conns),
        .min_conns = per_worker(rs.min_conns),
        .reachable = neighbour->resolved,
    };
    const IpAddress tunnel_source =
        own_address_towards(cfg.interfaces[hop->interface], hop->address);
    snap.fate_by_id[*id] = {
        .forward = server.state != AdminState::halt,
        .interface = hop->interface,
        .neighbour = neighbour->slot,
        .tunnel_source = tunnel_source.is_v4() ? dp::wire_v4(tunnel_source) : 0,
    };
    if (!tunnel_source.is_v4()) snap.tunnel_source6_by_id[*id] = dp::wire_v6(tunnel_source);
    snap.timeouts_by_id[*id] = timeouts;
    snap.servers.push_back(server);
    return {};
  }
};

std::vector<dp::HashBackend> hash_backends(std::span<const dp::RealServerEntry> list) {
  std::vector<dp::HashBackend> backends;
  for (size_t i = 0; i < list.size(); ++i) {
    if (!list[i].available()) continue;
    backends.push_back({.position = static_cast<uint16_t>(i),
                        .weight = list[i].weight,
                        .identity = IpAddressHash{}(list[i].address) << 16 | list[i].port});
  }
  return backends;
}

bool same_backends(const std::vector<dp::HashBackend>& a, const std::vector<dp::HashBackend>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const auto& x, const auto& y) {
    return x.position == y.position && x.weight == y.weight && x.identity == y.identity;
  });
}

// sh, dh and maglev look servers up in a table built over the servers the configuration
// lets take connections; a change of weight, state or health rebuilds it with the snapshot.
// Building a Maglev table costs about 2.5 ms (65,537 entries): when the service at the same
// place in the previous snapshot had the same servers, its table is copied instead (~10 us),
// so that a health change rebuilds only the tables of the services it touches
// (bench/health_publish: 2,000 servers in 20 maglev services, 49 ms -> see performance.md).
void add_hash_table(dp::VirtualServiceEntry& entry, std::span<const dp::RealServerEntry> list,
                    dp::Snapshot& snap, const dp::Snapshot* previous, size_t index) {
  if (entry.scheduler != Scheduler::sh && entry.scheduler != Scheduler::dh &&
      entry.scheduler != Scheduler::maglev) {
    return;
  }
  const std::vector<dp::HashBackend> backends = hash_backends(list);
  entry.table_first = static_cast<uint32_t>(snap.tables.size());
  if (previous != nullptr && index < previous->services.size()) {
    const dp::VirtualServiceEntry& old = previous->services[index];
    const std::span<const dp::RealServerEntry> old_list(
        previous->servers.data() + old.first_server, old.server_count);
    if (old.scheduler == entry.scheduler && same_backends(hash_backends(old_list), backends)) {
      entry.table_size = old.table_size;
      snap.tables.insert(snap.tables.end(), previous->tables.begin() + old.table_first,
                         previous->tables.begin() + old.table_first + old.table_size);
      return;
    }
  }
  const std::vector<uint16_t> table = entry.scheduler == Scheduler::maglev
                                          ? dp::build_maglev(backends)
                                          : dp::build_static_hash(backends);
  entry.table_size = static_cast<uint32_t>(table.size());
  snap.tables.insert(snap.tables.end(), table.begin(), table.end());
}

template <class Addr>
void insert_listener(dp::BasicVipTable<Addr>& vips, const Listener& l, const Addr& address,
                     uint32_t index) {
  for (const Protocol protocol : l.protocols) {
    const auto number = static_cast<uint8_t>(protocol);
    if (l.ports.all) vips.insert(address, dp::VipTable::kAllPorts, number, index);
    for (const PortRange& r : l.ports.all ? l.ports.except : l.ports.ranges) {
      for (uint32_t port = r.first; port <= r.last; ++port) {
        if (l.ports.all) {
          vips.insert_exception(address, static_cast<uint16_t>(port), number);
        } else {
          vips.insert(address, static_cast<uint16_t>(port), number, index);
        }
      }
    }
  }
}

// Listed ports are keys of their own; `ports: all` is the wildcard of its address and
// protocol, less its exceptions. Validation bounds the ports listed.
void insert_listeners(dp::Snapshot& snap, const VirtualService& vs, uint32_t index) {
  for (const Listener& l : vs.listeners) {
    if (l.address.is_v4()) {
      insert_listener(snap.vips, l, l.address.to_v4(), index);
    } else {
      insert_listener(snap.vips6, l, dp::wire_v6(l.address), index);
    }
  }
}

// The real servers' replies are addressed to the pool: the VIP table knows its addresses.
void add_snat_pool(dp::VirtualServiceEntry& entry, const VirtualService& vs, dp::Snapshot& snap) {
  const bool v4 = vs.snat_pool.empty() || vs.snat_pool.front().is_v4();
  entry.pool_first = static_cast<uint32_t>(v4 ? snap.snat_pool.size() : snap.snat_pool6.size());
  entry.pool_size = static_cast<uint32_t>(vs.snat_pool.size());
  for (const IpAddress& address : vs.snat_pool) {
    if (v4) {
      snap.snat_pool.push_back(dp::wire_v4(address));
      snap.vips.insert_snat_address(address.to_v4());
    } else {
      snap.snat_pool6.push_back(dp::wire_v6(address));
      snap.vips6.insert_snat_address(dp::wire_v6(address));
    }
  }
}

// A nat server's replies are addressed to the client: only their source tells a worker that
// another may hold their connection (dataplane/steering.h).
void add_nat_servers(const VirtualService& vs, dp::Snapshot& snap) {
  if (vs.mode != Mode::nat) return;
  const auto add = [&snap](const RealServer& rs) {
    if (rs.address.is_v4()) {
      snap.vips.insert_nat_server(rs.address.to_v4());
    } else {
      snap.vips6.insert_nat_server(dp::wire_v6(rs.address));
    }
  };
  for (const RealServer& rs : vs.real_servers) add(rs);
  if (vs.fallback) add(*vs.fallback);
}

// The HA instances' floating addresses: those that serve no port are gateways (answered like
// pool addresses); those of instances that are backup here are standby, whatever they are.
template <class Insert>
void for_each_address(const IpAddress& a, dp::Snapshot& snap, Insert insert) {
  if (a.is_v4()) {
    insert(snap.vips, a.to_v4());
  } else {
    insert(snap.vips6, dp::wire_v6(a));
  }
}

void add_floating(const Config& cfg, const std::set<IpAddress>& standby, dp::Snapshot& snap) {
  for (const HaInstance& in : cfg.ha.instances) {
    for (const IpAddress& a : in.addresses) {
      if (is_service_address(cfg, a)) continue;
      for_each_address(a, snap, [](auto& vips, const auto& address) {
        vips.insert_gateway_address(address);
      });
    }
  }
  for (const IpAddress& a : standby) {
    for_each_address(a, snap, [](auto& vips, const auto& address) { vips.insert_standby(address); });
  }
  snap.has_standby = !standby.empty();
}

// With HA sync, the pair splits the snat ports: the appliance with the lower sync address
// deals out the lower half, the other the upper, so a connection synced from the peer keeps
// its port after a takeover without ever meeting a new one of ours (ports 1024..33279 and
// 33280..65535).
void share_snat_ports(const Config& cfg, dp::Snapshot& snap) {
  snap.connection_events = cfg.ha.sync.has_value();
  if (!cfg.ha.sync) return;
  const config::SyncSettings& sync = *cfg.ha.sync;
  IpAddress own;
  for (const Interface& i : cfg.interfaces) {
    for (const Prefix& p : i.addresses) {
      if (i.name == sync.interface && p.address.is_v4() == sync.peer.is_v4()) own = p.address;
    }
  }
  const uint32_t middle = (snap.snat_first_pair + snap.snat_last_pair + 1) / 2;
  if (own < sync.peer) {
    snap.snat_last_pair = middle - 1;
  } else {
    snap.snat_first_pair = middle;
  }
}

// The way to servers that left the configuration stays in the fate table while they have
// connections, as IPVS keeps forwarding a removed destination's connections, unless their
// service said `on_remove: cut`; a halted server's connections were cut already. Kept ids stay
// kept at the next compile while connections last; an id given to a new server is its own.
void keep_removed(dp::Snapshot& snap, const Previous& previous) {
  if (previous.snapshot == nullptr) return;
  const dp::Snapshot& old = *previous.snapshot;
  // A server of the old snapshot follows its service's choice; an id forwarded without a
  // server there was kept by an earlier compile, and stays kept.
  std::vector<bool> keep(kMaxRealServers, true);
  for (const dp::VirtualServiceEntry& service : old.services) {
    const uint32_t end = service.first_server + service.server_count + service.has_fallback;
    for (uint32_t k = service.first_server; k < end; ++k) {
      keep[old.servers[k].id] = service.keep_removed;
    }
  }
  std::vector<bool> taken(kMaxRealServers, false);
  for (const dp::RealServerEntry& s : snap.servers) taken[s.id] = true;
  for (uint32_t id = 0; id < kMaxRealServers; ++id) {
    if (taken[id] || !old.fate_by_id[id].forward || !keep[id] || !previous.has_connections(id)) {
      continue;
    }
    snap.fate_by_id[id] = old.fate_by_id[id];
    snap.tunnel_source6_by_id[id] = old.tunnel_source6_by_id[id];
    snap.timeouts_by_id[id] = old.timeouts_by_id[id];
  }
}

}  // namespace

health::Effective effective(const RealServer& rs, const Override& by_operator,
                            const RunState* run, KeepOrCut on_failure) {
  health::ServerSources sources;
  sources.admin = by_operator.state.value_or(rs.state);
  sources.weight = by_operator.weight.value_or(rs.weight);
  sources.on_failure = on_failure;
  if (run != nullptr) {
    sources.health = run->health;
    sources.agent_percent = run->agent_percent;
    sources.agent_admin = run->agent_admin;
    sources.agent_up = run->agent_up;
  }
  return health::combine(sources);
}

CompileResult compile(const Config& cfg, uint64_t generation, ServerIds& ids,
                      const Overrides& overrides, const NeighbourSlotFor& neighbour_slot,
                      const Previous& previous, const RunStates& run_states,
                      const std::set<IpAddress>& standby) {
  auto snap = std::make_unique<dp::Snapshot>();
  snap->generation = generation;
  snap->timeouts = conn_timeouts(cfg.connections.timeouts);
  snap->fate_by_id.assign(kMaxRealServers, dp::ServerFate{});
  snap->tunnel_source6_by_id.assign(kMaxRealServers, Ip6{});
  snap->service_by_id.assign(kMaxRealServers, dp::kNoService);
  snap->timeouts_by_id.assign(kMaxRealServers, snap->timeouts);

  // Free the ids of servers that left first, so that replacing a whole pool fits.
  std::set<ServerKey> keys;
  for (const VirtualService& vs : cfg.virtual_services) {
    for (const RealServer& rs : vs.real_servers) keys.insert(key_of(vs, rs));
    if (vs.fallback) keys.insert(key_of(vs, *vs.fallback, true));
  }
  ids.retain(keys);
  for (size_t v = 0; v < cfg.virtual_services.size(); ++v) {
    const VirtualService& vs = cfg.virtual_services[v];
    dp::VirtualServiceEntry entry{
        .mode = vs.mode,
        .scheduler = vs.scheduler,
        .first_server = static_cast<uint32_t>(snap->servers.size()),
        .server_count = static_cast<uint32_t>(vs.real_servers.size()),
        .timeouts = conn_timeouts(vs.timeouts),
    };
    entry.keep_removed = vs.on_remove == KeepOrCut::keep;
    ServerCompiler servers{cfg,           ids,           overrides, run_states, vs.on_failure,
                           neighbour_slot, entry.timeouts, *snap, previous.has_connections};
    for (const RealServer& rs : vs.real_servers) {
      if (Result<void> r = servers.add(key_of(vs, rs), rs); !r) return Error{r.error()};
    }
    if (vs.fallback) {
      if (Result<void> r = servers.add(key_of(vs, *vs.fallback, true), *vs.fallback); !r) {
        return Error{r.error()};
      }
      entry.has_fallback = true;
    }
    const std::span<const dp::RealServerEntry> list =
        std::span(snap->servers).subspan(entry.first_server, entry.server_count);
    set_wrr_parameters(entry, list);
    add_hash_table(entry, list, *snap, previous.snapshot, v);
    add_snat_pool(entry, vs, *snap);
    add_nat_servers(vs, *snap);
    if (vs.persistence) {
      entry.persistence_timeout = vs.persistence->timeout;
      entry.persistence_mask = vs.persistence->netmask;
      entry.persistence_prefix6 = vs.persistence->prefix_length.value_or(128);
      entry.persistence_key = persistence_key_of(vs.name);
    }
    for (const dp::RealServerEntry& rs : list) {
      snap->service_by_id[rs.id] = static_cast<uint16_t>(v);
    }
    snap->services.push_back(entry);
    insert_listeners(*snap, vs, static_cast<uint32_t>(v));
  }
  keep_removed(*snap, previous);
  add_floating(cfg, standby, *snap);
  share_snat_ports(cfg, *snap);
  snap->vips.seal();
  snap->vips6.seal();
  return snap;
}

}  // namespace sluice::control
