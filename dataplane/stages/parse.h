// Stage 1: checks the Ethernet, ARP, IPv4, TCP and UDP headers and sorts each packet.
//   ARP                          -> arp
//   IPv4 TCP/UDP, not fragmented -> lb (PacketMeta filled)
//   fragment to a VIP address    -> drop ip_fragment
//   other IPv4, IPv6, other      -> the kernel through the exception path
//   malformed                    -> drop with the reason named
#pragma once

#include "dataplane/stages/packet_list.h"

namespace sluice::dp::stages {

void parse(WorkerCtx& w, const Snapshot& snap, rte_mbuf** pkts, uint16_t n, PacketList& arp,
           PacketList& lb);

}  // namespace sluice::dp::stages
