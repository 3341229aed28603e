#include "dataplane/pipeline.h"

#include "dataplane/stages/arp.h"
#include "dataplane/stages/lb.h"
#include "dataplane/stages/parse.h"

namespace sluice::dp {

void process_burst(WorkerCtx& w, const Snapshot& snap, rte_mbuf** pkts, uint16_t n) {
  PacketList arp, lb;
  stages::parse(w, snap, pkts, n, arp, lb);
  stages::arp(w, snap, arp);
  stages::lb(w, snap, lb);
}

}  // namespace sluice::dp
