// The main lcore's half of the exception path: packets the workers hand to the kernel go to
// the TAP twin of the interface they arrived on (ARP and neighbour discovery among them are
// also learned from), and
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

// One worker's rings of packets for the kernel (dataplane/kernel_path.h).
struct KernelRings {
  rte_ring* neighbours;  // ARP and ND: drained first, so floods of the rest cannot starve them
  rte_ring* others;
};

class ExceptionPath {
 public:
  ExceptionPath(const std::vector<DataInterface>& interfaces, std::vector<KernelRings> from_workers,
                rte_ring* to_wire, rte_mempool* pool, NeighbourCtl& neighbours);

  // Moves what is waiting in both directions, ARP and ND first. Returns the packets moved.
  uint32_t poll(uint64_t now_ms);
  // Asks "who has hop.address" from our address on that subnet: an ARP request for IPv4, a
  // neighbour solicitation for IPv6.
  void send_neighbour_request(const config::Config& cfg, const control::NextHop& hop);
  // Tells the interface's subnet that `address` is at its port's MAC: a gratuitous ARP, or an
  // unsolicited neighbour advertisement to all nodes (HA takeover).
  void send_announcement(uint8_t interface, const IpAddress& address);

  uint64_t dropped() const { return dropped_; }  // ring or TAP full

 private:
  uint32_t workers_to_kernel(uint64_t now_ms);
  uint32_t ring_to_kernel(rte_ring* ring, uint64_t now_ms);
  uint32_t kernel_to_wire();
  void learn_if_arp(rte_mbuf* m, uint64_t now_ms);
  void learn_if_nd(rte_mbuf* m, uint64_t now_ms);
  void to_wire(rte_mbuf* m, uint8_t interface);  // through worker 0
  rte_mbuf* frame(uint16_t length);  // a packet of `length` bytes to fill, or null (counted)

  const std::vector<DataInterface>& interfaces_;
  std::vector<KernelRings> from_workers_;
  rte_ring* to_wire_;
  rte_mempool* pool_;
  NeighbourCtl& neighbours_;
  uint64_t dropped_ = 0;
};

}  // namespace sluice::control
