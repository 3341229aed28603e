// Resolved next-hop MAC addresses, shared by the control plane (the only writer) and every
// worker (readers). One 64-bit atomic per next hop holds the MAC and a valid bit, so a worker
// reads either the old or the new MAC, never half of each; no lock, no snapshot rebuild when
// an ARP reply arrives. Slot numbers are handed out by control/neighbour_ctl and are stable.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>

#include "common/mac.h"
#include "common/bounds.h"

namespace sluice::dp {

class NeighbourSlots {
 public:
  NeighbourSlots() : slots_(std::make_unique<std::atomic<uint64_t>[]>(kMaxNeighbours)) {}

  // Control thread only. release: a worker that sees the new value sees a complete MAC.
  void set(uint16_t slot, const Mac& mac) {
    uint64_t v = kValid;
    std::memcpy(&v, mac.bytes, 6);
    slots_[slot].store(v | kValid, std::memory_order_release);
  }
  void clear(uint16_t slot) { slots_[slot].store(0, std::memory_order_release); }

  // Any thread. Returns false while the slot is unresolved or expired.
  bool get(uint16_t slot, Mac& mac) const {
    const uint64_t v = slots_[slot].load(std::memory_order_acquire);
    if (!(v & kValid)) return false;
    std::memcpy(mac.bytes, &v, 6);
    return true;
  }

 private:
  static constexpr uint64_t kValid = uint64_t{1} << 63;
  std::unique_ptr<std::atomic<uint64_t>[]> slots_;
};

}  // namespace sluice::dp
