// ICMP errors about balanced connections (RFC 792, RFC 1191): finding the connection a
// received error is about, rewriting it for the other side, and turning a packet into the
// error its sender gets: "fragmentation needed" when it does not fit the way out, "port
// unreachable" when no real server can take its connection.
// Thread safety: pure functions on the packet they are given.
#pragma once

#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "dataplane/conn_table.h"
#include "dataplane/nd.h"
#include "dataplane/neighbour_slots.h"
#include "dataplane/rewrite.h"

namespace sluice::dp {

// ICMP types (RFC 792); DPDK 22.11 names only the echo ones.
inline constexpr uint8_t kIcmpDestinationUnreachable = 3;
inline constexpr uint8_t kIcmpTimeExceeded = 11;
inline constexpr uint8_t kIcmpParameterProblem = 12;
inline constexpr uint8_t kIcmpPortUnreachable = 3;      // codes of destination unreachable
inline constexpr uint8_t kIcmpFragmentationNeeded = 4;

// Errors that quote the packet that caused them and are worth delivering to its sender.
inline bool is_icmp_error(uint8_t type) {
  return type == kIcmpDestinationUnreachable || type == kIcmpTimeExceeded ||
         type == kIcmpParameterProblem;
}

// The quoted packet of an ICMP error: its IP header, and the first 8 bytes of its TCP or
// UDP header (all RFC 792 promises), which hold both ports.
template <class Addr>
struct BasicQuotedPacket {
  uint16_t ip_offset = 0;  // from the start of the frame
  BasicFlowKey<Addr> key;  // as the quoted packet travelled
};
using QuotedPacket = BasicQuotedPacket<uint32_t>;
using QuotedPacket6 = BasicQuotedPacket<Ip6>;

// Finds the quoted TCP/UDP packet in an ICMP error at `icmp` with `length` bytes of ICMP
// message. False when it is no such error or what it quotes is cut short or a fragment.
inline bool quoted_packet_of(const uint8_t* icmp, uint32_t length, uint16_t icmp_offset,
                             QuotedPacket& out) {
  if (length < sizeof(rte_icmp_hdr) + sizeof(rte_ipv4_hdr) + 8) return false;
  if (!is_icmp_error(reinterpret_cast<const rte_icmp_hdr*>(icmp)->icmp_type)) return false;
  const auto* ip = reinterpret_cast<const rte_ipv4_hdr*>(icmp + sizeof(rte_icmp_hdr));
  const uint32_t ihl = (ip->version_ihl & 0x0f) * 4u;
  if ((ip->version_ihl >> 4) != 4 || ihl < sizeof(rte_ipv4_hdr)) return false;
  if (length < sizeof(rte_icmp_hdr) + ihl + 8) return false;
  if (ip->next_proto_id != IPPROTO_TCP && ip->next_proto_id != IPPROTO_UDP) return false;
  if ((ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_OFFSET_MASK)) != 0) return false;  // no ports
  L4Ports ports;
  std::memcpy(&ports, reinterpret_cast<const uint8_t*>(ip) + ihl, sizeof ports);
  out.ip_offset = static_cast<uint16_t>(icmp_offset + sizeof(rte_icmp_hdr));
  out.key = FlowKey{ip->src_addr, ip->dst_addr, ports.src_port, ports.dst_port, ip->next_proto_id};
  return true;
}

// The key of the connection an error is about: the quoted packet went one way, so the
// connection's packets in the other direction carry it with sides swapped. A client's error
// about what the VIP sent it gives the connection's forward key; an error from the servers'
// side about what sluice sent a server gives its return key.
template <class Addr>
BasicFlowKey<Addr> connection_key_of(const BasicFlowKey<Addr>& quoted) {
  BasicFlowKey<Addr> k{};
  k.src_ip = quoted.dst_ip;
  k.dst_ip = quoted.src_ip;
  k.src_port = quoted.dst_port;
  k.dst_port = quoted.src_port;
  k.protocol = quoted.protocol;
  return k;
}

// Header checksum of an IPv4 header with options, the field itself counted as 0.
inline rte_be16_t ipv4_header_checksum(rte_ipv4_hdr& ip) {
  ip.hdr_checksum = 0;
  return static_cast<rte_be16_t>(~rte_raw_cksum(&ip, (ip.version_ihl & 0x0f) * 4u));
}

// One side of a quoted or outer packet that a translation rewrites (network byte order).
template <class Addr>
struct BasicEndpoint {
  Addr ip;
  uint16_t port;
};
using Endpoint = BasicEndpoint<uint32_t>;
using Endpoint6 = BasicEndpoint<Ip6>;

// Rewrites an ICMP error: the outer addresses, and the quoted packet's source and destination
// as the receiver sent it. The quoted TCP/UDP checksum is left as it is (it covers data the
// error no longer carries; IPVS does the same); the quoted IP header, ICMP and outer IP
// checksums are computed afresh: errors are rare and small (at most 576 bytes).
inline void translate_icmp_error(rte_ipv4_hdr& outer, uint16_t icmp_length, rte_ipv4_hdr& quoted,
                                 uint32_t outer_src, uint32_t outer_dst, Endpoint quoted_src,
                                 Endpoint quoted_dst) {
  auto* ports = reinterpret_cast<L4Ports*>(reinterpret_cast<uint8_t*>(&quoted) +
                                           (quoted.version_ihl & 0x0f) * 4u);
  quoted.src_addr = quoted_src.ip;
  quoted.dst_addr = quoted_dst.ip;
  ports->src_port = quoted_src.port;
  ports->dst_port = quoted_dst.port;
  quoted.hdr_checksum = ipv4_header_checksum(quoted);
  auto* icmp = reinterpret_cast<rte_icmp_hdr*>(reinterpret_cast<uint8_t*>(&outer) +
                                               (outer.version_ihl & 0x0f) * 4u);
  icmp->icmp_cksum = 0;
  icmp->icmp_cksum = static_cast<rte_be16_t>(~rte_raw_cksum(icmp, icmp_length));
  outer.src_addr = outer_src;
  outer.dst_addr = outer_dst;
  outer.hdr_checksum = ipv4_header_checksum(outer);
}

// The frame of an error about the packet at `l3_offset` (one segment, headers checked):
// `headers` bytes of room in front of the packet's first `quote` bytes, which stay where they
// are (the Ethernet header moves to the new front, in the headroom), the rest trimmed, and the
// Ethernet header turned back towards the sender from `our_mac`. Returns where the error's
// own headers go, or null when the headroom or the trim fails.
inline uint8_t* make_room_for_error(rte_mbuf* m, uint16_t l3_offset, uint16_t headers,
                                    uint32_t quote, const Mac& our_mac) {
  char* front = rte_pktmbuf_prepend(m, headers);
  if (front == nullptr) return nullptr;
  std::memmove(front, front + headers, l3_offset);  // the Ethernet header
  const uint32_t length = l3_offset + headers + quote;
  if (rte_pktmbuf_trim(m, static_cast<uint16_t>(rte_pktmbuf_pkt_len(m) - length)) != 0) {
    return nullptr;
  }
  auto* eth = reinterpret_cast<rte_ether_hdr*>(front);
  Mac sender;
  std::memcpy(sender.bytes, eth->src_addr.addr_bytes, 6);
  set_macs(*eth, our_mac, sender);
  return reinterpret_cast<uint8_t*>(front) + l3_offset;
}

// Turns the packet at `l3_offset` (IPv4, headers checked) into the ICMP error `type`/`code`
// its sender gets: from the address it was sent to, quoting its IP header and 8 bytes
// (RFC 792), with `mtu` in the "next-hop MTU" field (fragmentation needed, RFC 1191; 0 for
// others), addressed back at the Ethernet layer from `our_mac`. In place: the quote stays
// where it is and the new headers go in the headroom. False if the packet is not in one
// segment.
inline bool make_icmp_error(rte_mbuf* m, uint16_t l3_offset, uint8_t type, uint8_t code,
                            uint16_t mtu, const Mac& our_mac, uint16_t ip_id) {
  if (!rte_pktmbuf_is_contiguous(m)) return false;
  const auto* original = rte_pktmbuf_mtod_offset(m, const rte_ipv4_hdr*, l3_offset);
  const uint32_t quote = (original->version_ihl & 0x0f) * 4u + 8;
  const uint32_t sender = original->src_addr;
  const uint32_t receiver = original->dst_addr;
  constexpr uint16_t kNewHeaders = sizeof(rte_ipv4_hdr) + sizeof(rte_icmp_hdr);
  uint8_t* front = make_room_for_error(m, l3_offset, kNewHeaders, quote, our_mac);
  if (front == nullptr) return false;
  auto* ip = reinterpret_cast<rte_ipv4_hdr*>(front);
  ip->version_ihl = RTE_IPV4_VHL_DEF;
  ip->type_of_service = 0xc0;  // internetwork control, as the kernel sends its errors
  ip->total_length = rte_cpu_to_be_16(static_cast<uint16_t>(kNewHeaders + quote));
  ip->packet_id = rte_cpu_to_be_16(ip_id);
  ip->fragment_offset = 0;
  ip->time_to_live = 64;
  ip->next_proto_id = IPPROTO_ICMP;
  ip->src_addr = receiver;
  ip->dst_addr = sender;
  ip->hdr_checksum = ipv4_header_checksum(*ip);
  auto* icmp = reinterpret_cast<rte_icmp_hdr*>(ip + 1);
  icmp->icmp_type = type;
  icmp->icmp_code = code;
  icmp->icmp_ident = 0;                       // unused
  icmp->icmp_seq_nb = rte_cpu_to_be_16(mtu);  // next-hop MTU (RFC 1191), else unused
  icmp->icmp_cksum = 0;
  icmp->icmp_cksum = static_cast<rte_be16_t>(~rte_raw_cksum(icmp, sizeof(*icmp) + quote));
  return true;
}

// "Fragmentation needed" (RFC 1191) for a packet with DF that does not fit `mtu`.
inline bool make_fragmentation_needed(rte_mbuf* m, uint16_t l3_offset, uint16_t mtu,
                                      const Mac& our_mac, uint16_t ip_id) {
  return make_icmp_error(m, l3_offset, kIcmpDestinationUnreachable, kIcmpFragmentationNeeded, mtu,
                         our_mac, ip_id);
}

// "Port unreachable" for a connection no real server can take, as IPVS answers
// (ip_vs_leave): the client's connect() fails at once instead of waiting for its timeout.
inline bool make_port_unreachable(rte_mbuf* m, uint16_t l3_offset, const Mac& our_mac,
                                  uint16_t ip_id) {
  return make_icmp_error(m, l3_offset, kIcmpDestinationUnreachable, kIcmpPortUnreachable, 0,
                         our_mac, ip_id);
}

// ---- ICMPv6 (RFC 4443) ----

inline constexpr uint8_t kIcmp6DestinationUnreachable = 1;
inline constexpr uint8_t kIcmp6PacketTooBig = 2;
inline constexpr uint8_t kIcmp6TimeExceeded = 3;
inline constexpr uint8_t kIcmp6ParameterProblem = 4;
inline constexpr uint8_t kIcmp6PortUnreachable = 4;  // a code of destination unreachable
inline constexpr uint8_t kIcmp6EchoRequest = 128;
inline constexpr uint8_t kIcmp6EchoReply = 129;
// An error must fit the minimum IPv6 MTU, quote included (RFC 4443 2.4 (c)).
inline constexpr uint16_t kIpv6MinimumMtu = 1280;

inline bool is_icmp6_error(uint8_t type) {
  return type >= kIcmp6DestinationUnreachable && type <= kIcmp6ParameterProblem;
}

// The quoted TCP/UDP packet of an ICMPv6 error at `icmp` (`length` bytes), without
// extension headers. False when it is no such error, or what it quotes is cut short.
inline bool quoted_packet_of6(const uint8_t* icmp, uint32_t length, uint16_t icmp_offset,
                              QuotedPacket6& out) {
  constexpr uint32_t kHeader = 8;  // type, code, checksum, 4 bytes of MTU/pointer/unused
  if (length < kHeader + sizeof(rte_ipv6_hdr) + 8 || !is_icmp6_error(icmp[0])) return false;
  const auto* ip = reinterpret_cast<const rte_ipv6_hdr*>(icmp + kHeader);
  if ((rte_be_to_cpu_32(ip->vtc_flow) >> 28) != 6) return false;
  if (ip->proto != IPPROTO_TCP && ip->proto != IPPROTO_UDP) return false;
  L4Ports ports;
  std::memcpy(&ports, ip + 1, sizeof ports);
  out.ip_offset = static_cast<uint16_t>(icmp_offset + kHeader);
  out.key = FlowKey6{};
  std::memcpy(out.key.src_ip.bytes, ip->src_addr, 16);
  std::memcpy(out.key.dst_ip.bytes, ip->dst_addr, 16);
  out.key.src_port = ports.src_port;
  out.key.dst_port = ports.dst_port;
  out.key.protocol = ip->proto;
  return true;
}

// translate_icmp_error for IPv6: no IP header checksums; the ICMPv6 checksum covers the new
// outer addresses through its pseudo-header.
inline void translate_icmp6_error(rte_ipv6_hdr& outer, uint16_t icmp_length, rte_ipv6_hdr& quoted,
                                  const Ip6& outer_src, const Ip6& outer_dst, Endpoint6 quoted_src,
                                  Endpoint6 quoted_dst) {
  auto* ports = reinterpret_cast<L4Ports*>(&quoted + 1);
  std::memcpy(quoted.src_addr, quoted_src.ip.bytes, 16);
  std::memcpy(quoted.dst_addr, quoted_dst.ip.bytes, 16);
  ports->src_port = quoted_src.port;
  ports->dst_port = quoted_dst.port;
  std::memcpy(outer.src_addr, outer_src.bytes, 16);
  std::memcpy(outer.dst_addr, outer_dst.bytes, 16);
  auto* icmp = reinterpret_cast<uint8_t*>(&outer + 1);
  std::memset(icmp + 2, 0, 2);
  const uint16_t sum = icmp6_checksum(outer, icmp, icmp_length);
  std::memcpy(icmp + 2, &sum, 2);
}

// make_icmp_error for IPv6 (RFC 4443): `rest` is the 32-bit word after the checksum (packet
// too big: the MTU), the quote as much of the packet as fits 1280 bytes in all.
inline bool make_icmp6_error(rte_mbuf* m, uint16_t l3_offset, uint8_t type, uint8_t code,
                             uint32_t rest, const Mac& our_mac) {
  if (!rte_pktmbuf_is_contiguous(m)) return false;
  constexpr uint16_t kNewHeaders = sizeof(rte_ipv6_hdr) + 8;
  const auto* original = rte_pktmbuf_mtod_offset(m, const rte_ipv6_hdr*, l3_offset);
  uint8_t sender[16], receiver[16];
  std::memcpy(sender, original->src_addr, 16);
  std::memcpy(receiver, original->dst_addr, 16);
  const uint32_t original_length = rte_be_to_cpu_16(original->payload_len) + sizeof(rte_ipv6_hdr);
  const uint32_t quote = std::min<uint32_t>(original_length, kIpv6MinimumMtu - kNewHeaders);
  uint8_t* front = make_room_for_error(m, l3_offset, kNewHeaders, quote, our_mac);
  if (front == nullptr) return false;
  auto* ip = reinterpret_cast<rte_ipv6_hdr*>(front);
  ip->vtc_flow = RTE_BE32(6u << 28);
  ip->payload_len = rte_cpu_to_be_16(static_cast<uint16_t>(8 + quote));
  ip->proto = IPPROTO_ICMPV6;
  ip->hop_limits = 64;
  std::memcpy(ip->src_addr, receiver, 16);
  std::memcpy(ip->dst_addr, sender, 16);
  auto* icmp = reinterpret_cast<uint8_t*>(ip + 1);
  icmp[0] = type;
  icmp[1] = code;
  const uint32_t rest_be = rte_cpu_to_be_32(rest);
  std::memset(icmp + 2, 0, 2);
  std::memcpy(icmp + 4, &rest_be, 4);
  const uint16_t sum = icmp6_checksum(*ip, icmp, 8 + quote);
  std::memcpy(icmp + 2, &sum, 2);
  return true;
}

// "Packet too big" (RFC 8201) to the sender, from the address it sent to.
inline bool make_packet_too_big(rte_mbuf* m, uint16_t l3_offset, uint16_t mtu, const Mac& our_mac) {
  return make_icmp6_error(m, l3_offset, kIcmp6PacketTooBig, 0, mtu, our_mac);
}

// "Port unreachable" (destination unreachable, code 4) for a connection no server can take.
inline bool make_port_unreachable6(rte_mbuf* m, uint16_t l3_offset, const Mac& our_mac) {
  return make_icmp6_error(m, l3_offset, kIcmp6DestinationUnreachable, kIcmp6PortUnreachable, 0,
                          our_mac);
}

}  // namespace sluice::dp
