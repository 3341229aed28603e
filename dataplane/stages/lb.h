// Stage 2b: the load balancer. For each TCP/UDP packet: find its connection (both directions
// are indexed), or, for a packet to a virtual service, schedule a real server and create one;
// then rewrite for the mode and transmit.
//   hit, forward      -> dr: new MACs; nat: destination rewritten;
//                        snat: destination and source (a pool address) -> tx to the server
//   hit, return       -> nat: source back to the virtual service;
//                        snat: and the destination back to the client  -> tx to the client
//   miss, to a VIP    -> new connection (TCP needs a SYN)              -> as a forward hit
//   miss, elsewhere   -> the kernel (exception path)
#pragma once

#include "dataplane/stages/packet_list.h"

namespace sluice::dp::stages {

void lb(WorkerCtx& w, const Snapshot& snap, const PacketList& in);

}  // namespace sluice::dp::stages
