#include "dataplane/pipeline.h"

#include "dataplane/stages/arp.h"
#include "dataplane/stages/lb.h"
#include "dataplane/stages/parse.h"

namespace sluice::dp {

void process_burst(WorkerCtx& w, const Snapshot& snap, rte_mbuf** pkts, uint16_t n) {
  PacketList arp, lb;
  stages::parse(w, snap, pkts, n, arp, lb);
  stages::arp(w, snap, arp);
  stages::lb(w, snap, lb, stages::Arrival::from_wire);
}

void process_handed_off(WorkerCtx& w, const Snapshot& snap, rte_mbuf** pkts, uint16_t n) {
  PacketList lb;
  for (uint16_t i = 0; i < n; ++i) append(lb, pkts[i]);
  stages::lb(w, snap, lb, stages::Arrival::handed_off);
}

}  // namespace sluice::dp
