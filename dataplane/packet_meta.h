// What the parse stage learns about a packet, kept in the mbuf's private area so later stages
// need not parse again. The mempool reserves the room (see kPacketMetaRoom).
#pragma once

#include <rte_mbuf.h>

#include <cstdint>

#include "dataplane/conn_table.h"

namespace sluice::dp {

enum class Stage : uint8_t;  // dataplane/stages/stages.h

struct PacketMeta {
  // IPv4 TCP/UDP: the packet's own tuple. An ICMP error about a TCP/UDP packet: the key of
  // the connection it is about (dataplane/icmp.h), so both are looked up alike.
  FlowKey key;
  FlowKey6 key6;           // IPv6 TCP/UDP (ipv6 set): the packet's own tuple
  uint16_t l3_offset;      // from the start of the frame
  uint16_t l4_offset;      // TCP, UDP or ICMP header
  uint16_t quoted_offset;  // ICMP errors: the quoted IP header; 0 for other packets
  uint8_t workers_asked;   // ICMP errors about dr/tun: workers that looked (dataplane/stages/lb.cc)
  uint8_t tcp_flags;
  uint8_t interface;  // ingress interface index
  Stage stage;        // where parse sorted it: a worker taking it over runs that stage
  bool is_icmp_error() const { return quoted_offset != 0; }
};

// Private area size for rte_pktmbuf_pool_create (a multiple of RTE_MBUF_PRIV_ALIGN).
inline constexpr uint16_t kPacketMetaRoom =
    (sizeof(PacketMeta) + RTE_MBUF_PRIV_ALIGN - 1) / RTE_MBUF_PRIV_ALIGN * RTE_MBUF_PRIV_ALIGN;

inline PacketMeta& meta_of(rte_mbuf* m) { return *static_cast<PacketMeta*>(rte_mbuf_to_priv(m)); }

}  // namespace sluice::dp
