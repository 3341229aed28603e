#include "dataplane/pipeline.h"

#include "dataplane/packet_meta.h"
#include "dataplane/stages/arp.h"
#include "dataplane/stages/lb.h"
#include "dataplane/stages/nd.h"
#include "dataplane/stages/parse.h"

namespace sluice::dp {

void process_burst(WorkerCtx& w, const Snapshot& snap, rte_mbuf** pkts, uint16_t n) {
  stages::Sorted sorted;
  stages::parse(w, snap, pkts, n, sorted);
  stages::arp(w, snap, sorted.arp);
  stages::nd(w, sorted.nd);
  stages::lb(w, snap, sorted.lb, stages::Arrival::from_wire);
  stages::lb6(w, snap, sorted.lb6, stages::Arrival::from_wire);
}

void process_handed_off(WorkerCtx& w, const Snapshot& snap, rte_mbuf** pkts, uint16_t n) {
  PacketList lb, lb6;
  for (uint16_t i = 0; i < n; ++i) append(meta_of(pkts[i]).ipv6 ? lb6 : lb, pkts[i]);
  stages::lb(w, snap, lb, stages::Arrival::handed_off);
  stages::lb6(w, snap, lb6, stages::Arrival::handed_off);
}

}  // namespace sluice::dp
