#include "dataplane/transmit.h"

namespace sluice::dp {
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

// A packet larger than its way out allows. sluice does not fragment: the sender learns the
// MTU that fits (IPv4 with DF: ICMP fragmentation needed, RFC 1191; IPv6, where routers never
// fragment: packet too big, RFC 8201), from the address it sent to. An IPv4 packet without
// DF, or a packet that is itself an ICMP error (no errors about errors, RFC 1122), is dropped.
// ICMP errors a worker may send per second (RFC 4443 2.4 (f) and RFC 1812 4.3.2.8 ask for a
// limit): Linux's default rate, per worker, in whole-second windows (so up to twice as many
// across a boundary). A flood of oversized packets costs at most this; one sender can use
// it all up for that second (Linux also limits per destination; sluice does not yet).
constexpr uint32_t kIcmpErrorsPerSecond = 1000;

bool spend_icmp_budget(WorkerCtx& w) { return w.icmp_budget.take(w.now, kIcmpErrorsPerSecond); }

template <class F>
void too_big(WorkerCtx& w, rte_mbuf* m, uint16_t mtu) {
  const PacketMeta& meta = meta_of(m);
  const auto* ip = rte_pktmbuf_mtod_offset(m, const typename F::Header*, meta.l3_offset);
  if (!F::may_answer_too_big(*ip) || meta.is_icmp_error()) return w.drop(m, Drop::too_big);
  if (!spend_icmp_budget(w)) return w.drop(m, Drop::icmp_rate_limited);
  if (!F::answer_too_big(w, m, meta.l3_offset, mtu, w.interfaces[meta.interface].mac)) {
    return w.drop(m, Drop::too_big);
  }
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
  const uint16_t length = F::packet_length(
      *rte_pktmbuf_mtod_offset(m, const typename F::Header*, meta_of(m).l3_offset));
  // (Headroom never runs out: the pool leaves 128 B and this is the only prepend.)
  if (c.mode == Mode::tun && !F::encapsulate(w, snap, c, way, m)) return w.drop(m, Drop::too_big);
  set_macs(*rte_pktmbuf_mtod(m, rte_ether_hdr*), w.interfaces[way.interface].mac, next_hop);
  w.stats.server_traffic[c.server_id].count_in(length);
  w.transmit(m, way.interface);
}

}  // namespace

// Counted under its reason whether answered or not; the answer shares the ICMP budget with
// too_big, so a flood of refused SYNs costs at most 1000 answers a second per worker.
template <class F>
void Transmit<F>::refuse(WorkerCtx& w, rte_mbuf* m, Drop why) {
  w.stats.drops[static_cast<size_t>(why)].add(1);
  const PacketMeta& meta = meta_of(m);
  if (meta.is_icmp_error() || !spend_icmp_budget(w) ||
      !F::answer_unreachable(w, m, meta.l3_offset, w.interfaces[meta.interface].mac)) {
    rte_pktmbuf_free(m);
    return;
  }
  w.stats.icmp_sent.add(1);
  w.transmit(m, meta.interface);
}

template <class F>
void Transmit<F>::forward(WorkerCtx& w, const Snapshot& snap, const Conn& c, const ServerFate& way,
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

template <class F>
void Transmit<F>::reverse(WorkerCtx& w, const Conn& c, rte_mbuf* m) {
  const Headers<F> h = headers_of<F>(m, meta_of(m));
  const uint16_t mtu = w.interfaces[c.client_interface].mtu;
  const uint16_t length = F::packet_length(*h.ip);
  if (length > mtu) return too_big<F>(w, m, mtu);
  if (!F::decrement_ttl(*h.ip)) return w.drop(m, Drop::ttl_exceeded);
  F::rewrite_source(*h.ip, h.l4, c.vip_ip, c.vip_port);
  if (c.mode == Mode::snat) F::rewrite_destination(*h.ip, h.l4, c.client_ip, c.client_port);
  set_macs(*h.eth, w.interfaces[c.client_interface].mac, c.client_mac);
  w.stats.server_traffic[c.server_id].count_out(length);
  w.transmit(m, c.client_interface);
}

// An ICMP error about a connection, passed to its other side as that side knows the
// connection. A client's error about what the VIP sent it goes to the real server (nat and
// snat: addressed to the server, quoting what the server sent); an error from the servers'
// side about what sluice sent a server goes to the client, from the VIP, quoting what the
// client sent (as IPVS does). The connection's state and timer follow its own packets only.
template <class F>
void Transmit<F>::icmp_error(WorkerCtx& w, const Snapshot& snap, rte_mbuf* m, uint32_t ref) {
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

template struct Transmit<V4>;
template struct Transmit<V6>;

}  // namespace sluice::dp
