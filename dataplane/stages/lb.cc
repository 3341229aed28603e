// The load balancer stage (what it does: dataplane/stages/stages.h), as one flow: a bulk lookup
// of the burst, then per packet either a hit (the TCP state and timer move, then transmit.h
// rewrites and sends) or a miss (is it another worker's? a VIP's? then connect.h binds a new
// connection and transmit.h sends it).
#include <algorithm>

#include "dataplane/connect.h"
#include "dataplane/control_channel.h"
#include "dataplane/stages/stages.h"
#include "dataplane/steering.h"
#include "dataplane/transmit.h"

namespace sluice::dp::stages {
namespace {

template <class F>
void on_miss(WorkerCtx& w, const Snapshot& snap, rte_mbuf* m, Arrival arrival);

bool opens_connection(const PacketMeta& meta, uint8_t protocol) {
  if (protocol != IPPROTO_TCP) return true;
  return (meta.tcp_flags & (kTcpSyn | kTcpAck | kTcpRst | kTcpFin)) == kTcpSyn;
}

template <class F>
void on_hit(WorkerCtx& w, const Snapshot& snap, rte_mbuf* m, uint32_t ref) {
  if (meta_of(m).is_icmp_error()) return Transmit<F>::icmp_error(w, snap, m, ref);
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
    Connect<F>::refresh_persistence(w, snap, c);
  }
  bool changed = false;
  if (c.protocol == IPPROTO_TCP) {
    const ConnState next = next_tcp_state(c.state, meta_of(m).tcp_flags, !is_return);
    changed = next != c.state;
    w.stats.server_load[c.server_id].move(c.state, next);
    c.state = next;
  }
  F::table(w).set_expiry(index, w.now + timeout_for<F>(w, snap.timeouts_of(c.server_id), c.state));
  // A few times per connection: the HA peer learns the state and its timeout.
  if (changed) report_connection(w, FromWorker::connection_changed, c);
  if (is_return) {
    Transmit<F>::reverse(w, c, m);
  } else {
    Transmit<F>::forward(w, snap, c, fate, m);
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

  const uint32_t index = Connect<F>::open(w, snap, m, vip);
  if (index == F::Table::kNone) return;  // dropped, and counted
  const auto& c = F::table(w).at(index);
  Transmit<F>::forward(w, snap, c, snap.fate_by_id[c.server_id], m);
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
