#include "dataplane/stages/lb.h"

#include <algorithm>

#include "dataplane/family.h"
#include "dataplane/icmp.h"
#include "dataplane/packet_meta.h"
#include "dataplane/rewrite.h"
#include "dataplane/steering.h"

namespace sluice::dp::stages {
namespace {

template <class F>
struct Headers {
  rte_ether_hdr* eth;
  typename F::Header* ip;
  void* l4;
};

template <class F>
Headers<F> headers_of(rte_mbuf* m, const PacketMeta& meta) {
  return {rte_pktmbuf_mtod(m, rte_ether_hdr*),
          rte_pktmbuf_mtod_offset(m, typename F::Header*, meta.l3_offset),
          rte_pktmbuf_mtod_offset(m, void*, meta.l4_offset)};
}

template <class F>
void release(WorkerCtx& w, uint32_t index) {
  const auto& c = F::table(w).at(index);
  w.stats.server_load[c.server_id].remove(c.state);
  F::table(w).remove(index);
}

// SYN floods from spoofed sources (IPVS's anchors: secure_tcp's shorter timeouts, drop_entry's
// eviction under memory pressure). While the table is crowded (3/4 full) a half-open
// connection lives 5 s instead of tcp_syn (60 s by default): a real client completes its
// handshake in one round trip, and a lost SYN is sent again after 1 s and 3 s (Linux), each
// renewing the entry; a spoofed SYN is never followed by an ACK, so a flood recycles its own
// entries 12 times faster.
constexpr uint32_t kCrowdedSynTimeout = 5;
// When the table is full anyway, a new connection takes the place of the half-open one due
// soonest. The search is bounded: 64 steps of the wheel (slots or entries, a cache line
// each), ~100 ns a new connection when the table is full; a flood fills the first slots with
// half-open entries, so the first or second step finds one.
constexpr uint32_t kEvictionBudget = 64;

template <class F>
uint32_t timeout_for(WorkerCtx& w, const ConnTimeouts& timeouts, ConnState state) {
  const uint32_t t = timeout_of(state, timeouts);
  return state == ConnState::syn_recv && F::table(w).crowded() ? std::min(t, kCrowdedSynTimeout)
                                                               : t;
}

// Established connections are never evicted: false when only they fill the table.
template <class F>
bool make_room(WorkerCtx& w) {
  if (!F::table(w).full()) return true;
  const uint32_t victim = F::table(w).half_open_due_soonest(kEvictionBudget);
  if (victim == F::Table::kNone) return false;
  release<F>(w, victim);
  w.stats.half_open_evicted.add(1);
  return true;
}

// A packet larger than its way out allows. sluice does not fragment: the sender learns the
// MTU that fits (IPv4 with DF: ICMP fragmentation needed, RFC 1191; IPv6, where routers never
// fragment: packet too big, RFC 8201), from the address it sent to. An IPv4 packet without
// DF, or a packet that is itself an ICMP error (no errors about errors, RFC 1122), is dropped.
// ICMP errors a worker may send per second (RFC 4443 2.4 (f) and RFC 1812 4.3.2.8 ask for a
// limit): Linux's default rate, per worker, in whole-second windows (so up to twice as many
// across a boundary). A flood of oversized packets costs at most this; one sender can use
// it all up for that second (Linux also limits per destination; sluice does not yet).
constexpr uint32_t kIcmpErrorsPerSecond = 1000;

template <class F>
void too_big(WorkerCtx& w, rte_mbuf* m, uint16_t mtu) {
  const PacketMeta& meta = meta_of(m);
  const auto* ip = rte_pktmbuf_mtod_offset(m, const typename F::Header*, meta.l3_offset);
  if (!F::may_answer_too_big(*ip) || meta.is_icmp_error()) return w.drop(m, Drop::too_big);
  if (w.icmp_second != w.now) {
    w.icmp_second = w.now;
    w.icmp_budget = kIcmpErrorsPerSecond;
  }
  if (w.icmp_budget == 0) return w.drop(m, Drop::icmp_rate_limited);
  if (!F::answer_too_big(w, m, meta.l3_offset, mtu, w.interfaces[meta.interface].mac)) {
    return w.drop(m, Drop::too_big);
  }
  --w.icmp_budget;
  w.stats.icmp_sent.add(1);
  w.transmit(m, meta.interface);
}

// What a packet to a real server may measure: the interface's MTU, less tun's header.
template <class F>
uint16_t room_towards(const WorkerCtx& w, const typename F::Conn& c, const ServerFate& way) {
  return static_cast<uint16_t>(w.interfaces[way.interface].mtu -
                               (c.mode == Mode::tun ? F::kTunnelHeader : 0));
}

// The last step towards a real server, after any nat rewrite: tun wraps the packet in
// IP-in-IP or IPv6-in-IPv6 (the Ethernet header moves with the new front), every mode takes the
// next hop's MAC.
template <class F>
void send_to_server(WorkerCtx& w, const Snapshot& snap, const typename F::Conn& c,
                    const ServerFate& way, rte_mbuf* m, const Mac& next_hop) {
  // (Headroom never runs out: the pool leaves 128 B and this is the only prepend.)
  if (c.mode == Mode::tun && !F::encapsulate(w, snap, c, way, m)) return w.drop(m, Drop::too_big);
  set_macs(*rte_pktmbuf_mtod(m, rte_ether_hdr*), w.interfaces[way.interface].mac, next_hop);
  w.stats.server_packets[c.server_id].add(1);
  w.transmit(m, way.interface);
}

// Client -> real server, the way the current snapshot says.
template <class F>
void forward(WorkerCtx& w, const Snapshot& snap, const typename F::Conn& c, const ServerFate& way,
             rte_mbuf* m) {
  Mac next_hop;
  if (!w.neighbours->get(way.neighbour, next_hop)) return w.drop(m, Drop::neighbour_unresolved);
  const Headers<F> h = headers_of<F>(m, meta_of(m));
  const uint16_t room = room_towards<F>(w, c, way);
  if (F::packet_length(*h.ip) > room) return too_big<F>(w, m, room);
  if (replies_return(c.mode)) {
    if (!F::decrement_ttl(*h.ip)) return w.drop(m, Drop::ttl_exceeded);
    F::rewrite_destination(*h.ip, h.l4, c.server_ip, c.server_port);
    if (c.mode == Mode::snat) F::rewrite_source(*h.ip, h.l4, c.backend_src_ip, c.backend_src_port);
  }
  send_to_server<F>(w, snap, c, way, m, next_hop);
}

// Real server -> client (nat and snat: in dr the server answers the client directly).
template <class F>
void reverse(WorkerCtx& w, const typename F::Conn& c, rte_mbuf* m) {
  const Headers<F> h = headers_of<F>(m, meta_of(m));
  const uint16_t mtu = w.interfaces[c.client_interface].mtu;
  if (F::packet_length(*h.ip) > mtu) return too_big<F>(w, m, mtu);
  if (!F::decrement_ttl(*h.ip)) return w.drop(m, Drop::ttl_exceeded);
  F::rewrite_source(*h.ip, h.l4, c.vip_ip, c.vip_port);
  if (c.mode == Mode::snat) F::rewrite_destination(*h.ip, h.l4, c.client_ip, c.client_port);
  set_macs(*h.eth, w.interfaces[c.client_interface].mac, c.client_mac);
  w.transmit(m, c.client_interface);
}

// An ICMP error about a connection, passed to its other side as that side knows the
// connection. A client's error about what the VIP sent it goes to the real server (nat and
// snat: addressed to the server, quoting what the server sent); an error from the servers'
// side about what sluice sent a server goes to the client, from the VIP, quoting what the
// client sent (as IPVS does). The connection's state and timer follow its own packets only.
template <class F>
void on_icmp_error(WorkerCtx& w, const Snapshot& snap, rte_mbuf* m, uint32_t ref) {
  const auto& c = F::table(w).at(ref >> 1);
  const bool from_server_side = ref & 1;
  const PacketMeta& meta = meta_of(m);
  auto* outer = rte_pktmbuf_mtod_offset(m, typename F::Header*, meta.l3_offset);
  auto* quoted = rte_pktmbuf_mtod_offset(m, typename F::Header*, meta.quoted_offset);
  const auto icmp_length =
      static_cast<uint16_t>(F::packet_length(*outer) - (meta.l4_offset - meta.l3_offset));
  if (from_server_side) {
    const uint16_t mtu = w.interfaces[c.client_interface].mtu;
    if (F::packet_length(*outer) > mtu) return too_big<F>(w, m, mtu);
    if (!F::decrement_ttl(*outer)) return w.drop(m, Drop::ttl_exceeded);
    F::translate_error(*outer, icmp_length, *quoted, c.vip_ip, c.client_ip,
                       {c.client_ip, c.client_port}, {c.vip_ip, c.vip_port});
    set_macs(*rte_pktmbuf_mtod(m, rte_ether_hdr*), w.interfaces[c.client_interface].mac,
             c.client_mac);
    w.stats.icmp_translated.add(1);
    return w.transmit(m, c.client_interface);
  }
  const ServerFate& way = snap.fate_by_id[c.server_id];
  if (!way.forward) return w.drop(m, Drop::server_halted);
  Mac next_hop;
  if (!w.neighbours->get(way.neighbour, next_hop)) return w.drop(m, Drop::neighbour_unresolved);
  const uint16_t room = room_towards<F>(w, c, way);
  if (F::packet_length(*outer) > room) return too_big<F>(w, m, room);
  if (replies_return(c.mode)) {
    if (!F::decrement_ttl(*outer)) return w.drop(m, Drop::ttl_exceeded);
    // snat servers cannot reach the client's side: the error comes from the pool address.
    const typename F::Addr source = c.mode == Mode::snat ? c.backend_src_ip : F::source(*outer);
    F::translate_error(*outer, icmp_length, *quoted, source, c.server_ip,
                       {c.server_ip, c.server_port}, {c.backend_src_ip, c.backend_src_port});
  }
  w.stats.icmp_translated.add(1);
  send_to_server<F>(w, snap, c, way, m, next_hop);
}

template <class F>
void on_miss(WorkerCtx& w, const Snapshot& snap, rte_mbuf* m, Arrival arrival);

// snat source ports: 1024..65535, dealt to workers by owner_of_port, so that the port of a
// reply names the worker that holds its connection. Ports go in pairs (bit 0 is not part of
// the owner): pair q is ports 2q and 2q+1.
constexpr uint32_t kFirstSnatPair = 1024 / 2;
constexpr uint32_t kLastSnatPair = 65535 / 2;
// Candidates tried per new connection before giving up: a busy pool fails fast instead of
// walking 64k ports on a worker.
constexpr uint32_t kSnatTries = 64;

// Inserts an snat connection with the next free (pool address, port) of this worker's share.
template <class F>
uint32_t insert_snat(WorkerCtx& w, const Snapshot& snap, const VirtualServiceEntry& service,
                     typename F::Conn& c) {
  if (service.pool_size == 0) return F::Table::kTaken;  // validation requires one
  // This worker's pairs: first, first + workers, ... (all with pair % workers == id).
  const uint32_t first =
      kFirstSnatPair + (w.id + w.worker_count - kFirstSnatPair % w.worker_count) % w.worker_count;
  const uint32_t share = 2 * ((kLastSnatPair - first) / w.worker_count + 1);  // ports
  for (uint32_t attempt = 0; attempt < kSnatTries; ++attempt) {
    const uint32_t n = w.snat_cursor++;
    const uint32_t port = 2 * (first + (n % share) / 2 * w.worker_count) + (n & 1);
    c.backend_src_ip = F::pool(snap, service.pool_first + (n / share) % service.pool_size);
    c.backend_src_port = rte_cpu_to_be_16(static_cast<uint16_t>(port));
    const uint32_t index = F::table(w).insert(c, true);
    if (index != F::Table::kTaken) return index;
  }
  return F::Table::kTaken;
}

// The server this client (its persistence group) went to last, while the entry is fresh
// and the server can still take connections (a halted, drained or full one lets it move).
uint32_t persistent_server(WorkerCtx& w, const VirtualServiceEntry& service,
                           std::span<const RealServerEntry> servers, WorkerView view,
                           uint32_t group) {
  if (service.persistence_timeout == 0) return kNoServer;
  const std::optional<uint32_t> id = w.persistence->find(service.persistence_key, group, w.now);
  if (!id) return kNoServer;
  for (uint32_t i = 0; i < servers.size(); ++i) {
    if (servers[i].id == *id) return can_take(servers[i], view) ? i : kNoServer;
  }
  return kNoServer;  // the server left the service
}

// A persistence entry lives while its connections carry packets (IPVS keeps its template
// while it has connections): each connection refreshes it at most once per 4-second tick,
// one byte compared per packet otherwise. (An entry is not renewed by an idle connection.)
uint8_t persistence_tick(uint32_t now) { return static_cast<uint8_t>(0x80 | ((now >> 2) & 0x7f)); }

template <class F>
void refresh_persistence(WorkerCtx& w, const Snapshot& snap, typename F::Conn& c) {
  c.persistence_tick = persistence_tick(w.now);
  const uint16_t v = snap.service_by_id[c.server_id];
  if (v == kNoService || snap.services[v].persistence_timeout == 0) return;  // changed by reload
  const VirtualServiceEntry& service = snap.services[v];
  w.persistence->record({service.persistence_key, F::persistence_group(c.client_ip, service),
                         c.server_id, w.now + service.persistence_timeout},
                        w.now);
}

bool opens_connection(const PacketMeta& meta, uint8_t protocol) {
  if (protocol != IPPROTO_TCP) return true;
  return (meta.tcp_flags & (kTcpSyn | kTcpAck | kTcpRst | kTcpFin)) == kTcpSyn;
}

template <class F>
void on_hit(WorkerCtx& w, const Snapshot& snap, rte_mbuf* m, uint32_t ref) {
  if (meta_of(m).is_icmp_error()) return on_icmp_error<F>(w, snap, m, ref);
  const uint32_t index = ref >> 1;
  const bool is_return = ref & 1;
  auto& c = F::table(w).at(index);
  // A client reusing the tuple of a closing connection starts a new one: scheduled afresh,
  // so a drained server takes none, and counted (IPVS conn_reuse_mode).
  if (!is_return && c.protocol == IPPROTO_TCP && opens_connection(meta_of(m), c.protocol) &&
      (c.state == ConnState::fin_wait || c.state == ConnState::close)) {
    release<F>(w, index);
    return on_miss<F>(w, snap, m, Arrival::handed_off);  // this worker holds it: no hand-off
  }
  // A halted (or cut) server's connections are cut: packets dropped, and the client's next
  // segment is not rescheduled (it carries no SYN). A TCP entry stays, closed, until its
  // timer runs out (no packet renews it), so the client's retransmissions count as
  // server_halted too, not tcp_no_conn, and a new SYN on the tuple starts afresh (reuse
  // above). A UDP entry goes at once: the next datagram is a new connection.
  const ServerFate& fate = snap.fate_by_id[c.server_id];
  if (!fate.forward) {
    if (c.protocol != IPPROTO_TCP) {
      release<F>(w, index);
    } else if (c.state != ConnState::close) {
      w.stats.server_load[c.server_id].move(c.state, ConnState::close);
      c.state = ConnState::close;
    }
    return w.drop(m, Drop::server_halted);
  }
  if (c.persistence_tick != 0 && c.persistence_tick != persistence_tick(w.now)) {
    refresh_persistence<F>(w, snap, c);
  }
  if (c.protocol == IPPROTO_TCP) {
    const ConnState next = next_tcp_state(c.state, meta_of(m).tcp_flags, !is_return);
    w.stats.server_load[c.server_id].move(c.state, next);
    c.state = next;
  }
  F::table(w).set_expiry(index, w.now + timeout_for<F>(w, snap.timeouts_of(c.server_id), c.state));
  if (is_return) {
    reverse<F>(w, c, m);
  } else {
    forward<F>(w, snap, c, fate, m);
  }
}

// A bulk hit can go stale within its own bulk: an earlier packet may have freed that
// connection (halt) and a later one reused the entry. 16-byte (IPv6: 40) compare.
template <class F>
bool still_current(const typename F::Table& conns, uint32_t ref, const typename F::Key& key) {
  const auto& c = conns.at(ref >> 1);
  if (!c.live) return false;
  const typename F::Key indexed = (ref & 1) ? c.return_key() : c.forward_key();
  return std::memcmp(&indexed, &key, sizeof key) == 0;
}

// An ICMP error about a dr or tun connection: the worker holding it is the one the NIC gave
// the client's packets to, and the error's own hash need not lead there (RSS hashes an ICMP
// packet by its addresses only). With several workers it is asked of each in turn: errors are
// rare, and a ring is cheaper than a shared table.
template <class F>
bool searched_worker_by_worker(const Snapshot& snap, const typename F::Key& k) {
  const uint32_t vip =
      F::vips(snap).find(F::vip_form(k.dst_ip), rte_be_to_cpu_16(k.dst_port), k.protocol);
  return vip != VipTable::kNone && !steered(snap.services[vip].mode);
}

template <class F>
void on_miss(WorkerCtx& w, const Snapshot& snap, rte_mbuf* m, Arrival arrival) {
  PacketMeta& meta = meta_of(m);
  const typename F::Key& k = F::key(meta);
  const uint32_t ref = F::table(w).lookup(k);
  if (ref != F::Table::kNone) return on_hit<F>(w, snap, m, ref);
  if (arrival == Arrival::from_wire && w.worker_count > 1) {
    const uint16_t owner = owner_of<F>(snap, k, w.id, w.worker_count);
    if (owner != w.id) return w.hand_off(m, owner);
  }
  if (meta.is_icmp_error()) {
    if (++meta.workers_asked < w.worker_count && searched_worker_by_worker<F>(snap, k)) {
      return w.hand_off(m, static_cast<uint16_t>((w.id + 1) % w.worker_count));
    }
    return w.send_to_kernel(m);  // about no connection of ours
  }

  const auto& vips = F::vips(snap);
  const auto dst = F::vip_form(k.dst_ip);
  const uint32_t vip = vips.find(dst, rte_be_to_cpu_16(k.dst_port), k.protocol);
  if (vip == VipTable::kNone) {
    if (vips.is_vip_address(dst)) return w.drop(m, Drop::no_service);
    return w.send_to_kernel(m);
  }
  if (!opens_connection(meta, k.protocol)) return w.drop(m, Drop::tcp_no_conn);

  const VirtualServiceEntry& service = snap.services[vip];
  const std::span<const RealServerEntry> servers(snap.servers.data() + service.first_server,
                                                 service.server_count);
  const std::span<const uint16_t> table(snap.tables.data() + service.table_first,
                                        service.table_size);
  const WorkerView view{w.stats.server_load.data(), w.overloaded.data()};
  const uint32_t client = F::fold(k.src_ip);
  const uint32_t group = F::persistence_group(k.src_ip, service);
  uint32_t pick = persistent_server(w, service, servers, view, group);
  if (pick == kNoServer) {
    pick = pick_server(service, servers, table, w.cursors[vip], view,
                       {.client = client, .vip = F::fold(k.dst_ip)});
  }
  // Only when no real server can take it does the fallback (sorry) server get it.
  if (pick == kNoServer && service.has_fallback) pick = service.server_count;
  if (pick == kNoServer) return w.drop(m, Drop::no_server);
  const RealServerEntry& s = snap.servers[service.first_server + pick];

  typename F::Conn c{};
  c.client_ip = k.src_ip;
  c.backend_src_ip = k.src_ip;  // the source the real server sees (snat replaces it)
  c.backend_src_port = k.src_port;
  c.vip_ip = k.dst_ip;
  c.server_ip = F::wire(s.address);
  c.client_port = k.src_port;
  c.vip_port = k.dst_port;
  c.server_port = s.port != 0 ? rte_cpu_to_be_16(s.port) : k.dst_port;
  c.protocol = k.protocol;
  c.state = k.protocol == IPPROTO_TCP ? ConnState::syn_recv : ConnState::udp;
  c.mode = service.mode;
  c.client_interface = meta.interface;
  std::memcpy(c.client_mac.bytes, rte_pktmbuf_mtod(m, rte_ether_hdr*)->src_addr.addr_bytes, 6);
  c.server_id = s.id;
  c.expires = w.now + timeout_for<F>(w, service.timeouts, c.state);
  if (!make_room<F>(w)) return w.drop(m, Drop::conn_table_full);
  const uint32_t index = service.mode == Mode::snat
                             ? insert_snat<F>(w, snap, service, c)
                             : F::table(w).insert(c, replies_return(service.mode));
  if (index == F::Table::kNone) return w.drop(m, Drop::conn_table_full);
  if (index == F::Table::kTaken) {
    return w.drop(m, service.mode == Mode::snat ? Drop::snat_no_free_port : Drop::nat_tuple_taken);
  }

  if (service.persistence_timeout != 0 && pick < service.server_count) {
    w.persistence->record(
        {service.persistence_key, group, s.id, w.now + service.persistence_timeout}, w.now);
    F::table(w).at(index).persistence_tick = persistence_tick(w.now);
  }
  w.stats.conns_created.add(1);
  report_connection(w, FromWorker::connection_created, F::table(w).at(index));
  w.stats.server_load[s.id].add(c.state);
  w.stats.server_total_conns[s.id].add(1);
  forward<F>(w, snap, F::table(w).at(index), snap.fate_by_id[s.id], m);
}

template <class F>
void balance(WorkerCtx& w, const Snapshot& snap, const PacketList& in, Arrival arrival) {
  using Table = typename F::Table;
  for (uint16_t base = 0; base < in.n; base += Table::kBulk) {
    const uint32_t n = std::min<uint32_t>(in.n - base, Table::kBulk);
    const typename F::Key* keys[Table::kBulk];
    uint32_t refs[Table::kBulk];
    for (uint32_t i = 0; i < n; ++i) keys[i] = &F::key(meta_of(in.pkts[base + i]));
    // One bulk lookup for the burst: rte_hash pipelines the bucket loads of all keys.
    const uint64_t hits = F::table(w).lookup_bulk(keys, n, refs);
    for (uint32_t i = 0; i < n; ++i) {
      rte_mbuf* m = in.pkts[base + i];
      if (((hits >> i) & 1) && still_current<F>(F::table(w), refs[i], *keys[i])) {
        on_hit<F>(w, snap, m, refs[i]);
      } else {
        on_miss<F>(w, snap, m, arrival);
      }
    }
  }
}

}  // namespace

void lb(WorkerCtx& w, const Snapshot& snap, const PacketList& in, Arrival arrival) {
  balance<V4>(w, snap, in, arrival);
}

void lb6(WorkerCtx& w, const Snapshot& snap, const PacketList& in, Arrival arrival) {
  if (w.conns6 == nullptr) {  // no IPv6 address on any interface: nothing is ours
    for (uint16_t i = 0; i < in.n; ++i) w.send_to_kernel(in.pkts[i]);
    return;
  }
  balance<V6>(w, snap, in, arrival);
}

}  // namespace sluice::dp::stages
