// The configuration as workers see it: compiled by the control plane, published by one
// pointer swap, never written after publication, freed only after every worker has passed a
// quiescent point (see control/publisher.h). Workers load the pointer once per burst.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include "common/ip6.h"
#include "common/ip_address.h"
#include "common/names.h"
#include "dataplane/vip_table.h"

namespace sluice::dp {

// An address as packets carry it (network byte order).
inline uint32_t wire_v4(const IpAddress& a) {
  uint32_t v;
  std::memcpy(&v, a.bytes.data() + 12, 4);
  return v;
}
inline Ip6 wire_v6(const IpAddress& a) {
  Ip6 ip;
  std::memcpy(ip.bytes, a.bytes.data(), 16);
  return ip;
}

// One real server of one virtual service.
struct RealServerEntry {
  uint32_t id = 0;  // stable across reloads; indexes per-worker counters (< kMaxRealServers)
  IpAddress address;  // of the service's family
  uint16_t port = 0;          // 0: keep the port the client connected to
  uint16_t weight = 0;
  AdminState state = AdminState::online;
  // (The way to the server, its interface and next hop, is in Snapshot::fate_by_id[id].)
  // This worker's share of the connection thresholds (0: no limit); see scheduler.h.
  uint32_t max_conns = 0;
  uint32_t min_conns = 0;
  // Its next hop's MAC is known: a server added by a reload waits for it (control/compile).
  bool reachable = true;

  // May it take new connections, as far as configuration goes? (The thresholds are judged
  // by the scheduler against live counts; health state joins with a later issue.)
  bool available() const { return state == AdminState::online && weight > 0 && reachable; }
};

struct ConnTimeouts {  // seconds
  uint32_t tcp = 900, tcp_fin = 120, tcp_syn = 60, tcp_close = 10, udp = 300;
};

struct VirtualServiceEntry {
  Mode mode = Mode::nat;
  Scheduler scheduler = Scheduler::wlc;
  uint32_t first_server = 0;  // its real servers are servers[first_server, +server_count)
  uint32_t server_count = 0;
  bool has_fallback = false;  // then servers[first_server + server_count] is the fallback
  // Source-address persistence: off when persistence_timeout is 0. The key is stable across
  // reloads (from the service's name), so recorded clients keep their servers through them.
  uint32_t persistence_timeout = 0;
  uint32_t persistence_mask = 0;      // IPv4 clients, host byte order
  uint8_t persistence_prefix6 = 128;  // IPv6 clients: the bits that count
  uint32_t persistence_key = 0;       // never 0
  // snat: its source addresses are snat_pool[pool_first, +pool_size) (snat_pool6 for IPv6).
  uint32_t pool_first = 0;
  uint32_t pool_size = 0;
  // sh, dh, maglev: their lookup table is tables[table_first, +table_size) (hash_tables.h).
  uint32_t table_first = 0;
  uint32_t table_size = 0;
  // For wrr (IPVS's interleaved weighted round robin), over available servers only:
  uint16_t max_weight = 0;
  uint16_t weight_gcd = 0;
  ConnTimeouts timeouts;  // of its connections (connections.timeouts, or its own)
  // A reload that removes one of its servers keeps forwarding that server's connections
  // (false: cuts them). The control plane reads it from the snapshot being replaced.
  bool keep_removed = true;
};

// What a worker needs to know about a real-server id on packets of existing connections. The
// way to the server lives here, not in the connection, so that a reload that changes a route
// moves existing connections along with new ones. 8 bytes: the entries of a few hundred busy
// servers stay in L1.
struct ServerFate {
  // false: halted, or removed with on_remove: cut; drop packets and expire the connection. A
  // removed server's connections are kept by default: its fate stays while they last.
  bool forward = false;
  uint8_t interface = 0;       // where the server is reached
  uint16_t neighbour = 0;      // slot of its next hop's MAC in NeighbourSlots
  uint32_t tunnel_source = 0;  // tun over IPv4: the outer source address, network byte order
};
static_assert(sizeof(ServerFate) == 8);

inline constexpr uint16_t kNoService = UINT16_MAX;

struct Snapshot {
  uint64_t generation = 0;
  std::vector<VirtualServiceEntry> services;
  std::vector<RealServerEntry> servers;
  std::vector<uint16_t> tables;
  std::vector<uint32_t> snat_pool;  // network byte order, as written into packets
  std::vector<Ip6> snat_pool6;
  std::vector<ServerFate> fate_by_id;     // kMaxRealServers entries
  std::vector<Ip6> tunnel_source6_by_id;  // tun over IPv6: the outer source; kMaxRealServers
  // The service a real-server id serves (kNoService: none), for what a connection needs of
  // its service beyond the way to its server (persistence renewal, dataplane/connect.cc).
  std::vector<uint16_t> service_by_id;  // kMaxRealServers
  VipTable vips;                        // host byte order addresses
  VipTable6 vips6;
  ConnTimeouts timeouts;  // connections.timeouts
  // The timeouts of the connections to each real-server id: its service's, also after a
  // reload removed the server and its connections are kept. kMaxRealServers.
  std::vector<ConnTimeouts> timeouts_by_id;
  // Workers report connections created and closed to the control thread (for HA sync).
  bool connection_events = false;
  // The snat source ports this appliance deals out, in pairs (pair q: ports 2q, 2q+1):
  // all of 1024..65535, or with HA sync one half of them, so that connections synced from
  // the peer keep their port after a takeover and never meet a new one of ours.
  uint32_t snat_first_pair = 1024 / 2;
  uint32_t snat_last_pair = 65535 / 2;
  // Some floating address is standby here (vips or vips6 hold AddressKind::standby): parse
  // then looks up each TCP/UDP destination's kind. Off (no HA, or master of every instance),
  // the check costs one predictable branch.
  bool has_standby = false;

  const ConnTimeouts& timeouts_of(uint32_t id) const { return timeouts_by_id[id]; }
};

}  // namespace sluice::dp
