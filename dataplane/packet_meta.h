// What the parse stage learns about a packet, kept in the mbuf's private area so later stages
// need not parse again. The mempool reserves the room (see kPacketMetaRoom).
#pragma once

#include <rte_mbuf.h>

#include <cstdint>

#include "dataplane/conn_table.h"

namespace sluice::dp {

struct PacketMeta {
  FlowKey key;         // IPv4 TCP/UDP only
  uint16_t l3_offset;  // from the start of the frame
  uint16_t l4_offset;
  uint8_t tcp_flags;
  uint8_t interface;  // ingress interface index
};

// Private area size for rte_pktmbuf_pool_create (a multiple of RTE_MBUF_PRIV_ALIGN).
inline constexpr uint16_t kPacketMetaRoom =
    (sizeof(PacketMeta) + RTE_MBUF_PRIV_ALIGN - 1) / RTE_MBUF_PRIV_ALIGN * RTE_MBUF_PRIV_ALIGN;

inline PacketMeta& meta_of(rte_mbuf* m) { return *static_cast<PacketMeta*>(rte_mbuf_to_priv(m)); }

}  // namespace sluice::dp
