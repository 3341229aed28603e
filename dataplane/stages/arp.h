// Stage 2a: answers ARP requests for virtual service addresses on the spot; every other ARP
// packet (requests for the appliance's own addresses, replies) goes to the kernel through the
// exception path, where the TAP twin answers for its addresses and the control plane learns
// the MACs of next hops.
#pragma once

#include "dataplane/stages/packet_list.h"

namespace sluice::dp::stages {

void arp(WorkerCtx& w, const Snapshot& snap, const PacketList& in);

}  // namespace sluice::dp::stages
