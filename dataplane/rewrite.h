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

}  // namespace sluice::dp
