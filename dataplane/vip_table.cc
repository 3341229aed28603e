#include "dataplane/vip_table.h"

#include <bit>

namespace sluice::dp {

bool VipTable::insert(uint32_t address, uint16_t port, uint8_t protocol, uint32_t vip_index) {
  const uint64_t key = pack(address, port, protocol);
  for (const Slot& s : pending_) {
    if (s.key == key) return false;
  }
  pending_.push_back({key, vip_index});
  return true;
}

void VipTable::seal() {
  const uint32_t size = std::bit_ceil(static_cast<uint32_t>(pending_.size()) * 2 + 2);
  slots_.assign(size, Slot{});
  mask_ = size - 1;
  std::vector<uint32_t> addresses;
  for (const Slot& p : pending_) {
    uint32_t i = hash(p.key) & mask_;
    while (slots_[i].key != kEmpty) i = (i + 1) & mask_;
    slots_[i] = p;
    addresses.push_back(static_cast<uint32_t>(p.key >> 32));
  }
  address_slots_.assign(size, kEmptyAddress);
  address_mask_ = mask_;
  for (uint32_t a : addresses) {
    uint32_t i = hash(a) & address_mask_;
    while (address_slots_[i] != kEmptyAddress && address_slots_[i] != a) {
      i = (i + 1) & address_mask_;
    }
    address_slots_[i] = a;
  }
  pending_.clear();
  pending_.shrink_to_fit();
}

}  // namespace sluice::dp
