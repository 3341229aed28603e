// Finds the virtual service for (address, port, protocol) and tells whether an address is a
// virtual service address at all. Built once by the control plane, then immutable.
// Listed ports are keys of their own. A service on all ports of an address and protocol is one
// wildcard key, consulted when the port has no key; exceptions to it are keys that lead to
// kNone. Open addressing with linear probing over a power-of-two array kept at most half full:
// a probe touches one or two 64-byte lines (16 B slots), no pointers to chase, and a lookup
// makes one probe, or two when the port has no key of its own.
// Thread safety: build on the control thread; lookups from any worker once published.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

namespace sluice::dp {

// What an address is to the appliance, as far as virtual services go.
enum class AddressKind : uint8_t { none, service, snat_pool };

class VipTable {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;
  // As a port to insert: every port (1..65535) of the address and protocol without a key.
  static constexpr uint16_t kAllPorts = 0;

  // Adds a key, or with kAllPorts the wildcard of the address and protocol; returns false if it
  // is already present. An exception for the port gives way to it.
  bool insert(uint32_t address, uint16_t port, uint8_t protocol, uint32_t vip_index);
  // Keeps `port` out of the address's kAllPorts key: find returns kNone for it. A key of the
  // port's own, inserted before or after, takes precedence.
  void insert_exception(uint32_t address, uint16_t port, uint8_t protocol);
  // An address the appliance owns without serving ports on it (an snat pool address): ARP
  // is answered for it and stray packets to it are dropped, not passed to the kernel.
  void insert_snat_address(uint32_t address) { pending_addresses_.push_back(address); }
  // Call once after the last insert: sizes and fills the probe arrays.
  void seal();

  uint32_t find(uint32_t address, uint16_t port, uint8_t protocol) const {
    if (slots_.empty()) return kNone;
    const Slot& own = probe(pack(address, port, protocol));
    if (own.key != kEmpty) return own.vip_index;  // a listed port, or an exception's kNone
    return probe(pack_all_ports(address, protocol)).vip_index;  // empty slots hold kNone
  }

  AddressKind kind_of(uint32_t address) const {
    if (address_slots_.empty() || address == kEmptyAddress) return AddressKind::none;
    for (uint32_t i = hash(address) & address_mask_;; i = (i + 1) & address_mask_) {
      if (address_slots_[i].address == address) return address_slots_[i].kind;
      if (address_slots_[i].address == kEmptyAddress) return AddressKind::none;
    }
  }
  // Any address the appliance answers ARP for on behalf of virtual services.
  bool is_vip_address(uint32_t address) const { return kind_of(address) != AddressKind::none; }

 private:
  // The empty marker has protocol byte 0xff, which no key carries (tcp 6, udp 17).
  static constexpr uint64_t kEmpty = ~uint64_t{0};
  // Set in the kAllPorts key of an address and protocol, above the 16 bits a port takes.
  static constexpr uint64_t kAllPortsBit = uint64_t{1} << 24;
  static constexpr uint32_t kEmptyAddress = 0;  // 0.0.0.0 is never a VIP (validated)

  struct Slot {
    uint64_t key = kEmpty;
    uint32_t vip_index = kNone;
  };
  struct AddressSlot {
    uint32_t address = kEmptyAddress;
    AddressKind kind = AddressKind::none;
  };

  static uint64_t pack(uint32_t address, uint16_t port, uint8_t protocol) {
    return (uint64_t{address} << 32) | (uint64_t{port} << 8) | protocol;
  }
  static uint64_t pack_all_ports(uint32_t address, uint8_t protocol) {
    return pack(address, 0, protocol) | kAllPortsBit;
  }
  static uint32_t hash(uint64_t key) {
    // Fibonacci hashing: one multiply spreads sequential addresses and ports well.
    return static_cast<uint32_t>((key * 0x9e3779b97f4a7c15ull) >> 32);
  }

  void insert_address(uint32_t address, AddressKind kind);

  // The slot holding `key`, or the empty slot that ends its probe sequence.
  const Slot& probe(uint64_t key) const {
    uint32_t i = hash(key) & mask_;
    while (slots_[i].key != key && slots_[i].key != kEmpty) i = (i + 1) & mask_;
    return slots_[i];
  }

  std::unordered_map<uint64_t, uint32_t> pending_;  // key -> vip_index, until seal()
  std::vector<Slot> slots_;
  std::vector<uint32_t> pending_addresses_;
  std::vector<AddressSlot> address_slots_;
  uint32_t mask_ = 0;
  uint32_t address_mask_ = 0;
};

}  // namespace sluice::dp
