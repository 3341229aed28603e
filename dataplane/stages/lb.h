// Stage 2b: the load balancer. For each TCP/UDP packet: find its connection (both directions
// are indexed), or, for a packet to a virtual service, schedule a real server and create one;
// then rewrite for the mode and transmit.
//   hit, forward      -> dr: new MACs; nat: destination rewritten;
//                        snat: destination and source (a pool address) -> tx to the server
//   hit, return       -> nat: source back to the virtual service;
//                        snat: and the destination back to the client  -> tx to the client
//   miss, to a VIP    -> new connection (TCP needs a SYN)              -> as a forward hit
//   miss, elsewhere   -> the kernel (exception path)
// With several workers a miss first asks whose connection it is (dataplane/steering.h): a
// packet another worker owns is handed to it, and arrives there as handed_off, never to be
// handed on again.
#pragma once

#include "dataplane/stages/packet_list.h"

namespace sluice::dp::stages {

enum class Arrival : uint8_t { from_wire, handed_off };

void lb(WorkerCtx& w, const Snapshot& snap, const PacketList& in, Arrival arrival);
// The same for IPv6 packets (the family's own tables; dataplane/family.h).
void lb6(WorkerCtx& w, const Snapshot& snap, const PacketList& in, Arrival arrival);

}  // namespace sluice::dp::stages
