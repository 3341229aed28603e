// The packets a stage hands to the next one.
#pragma once

#include "dataplane/worker.h"

namespace sluice::dp {

using PacketList = PacketBuffer;

inline void append(PacketList& list, rte_mbuf* m) { list.pkts[list.n++] = m; }

}  // namespace sluice::dp
