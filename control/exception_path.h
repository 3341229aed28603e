// The main lcore's half of the exception path: packets the workers hand to the kernel go to
// the TAP twin of the interface they arrived on (ARP among them is also learned from), and
// what the kernel sends on a TAP twin goes to worker 0, which transmits it on the wire.
// Thread safety: control thread only.
#pragma once

#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include <cstdint>
#include <vector>

#include "config/model.h"
#include "control/neighbour_ctl.h"
#include "control/ports.h"

namespace sluice::control {

class ExceptionPath {
 public:
  ExceptionPath(const std::vector<DataInterface>& interfaces, std::vector<rte_ring*> from_workers,
                rte_ring* to_wire, rte_mempool* pool, NeighbourCtl& neighbours);

  // Moves what is waiting in both directions. Returns the number of packets moved.
  uint32_t poll(uint64_t now_ms);
  // Broadcasts "who has hop.address" from our address on that subnet.
  void send_arp_request(const config::Config& cfg, const config::NextHop& hop);

  uint64_t dropped() const { return dropped_; }  // ring or TAP full

 private:
  uint32_t workers_to_kernel(uint64_t now_ms);
  uint32_t kernel_to_wire();
  void learn_if_arp(rte_mbuf* m, uint64_t now_ms);

  const std::vector<DataInterface>& interfaces_;
  std::vector<rte_ring*> from_workers_;
  rte_ring* to_wire_;
  rte_mempool* pool_;
  NeighbourCtl& neighbours_;
  uint64_t dropped_ = 0;
};

}  // namespace sluice::control
