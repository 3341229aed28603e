// Stage 1: checks the Ethernet, ARP, IPv4, IPv6, TCP and UDP headers and sorts each packet
// into the list of its stage (dataplane/stages/stages.h), its Stage in PacketMeta.
//   unicast frame for another MAC           -> drop not_for_us
//   ARP                                     -> arp
//   IPv4 TCP/UDP, not fragmented            -> lb (PacketMeta filled)
//   ICMP error quoting TCP/UDP              -> lb (keyed by the connection it is about)
//   IPv6 TCP/UDP, no extension headers      -> lb6
//   neighbour solicitation for a VIP or pool -> nd
//   TCP/UDP to a group MAC or from a martian -> drop not_for_us, martian_source
//   fragment or extension header to a VIP   -> drop ip_fragment, ipv6_extension
//   other                                   -> the kernel through the exception path
//   malformed                               -> drop with the reason named
#pragma once

#include "dataplane/stages/stages.h"

namespace sluice::dp::stages {

void parse(WorkerCtx& w, const Snapshot& snap, rte_mbuf** pkts, uint16_t n, Sorted& out);

}  // namespace sluice::dp::stages
