#include "dataplane/stages/parse.h"

#include <rte_arp.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include <algorithm>
#include <cstring>

#include "dataplane/icmp.h"
#include "dataplane/nd.h"
#include "dataplane/packet_meta.h"

namespace sluice::dp::stages {
namespace {

struct Outcome {
  Stage stage;
  Drop why = Drop::truncated_ethernet;
};

constexpr Outcome dropped(Drop why) { return {Stage::drop, why}; }

// Is `dst` a floating address whose instance is backup here? Nothing to it is forwarded.
// Only looked up while some address is standby (snapshot.h: has_standby).
template <class Table, class Addr>
bool standby(const Snapshot& snap, const Table& vips, const Addr& dst) {
  return snap.has_standby && vips.kind_of(dst) == AddressKind::standby;
}

// TCP and UDP headers of either family: their ports into `key`, TCP's flags into meta.
// `l4_length` is what the IP header says follows it, `l4_room` what of it the first segment
// holds.
template <class Key>
Outcome parse_ports(rte_mbuf* m, uint32_t l4, uint32_t l4_length, uint32_t l4_room, Key& key,
                    PacketMeta& meta, Stage stage) {
  if (key.protocol == IPPROTO_TCP) {
    if (l4_room < sizeof(rte_tcp_hdr)) return dropped(Drop::truncated_l4);
    const auto* tcp = rte_pktmbuf_mtod_offset(m, const rte_tcp_hdr*, l4);
    if ((tcp->data_off >> 4) * 4u < sizeof(rte_tcp_hdr) || (tcp->data_off >> 4) * 4u > l4_room) {
      return dropped(Drop::truncated_l4);
    }
    key.src_port = tcp->src_port;
    key.dst_port = tcp->dst_port;
    meta.tcp_flags = tcp->tcp_flags;
    return {stage};
  }
  if (l4_room < sizeof(rte_udp_hdr)) return dropped(Drop::truncated_l4);
  const auto* udp = rte_pktmbuf_mtod_offset(m, const rte_udp_hdr*, l4);
  // UDP's length covers its header and data and must fit what IP carries (RFC 768); nat
  // would pass a lie about it on to a server unchanged.
  const uint16_t udp_length = rte_be_to_cpu_16(udp->dgram_len);
  if (udp_length < sizeof(rte_udp_hdr) || udp_length > l4_length) {
    return dropped(Drop::bad_udp_length);
  }
  key.src_port = udp->src_port;
  key.dst_port = udp->dst_port;
  meta.tcp_flags = 0;
  return {stage};
}

// An echo request to a VIP goes to echo; an ICMP error about a TCP/UDP packet to lb, which
// looks for the connection it is about; other ICMP (echo to our own addresses, errors about
// the kernel's sockets) is the kernel's.
// The whole message must sit in the first segment: translation rewrites its checksum.
Outcome parse_icmp(const Snapshot& snap, rte_mbuf* m, PacketMeta& meta, uint32_t dst,
                   uint32_t l4, uint32_t length, uint32_t room) {
  if (room < length) return {Stage::kernel};
  const auto* icmp = rte_pktmbuf_mtod_offset(m, const uint8_t*, l4);
  if (length >= sizeof(rte_icmp_hdr) && icmp[0] == RTE_IP_ICMP_ECHO_REQUEST && icmp[1] == 0 &&
      snap.vips.is_vip_address(rte_be_to_cpu_32(dst))) {
    if (rte_raw_cksum(icmp, length) != 0xffff) return dropped(Drop::bad_icmp_checksum);
    return {Stage::echo};
  }
  QuotedPacket quoted;
  if (!quoted_packet_of(icmp, length, static_cast<uint16_t>(l4), quoted)) {
    return {Stage::kernel};
  }
  if (rte_raw_cksum(icmp, length) != 0xffff) return dropped(Drop::bad_icmp_checksum);
  if (standby(snap, snap.vips, rte_be_to_cpu_32(dst))) return dropped(Drop::standby_address);
  meta.quoted_offset = quoted.ip_offset;
  meta.workers_asked = 0;
  meta.key = connection_key_of(quoted.key);
  meta.tcp_flags = 0;
  return {Stage::lb};
}

// IPv4 options (RFC 791 3.1): end of list stops them, no-operation is one byte, any other
// carries a length of at least 2 that keeps it within the header. Only headers with options
// (IHL above 5, rare) pay for the walk.
bool ipv4_options_valid(const uint8_t* options, uint32_t length) {
  for (uint32_t at = 0; at < length;) {
    if (options[at] == 0) return true;  // end of options list
    if (options[at] == 1) {             // no operation
      ++at;
      continue;
    }
    if (at + 1 >= length || options[at + 1] < 2 || at + options[at + 1] > length) return false;
    at += options[at + 1];
  }
  return true;
}

// Sources no host sends from (RFC 1122 3.2.1.3, RFC 6890): 0/8 (this network), 127/8
// (loopback), 224/4 (multicast) and 240/4 (reserved, which holds 255.255.255.255); and the
// destination itself (a "land" packet: the server would answer itself). A connection to
// such a source could only be spoofed, or answered nowhere. Three compares of the first
// octet and one of the addresses, on the line parse has loaded: no measurable cost.
bool martian_source(uint32_t src, uint32_t dst) {
  const uint8_t first = reinterpret_cast<const uint8_t*>(&src)[0];  // network order
  return first == 0 || first == 127 || first >= 224 || src == dst;
}

// The same for IPv6: ::/64, which holds the unspecified address, loopback (::1) and the
// IPv4-compatible and -mapped forms (::ffff:0:0/96), none of them a source on the wire
// (RFC 4291 2.5); ff00::/8 (multicast); fe80::/10 (link-local, which routers do not
// forward, while a VIP is a routed service); and the destination itself. Two 8-byte loads,
// two byte compares and a 16-byte compare.
bool martian_source(const Ip6& src, const Ip6& dst) {
  uint64_t high;
  std::memcpy(&high, src.bytes, 8);
  return high == 0 || src.bytes[0] == 0xff ||
         (src.bytes[0] == 0xfe && (src.bytes[1] & 0xc0) == 0x80) || src == dst;
}

// Headers must sit in the first segment; frames split inside the headers are treated as short.
Outcome parse_ipv4(const Snapshot& snap, rte_mbuf* m, PacketMeta& meta) {
  const uint32_t frame = rte_pktmbuf_data_len(m);
  const uint32_t l3 = sizeof(rte_ether_hdr);
  if (frame < l3 + sizeof(rte_ipv4_hdr)) return dropped(Drop::truncated_ipv4);
  const auto* ip = rte_pktmbuf_mtod_offset(m, const rte_ipv4_hdr*, l3);
  const uint32_t ihl = (ip->version_ihl & 0x0f) * 4u;
  if ((ip->version_ihl >> 4) != 4 || ihl < sizeof(rte_ipv4_hdr)) {
    return dropped(Drop::bad_ipv4_header);
  }
  if (frame < l3 + ihl) return dropped(Drop::truncated_ipv4);
  const uint32_t total = rte_be_to_cpu_16(ip->total_length);
  // Ethernet pads short frames, so the frame may be longer than the IP packet, never shorter.
  if (total < ihl || l3 + total > rte_pktmbuf_pkt_len(m)) return dropped(Drop::bad_ipv4_length);
  // A raw sum of 0xffff over the header (checksum included) means it is intact; ~8 cycles.
  if (rte_raw_cksum(ip, ihl) != 0xffff) return dropped(Drop::bad_ipv4_checksum);
  if (ihl > sizeof(rte_ipv4_hdr) &&
      !ipv4_options_valid(reinterpret_cast<const uint8_t*>(ip + 1), ihl - sizeof(rte_ipv4_hdr))) {
    return dropped(Drop::bad_ip_options);
  }

  const bool fragment = (ip->fragment_offset &
                         rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) != 0;
  if (fragment) {
    return snap.vips.is_vip_address(rte_be_to_cpu_32(ip->dst_addr)) ? dropped(Drop::ip_fragment)
                                                                    : Outcome{Stage::kernel};
  }

  const uint32_t l4 = l3 + ihl;
  const uint32_t l4_room = std::min(total - ihl, frame - l4);
  meta.l3_offset = static_cast<uint16_t>(l3);
  meta.l4_offset = static_cast<uint16_t>(l4);
  meta.key = FlowKey{ip->src_addr, ip->dst_addr, 0, 0, ip->next_proto_id};
  meta.quoted_offset = 0;
  if (ip->next_proto_id == IPPROTO_TCP || ip->next_proto_id == IPPROTO_UDP) {
    if (martian_source(ip->src_addr, ip->dst_addr)) return dropped(Drop::martian_source);
    if (standby(snap, snap.vips, rte_be_to_cpu_32(ip->dst_addr))) {
      return dropped(Drop::standby_address);
    }
    return parse_ports(m, l4, total - ihl, l4_room, meta.key, meta, Stage::lb);
  }
  if (ip->next_proto_id == IPPROTO_ICMP) {
    return parse_icmp(snap, m, meta, ip->dst_addr, l4, total - ihl, l4_room);
  }
  return {Stage::kernel};
}

// A neighbour solicitation for an address of ours in the data plane goes to nd; an echo
// request to a VIP to echo; an error quoting a TCP/UDP packet to lb6, keyed by the connection
// it is about (as ICMP for IPv4); the rest of ICMPv6 (echo to our own addresses,
// advertisements, router discovery) to the kernel.
Outcome parse_icmp6(const Snapshot& snap, rte_mbuf* m, PacketMeta& meta, const rte_ipv6_hdr& ip,
                    uint32_t length, uint32_t room) {
  const uint32_t l4 = sizeof(rte_ether_hdr) + sizeof(ip);
  const auto* icmp = rte_pktmbuf_mtod_offset(m, const uint8_t*, l4);
  Ip6 dst;
  std::memcpy(dst.bytes, ip.dst_addr, 16);
  QuotedPacket6 quoted;
  if (room == length && quoted_packet_of6(icmp, length, static_cast<uint16_t>(l4), quoted)) {
    if (icmp6_checksum(ip, icmp, length) != 0) return dropped(Drop::bad_icmp_checksum);
    if (standby(snap, snap.vips6, dst)) return dropped(Drop::standby_address);
    meta.l3_offset = sizeof(rte_ether_hdr);
    meta.l4_offset = static_cast<uint16_t>(l4);
    meta.quoted_offset = quoted.ip_offset;
    meta.workers_asked = 0;
    meta.key6 = connection_key_of(quoted.key);
    meta.tcp_flags = 0;
    return {Stage::lb6};
  }
  if (room == length && length >= 8 && icmp[0] == kIcmp6EchoRequest && icmp[1] == 0 &&
      snap.vips6.is_vip_address(dst)) {
    if (icmp6_checksum(ip, icmp, length) != 0) return dropped(Drop::bad_icmp_checksum);
    meta.l3_offset = sizeof(rte_ether_hdr);
    meta.l4_offset = static_cast<uint16_t>(l4);
    return {Stage::echo};
  }
  if (room < sizeof(NdMessage)) return {Stage::kernel};
  const auto* nd = reinterpret_cast<const NdMessage*>(icmp);
  if (nd->type != kIcmp6NeighbourSolicitation || ip.hop_limits != kNdHopLimit) {
    return {Stage::kernel};
  }
  // What sluice answers must be a well-formed solicitation (RFC 4861 7.1.1); anything else
  // the kernel may judge.
  if (nd->code != 0 || room != length || icmp6_checksum(ip, icmp, length) != 0) {
    return {Stage::kernel};
  }
  Ip6 target;
  std::memcpy(target.bytes, nd->target, 16);
  if (!snap.vips6.is_vip_address(target)) return {Stage::kernel};
  // Ours to answer, so ours to discard when malformed (silently, as RFC 4861 7.1.1 says).
  if (!solicitation_options_valid(ip, *nd, length)) {
    return dropped(Drop::bad_neighbour_solicitation);
  }
  return {Stage::nd};
}

// IPv6 without extension headers; a packet with any (fragments included) is the kernel's,
// or dropped when it is addressed to a virtual service.
Outcome parse_ipv6(const Snapshot& snap, rte_mbuf* m, PacketMeta& meta) {
  const uint32_t frame = rte_pktmbuf_data_len(m);
  const uint32_t l3 = sizeof(rte_ether_hdr);
  if (frame < l3 + sizeof(rte_ipv6_hdr)) return dropped(Drop::truncated_ipv6);
  const auto* ip = rte_pktmbuf_mtod_offset(m, const rte_ipv6_hdr*, l3);
  if ((rte_be_to_cpu_32(ip->vtc_flow) >> 28) != 6) return dropped(Drop::bad_ipv6_header);
  const uint32_t payload = rte_be_to_cpu_16(ip->payload_len);
  if (l3 + sizeof(rte_ipv6_hdr) + payload > rte_pktmbuf_pkt_len(m)) {
    return dropped(Drop::bad_ipv6_length);
  }
  const uint32_t l4 = l3 + sizeof(rte_ipv6_hdr);
  const uint32_t l4_room = std::min(payload, frame - l4);
  if (ip->proto == IPPROTO_ICMPV6) return parse_icmp6(snap, m, meta, *ip, payload, l4_room);
  Ip6 dst;
  std::memcpy(dst.bytes, ip->dst_addr, 16);
  if (ip->proto != IPPROTO_TCP && ip->proto != IPPROTO_UDP) {
    return snap.vips6.is_vip_address(dst) ? dropped(Drop::ipv6_extension) : Outcome{Stage::kernel};
  }
  meta.l3_offset = static_cast<uint16_t>(l3);
  meta.l4_offset = static_cast<uint16_t>(l4);
  meta.key6 = FlowKey6{};
  std::memcpy(meta.key6.src_ip.bytes, ip->src_addr, 16);
  meta.key6.dst_ip = dst;
  meta.key6.protocol = ip->proto;
  meta.quoted_offset = 0;
  if (martian_source(meta.key6.src_ip, dst)) return dropped(Drop::martian_source);
  if (standby(snap, snap.vips6, dst)) return dropped(Drop::standby_address);
  return parse_ports(m, l4, payload, l4_room, meta.key6, meta, Stage::lb6);
}

Outcome classify_frame(const Snapshot& snap, rte_mbuf* m, PacketMeta& meta) {
  const auto* eth = rte_pktmbuf_mtod(m, const rte_ether_hdr*);
  switch (eth->ether_type) {
    case RTE_BE16(RTE_ETHER_TYPE_ARP):
      if (rte_pktmbuf_data_len(m) < sizeof(rte_ether_hdr) + sizeof(rte_arp_hdr)) {
        return dropped(Drop::truncated_arp);
      }
      return {Stage::arp};
    case RTE_BE16(RTE_ETHER_TYPE_IPV4): return parse_ipv4(snap, m, meta);
    case RTE_BE16(RTE_ETHER_TYPE_IPV6): return parse_ipv6(snap, m, meta);
    default: return {Stage::kernel};
  }
}

// A port may see frames for other hosts: promiscuous where all-multicast is missing, or a
// switch flooding unicast it has not learnt. Such frames are not ours to balance, nor the
// kernel's (its TAP twin would discard them after a ring transfer): a unicast frame for
// another MAC is dropped whatever it carries, as a NIC's own filter would. Group-addressed
// frames pass to ARP (requests are broadcast), neighbour discovery (solicitations go to
// solicited-node groups) and the kernel, but TCP and UDP, and ICMP errors about
// connections, are balanced only when sent to our own MAC: a broadcast SYN to a VIP is
// someone's mistake or a reflection attempt. Two compares of a frame whose first line the
// parse has loaded anyway.
Outcome classify(const Snapshot& snap, rte_mbuf* m, PacketMeta& meta, const Mac& ours) {
  if (rte_pktmbuf_data_len(m) < sizeof(rte_ether_hdr)) return dropped(Drop::truncated_ethernet);
  const auto* eth = rte_pktmbuf_mtod(m, const rte_ether_hdr*);
  const bool to_us = std::memcmp(eth->dst_addr.addr_bytes, ours.bytes, 6) == 0;
  if (!to_us && rte_is_unicast_ether_addr(&eth->dst_addr)) return dropped(Drop::not_for_us);
  const Outcome o = classify_frame(snap, m, meta);
  if (!to_us && (o.stage == Stage::lb || o.stage == Stage::lb6 || o.stage == Stage::echo)) {
    return dropped(Drop::not_for_us);
  }
  return o;
}

}  // namespace

void parse(WorkerCtx& w, const Snapshot& snap, rte_mbuf** pkts, uint16_t n, Sorted& out) {
  for (uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = pkts[i];
    // Prefetch the next frame's headers while this one is parsed: the NIC wrote them and
    // they are not in cache yet.
    if (i + 1 < n) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void*));
    PacketMeta& meta = meta_of(m);
    meta.interface = w.interface_of_port[m->port];
    const Outcome o = classify(snap, m, meta, w.interfaces[meta.interface].mac);
    if (o.stage == Stage::kernel) {
      w.send_to_kernel(m);
    } else if (o.stage == Stage::drop) {
      w.drop(m, o.why);
    } else {
      meta.stage = o.stage;  // so that a worker taking it over knows its stage too
      append(out[static_cast<size_t>(o.stage)], m);
    }
  }
}

}  // namespace sluice::dp::stages
