// Header rewrites of the forwarding modes, on a frame whose headers the parse stage checked.
// Checksums are patched incrementally (dataplane/checksum.h), never recomputed over payload.
// Thread safety: pure functions on the packet they are given.
#pragma once

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include <cstddef>
#include <cstring>

#include "dataplane/checksum.h"
#include "dataplane/neighbour_slots.h"

namespace sluice::dp {

struct L4Ports {  // the first four bytes of both TCP and UDP headers
  uint16_t src_port;
  uint16_t dst_port;
};

inline void set_macs(rte_ether_hdr& eth, const Mac& src, const Mac& dst) {
  std::memcpy(eth.src_addr.addr_bytes, src.bytes, 6);
  std::memcpy(eth.dst_addr.addr_bytes, dst.bytes, 6);
}

// Applies `update` to the L4 checksum, except for UDP sent without one (0 must stay 0).
// DPDK's TCP/UDP headers are packed structs, so the field is reached through memcpy.
template <typename Update>
inline void patch_l4_checksum(uint8_t protocol, void* l4, Update&& update) {
  const size_t offset =
      protocol == IPPROTO_TCP ? offsetof(rte_tcp_hdr, cksum) : offsetof(rte_udp_hdr, dgram_cksum);
  uint8_t* field = static_cast<uint8_t*>(l4) + offset;
  uint16_t check;
  std::memcpy(&check, field, 2);
  if (protocol == IPPROTO_UDP && check == 0) return;
  check = update(check);
  // In UDP a computed 0 is sent as 0xffff; 0 means "no checksum" (RFC 768).
  if (protocol == IPPROTO_UDP && check == 0) check = 0xffff;
  std::memcpy(field, &check, 2);
}

// Routed packets lose one TTL. Returns false when the packet must not be forwarded.
inline bool decrement_ttl(rte_ipv4_hdr& ip) {
  if (ip.time_to_live <= 1) return false;
  uint16_t old_word;
  std::memcpy(&old_word, &ip.time_to_live, 2);  // TTL and protocol form one checksum word
  --ip.time_to_live;
  uint16_t new_word;
  std::memcpy(&new_word, &ip.time_to_live, 2);
  ip.hdr_checksum = csum_replace16(ip.hdr_checksum, old_word, new_word);
  return true;
}

// nat, client -> server: the destination becomes the real server (address, and port when
// it translates: new_port != 0 and differs).
inline void nat_rewrite_destination(rte_ipv4_hdr& ip, void* l4, uint32_t new_ip,
                                    uint16_t new_port) {
  auto* ports = static_cast<L4Ports*>(l4);
  patch_l4_checksum(ip.next_proto_id, l4, [&](uint16_t c) {
    return csum_replace16(csum_replace32(c, ip.dst_addr, new_ip), ports->dst_port, new_port);
  });
  ip.hdr_checksum = csum_replace32(ip.hdr_checksum, ip.dst_addr, new_ip);
  ip.dst_addr = new_ip;
  ports->dst_port = new_port;
}

// nat, server -> client: the source becomes the virtual service again.
inline void nat_rewrite_source(rte_ipv4_hdr& ip, void* l4, uint32_t new_ip, uint16_t new_port) {
  auto* ports = static_cast<L4Ports*>(l4);
  patch_l4_checksum(ip.next_proto_id, l4, [&](uint16_t c) {
    return csum_replace16(csum_replace32(c, ip.src_addr, new_ip), ports->src_port, new_port);
  });
  ip.hdr_checksum = csum_replace32(ip.hdr_checksum, ip.src_addr, new_ip);
  ip.src_addr = new_ip;
  ports->src_port = new_port;
}

// tun: wraps the client's IPv4 packet, unchanged, in an outer IPv4 header (IP-in-IP,
// protocol 4) from `source` to `destination` (network byte order); the Ethernet header moves to
// the new front. Uses the mbuf's headroom (128 B), so no copy of the payload. Returns false if
// the headroom is gone.
inline bool encapsulate_ipip(rte_mbuf* m, uint16_t l3_offset, uint32_t source, uint32_t destination,
                             uint16_t id) {
  const auto* inner = rte_pktmbuf_mtod_offset(m, const rte_ipv4_hdr*, l3_offset);
  const uint16_t inner_length = rte_be_to_cpu_16(inner->total_length);
  const uint8_t tos = inner->type_of_service;
  // The outer packet keeps the inner DF; without DF it may be fragmented on a later hop, so
  // it carries an identification of its own (RFC 6864), from a per-worker counter.
  const rte_be16_t dont_fragment = inner->fragment_offset & RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
  char* front = rte_pktmbuf_prepend(m, sizeof(rte_ipv4_hdr));
  if (front == nullptr) return false;
  std::memmove(front, front + sizeof(rte_ipv4_hdr), l3_offset);
  auto* outer = reinterpret_cast<rte_ipv4_hdr*>(front + l3_offset);
  outer->version_ihl = RTE_IPV4_VHL_DEF;
  outer->type_of_service = tos;
  outer->total_length = rte_cpu_to_be_16(static_cast<uint16_t>(inner_length + sizeof(*outer)));
  outer->packet_id = rte_cpu_to_be_16(id);
  outer->fragment_offset = dont_fragment;
  outer->time_to_live = 64;
  outer->next_proto_id = IPPROTO_IPIP;
  outer->hdr_checksum = 0;
  outer->src_addr = source;
  outer->dst_addr = destination;
  outer->hdr_checksum = rte_ipv4_cksum(outer);
  return true;
}

// ---- IPv6 (no header checksum; the L4 checksum's pseudo-header holds both addresses) ----

// The L4 checksum after a 128-bit address changed (eight 16-bit words).
inline uint16_t csum_replace128(uint16_t check, const uint8_t* old_address,
                                const uint8_t* new_address) {
  for (int i = 0; i < 16; i += 2) {
    uint16_t o, n;
    std::memcpy(&o, old_address + i, 2);
    std::memcpy(&n, new_address + i, 2);
    check = csum_replace16(check, o, n);
  }
  return check;
}

inline bool decrement_hop_limit(rte_ipv6_hdr& ip) {
  if (ip.hop_limits <= 1) return false;
  --ip.hop_limits;
  return true;
}

// nat, client -> server, IPv6. (UDP over IPv6 always has a checksum: never 0.)
inline void nat_rewrite_destination(rte_ipv6_hdr& ip, void* l4, const uint8_t* new_ip,
                                    uint16_t new_port) {
  auto* ports = static_cast<L4Ports*>(l4);
  patch_l4_checksum(ip.proto, l4, [&](uint16_t c) {
    return csum_replace16(csum_replace128(c, ip.dst_addr, new_ip), ports->dst_port, new_port);
  });
  std::memcpy(ip.dst_addr, new_ip, 16);
  ports->dst_port = new_port;
}

// nat, server -> client, IPv6.
inline void nat_rewrite_source(rte_ipv6_hdr& ip, void* l4, const uint8_t* new_ip,
                               uint16_t new_port) {
  auto* ports = static_cast<L4Ports*>(l4);
  patch_l4_checksum(ip.proto, l4, [&](uint16_t c) {
    return csum_replace16(csum_replace128(c, ip.src_addr, new_ip), ports->src_port, new_port);
  });
  std::memcpy(ip.src_addr, new_ip, 16);
  ports->src_port = new_port;
}

// tun over IPv6: the client's IPv6 packet inside an outer IPv6 header (next header 41,
// RFC 2473) from `source` to `destination`; as encapsulate_ipip otherwise.
inline bool encapsulate_ip6ip6(rte_mbuf* m, uint16_t l3_offset, const uint8_t* source,
                               const uint8_t* destination) {
  const auto* inner = rte_pktmbuf_mtod_offset(m, const rte_ipv6_hdr*, l3_offset);
  const uint16_t inner_length =
      static_cast<uint16_t>(rte_be_to_cpu_16(inner->payload_len) + sizeof(rte_ipv6_hdr));
  const rte_be32_t flow = inner->vtc_flow;  // version, traffic class and flow label carry over
  char* front = rte_pktmbuf_prepend(m, sizeof(rte_ipv6_hdr));
  if (front == nullptr) return false;
  std::memmove(front, front + sizeof(rte_ipv6_hdr), l3_offset);
  auto* outer = reinterpret_cast<rte_ipv6_hdr*>(front + l3_offset);
  outer->vtc_flow = flow;
  outer->payload_len = rte_cpu_to_be_16(inner_length);
  outer->proto = IPPROTO_IPV6;
  outer->hop_limits = 64;
  std::memcpy(outer->src_addr, source, 16);
  std::memcpy(outer->dst_addr, destination, 16);
  return true;
}

}  // namespace sluice::dp
