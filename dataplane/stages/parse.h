// Stage 1: checks the Ethernet, ARP, IPv4, IPv6, TCP and UDP headers and sorts each packet.
//   ARP                                     -> arp
//   IPv4 TCP/UDP, not fragmented            -> lb (PacketMeta filled)
//   ICMP error quoting TCP/UDP              -> lb (keyed by the connection it is about)
//   IPv6 TCP/UDP, no extension headers      -> lb6
//   neighbour solicitation for a VIP or pool -> nd
//   fragment or extension header to a VIP   -> drop ip_fragment, ipv6_extension
//   other                                   -> the kernel through the exception path
//   malformed                               -> drop with the reason named
#pragma once

#include "dataplane/stages/packet_list.h"

namespace sluice::dp::stages {

struct Sorted {
  PacketList arp, nd, lb, lb6;
};

void parse(WorkerCtx& w, const Snapshot& snap, rte_mbuf** pkts, uint16_t n, Sorted& out);

}  // namespace sluice::dp::stages
