// Stage 2c: answers IPv6 neighbour solicitations for virtual service and snat addresses on
// the spot (parse sent only those here), as the arp stage does for IPv4.
#pragma once

#include "dataplane/stages/packet_list.h"

namespace sluice::dp::stages {

void nd(WorkerCtx& w, const PacketList& in);

}  // namespace sluice::dp::stages
