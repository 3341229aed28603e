// The packet path of one burst, in one place: parse sorts the packets into the lists of the
// stages in dataplane/stages/stages.h, and the stages run in the order of that table.
//
//   rx burst -> parse -+-> arp -+-> tx (replies for VIP addresses)
//                      |        +-> kernel (everything else ARP)
//                      +-> nd --> tx (advertisements for VIP and snat addresses)
//                      +-> echo -> tx (echo replies from VIPs)
//                      +-> lb --+-> tx (to real servers, back to clients)
//                      |        +-> kernel (TCP/UDP not for a virtual service)
//                      |        +-> hand-off ring (another worker owns the connection)
//                      +-> lb6 (IPv6, as lb)
//                      +-> kernel (other ICMP, other; by class, dataplane/kernel_path.h)
//   hand-off ring -> the stage parse chose (lb, lb6), marked handed_off
//   any stage -> drop (named counter)
//
// Outputs collect in the worker's buffers; flush_outputs() hands them on.
#pragma once

#include "dataplane/worker.h"

namespace sluice::dp {

void process_burst(WorkerCtx& w, const Snapshot& snap, rte_mbuf** pkts, uint16_t n);
// Packets another worker parsed and handed to this one, their owner: straight to their stage.
void process_handed_off(WorkerCtx& w, const Snapshot& snap, rte_mbuf** pkts, uint16_t n);

}  // namespace sluice::dp
