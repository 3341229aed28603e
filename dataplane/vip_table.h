// Finds the virtual service for (address, port, protocol) and tells whether an address is a
// virtual service address at all. Built once by the control plane, then immutable.
// Open addressing with linear probing over a power-of-two array kept at most half full, so a
// lookup touches one or two 64-byte lines (16 B slots); no pointers to chase.
// Thread safety: build on the control thread; lookups from any worker once published.
#pragma once

#include <cstdint>
#include <vector>

namespace sluice::dp {

class VipTable {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  // Adds a key; returns false if (address, port, protocol) is already present.
  bool insert(uint32_t address, uint16_t port, uint8_t protocol, uint32_t vip_index);
  // Call once after the last insert: sizes and fills the probe arrays.
  void seal();

  uint32_t find(uint32_t address, uint16_t port, uint8_t protocol) const {
    if (slots_.empty()) return kNone;
    const uint64_t key = pack(address, port, protocol);
    for (uint32_t i = hash(key) & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.key == key) return s.vip_index;
      if (s.key == kEmpty) return kNone;
    }
  }

  bool is_vip_address(uint32_t address) const {
    if (address_slots_.empty() || address == kEmptyAddress) return false;
    for (uint32_t i = hash(address) & address_mask_;; i = (i + 1) & address_mask_) {
      if (address_slots_[i] == address) return true;
      if (address_slots_[i] == kEmptyAddress) return false;
    }
  }

 private:
  // The empty marker has protocol byte 0xff, which no key carries (tcp 6, udp 17).
  static constexpr uint64_t kEmpty = ~uint64_t{0};
  static constexpr uint32_t kEmptyAddress = 0;  // 0.0.0.0 is never a VIP (validated)

  struct Slot {
    uint64_t key = kEmpty;
    uint32_t vip_index = kNone;
  };

  static uint64_t pack(uint32_t address, uint16_t port, uint8_t protocol) {
    return (uint64_t{address} << 32) | (uint64_t{port} << 8) | protocol;
  }
  static uint32_t hash(uint64_t key) {
    // Fibonacci hashing: one multiply spreads sequential addresses and ports well.
    return static_cast<uint32_t>((key * 0x9e3779b97f4a7c15ull) >> 32);
  }

  std::vector<Slot> pending_;
  std::vector<Slot> slots_;
  std::vector<uint32_t> address_slots_;
  uint32_t mask_ = 0;
  uint32_t address_mask_ = 0;
};

}  // namespace sluice::dp
