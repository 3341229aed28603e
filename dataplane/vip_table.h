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
#include <cstring>
#include <unordered_map>
#include <vector>

#include "common/ip6.h"

namespace sluice::dp {

// What an address is to the appliance, as far as virtual services go. A nat server's is not
// ours: it is known so that a worker can tell a nat reply (from it) from junk (steering.h).
// A gateway is a floating address of an HA instance that serves no port (the nat real
// servers' default gateway, seeds' "Floating IPs"): answered like a pool address. standby:
// a floating address of any kind whose VRRP instance is backup here: the peer answers for
// it, and nothing addressed to it is forwarded (parse drops it, ARP/ND go to the kernel).
enum class AddressKind : uint8_t { none, service, snat_pool, nat_server, gateway, standby };

// Addr: uint32_t (IPv4, host byte order) or Ip6 (network order); one table per family.
template <class Addr>
class BasicVipTable {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;
  // As a port to insert: every port (1..65535) of the address and protocol without a key.
  static constexpr uint16_t kAllPorts = 0;

  // Adds a key, or with kAllPorts the wildcard of the address and protocol; returns false if it
  // is already present. An exception for the port gives way to it.
  bool insert(const Addr& address, uint16_t port, uint8_t protocol, uint32_t vip_index);
  // Keeps `port` out of the address's kAllPorts key: find returns kNone for it. A key of the
  // port's own, inserted before or after, takes precedence.
  void insert_exception(const Addr& address, uint16_t port, uint8_t protocol);
  // An address the appliance owns without serving ports on it (an snat pool address): ARP
  // is answered for it and stray packets to it are dropped, not passed to the kernel.
  void insert_snat_address(const Addr& address) {
    pending_addresses_.push_back({address, AddressKind::snat_pool});
  }
  // A real server of a nat service: its replies are addressed to clients, not to us.
  void insert_nat_server(const Addr& address) {
    pending_addresses_.push_back({address, AddressKind::nat_server});
  }
  // A floating address that serves no port (see AddressKind::gateway).
  void insert_gateway_address(const Addr& address) {
    pending_addresses_.push_back({address, AddressKind::gateway});
  }
  // An address of ours (inserted before or after) whose HA instance is backup here: its kind
  // becomes standby, whatever it was.
  void insert_standby(const Addr& address) {
    pending_addresses_.push_back({address, AddressKind::standby});
  }
  // Call once after the last insert: sizes and fills the probe arrays.
  void seal();

  uint32_t find(const Addr& address, uint16_t port, uint8_t protocol) const {
    if (slots_.empty()) return kNone;
    const Slot& own = probe(pack(address, port, protocol));
    if (own.key.protocol != 0xff) return own.vip_index;  // a listed port, or an exception's kNone
    return probe(pack_all_ports(address, protocol)).vip_index;  // empty slots hold kNone
  }

  AddressKind kind_of(const Addr& address) const {
    if (address_slots_.empty() || address == kEmptyAddress) return AddressKind::none;
    for (uint32_t i = hash(address) & address_mask_;; i = (i + 1) & address_mask_) {
      if (address_slots_[i].address == address) return address_slots_[i].kind;
      if (address_slots_[i].address == kEmptyAddress) return AddressKind::none;
    }
  }
  // Any address the appliance answers ARP for on behalf of virtual services.
  bool is_vip_address(const Addr& address) const {
    const AddressKind kind = kind_of(address);
    return kind == AddressKind::service || kind == AddressKind::snat_pool ||
           kind == AddressKind::gateway;
  }

 private:
  static constexpr Addr kEmptyAddress{};  // 0.0.0.0 and :: are never VIPs (validated)

  struct Key {
    Addr address{};
    uint16_t port = 0;
    uint8_t protocol = 0xff;  // the empty marker: no key carries it (tcp 6, udp 17)
    uint8_t all_ports = 0;    // 1: the address and protocol's kAllPorts key
    bool operator==(const Key&) const = default;
  };
  struct Slot {
    Key key;
    uint32_t vip_index = kNone;
  };
  struct AddressSlot {
    Addr address = kEmptyAddress;
    AddressKind kind = AddressKind::none;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const { return hash(k); }
  };

  static Key pack(const Addr& address, uint16_t port, uint8_t protocol) {
    return {address, port, protocol, 0};
  }
  static Key pack_all_ports(const Addr& address, uint8_t protocol) {
    return {address, 0, protocol, 1};
  }
  // Fibonacci hashing: one multiply spreads sequential addresses and ports well. IPv6
  // addresses are folded to 64 bits first (their low half varies most).
  static uint64_t fold(uint32_t address) { return address; }
  static uint64_t fold(const Ip6& address) {
    uint64_t high, low;
    std::memcpy(&high, address.bytes, 8);
    std::memcpy(&low, address.bytes + 8, 8);
    return (high * 0x9e3779b97f4a7c15ull) ^ low;
  }
  static uint32_t hash(const Addr& address) {
    return static_cast<uint32_t>((fold(address) * 0x9e3779b97f4a7c15ull) >> 32);
  }
  static uint32_t hash(const Key& k) {
    const uint64_t packed = fold(k.address) * 0x9e3779b97f4a7c15ull ^
                            (uint64_t{k.port} << 8 | uint64_t{k.all_ports} << 24 | k.protocol);
    return static_cast<uint32_t>((packed * 0x9e3779b97f4a7c15ull) >> 32);
  }

  void insert_address(const Addr& address, AddressKind kind);

  // The slot holding `key`, or the empty slot that ends its probe sequence.
  const Slot& probe(const Key& key) const {
    uint32_t i = hash(key) & mask_;
    while (!(slots_[i].key == key) && slots_[i].key.protocol != 0xff) i = (i + 1) & mask_;
    return slots_[i];
  }

  std::unordered_map<Key, uint32_t, KeyHash> pending_;  // key -> vip_index, until seal()
  std::vector<Slot> slots_;
  std::vector<AddressSlot> pending_addresses_;  // all but service addresses
  std::vector<AddressSlot> address_slots_;
  uint32_t mask_ = 0;
  uint32_t address_mask_ = 0;
};

using VipTable = BasicVipTable<uint32_t>;
using VipTable6 = BasicVipTable<Ip6>;

}  // namespace sluice::dp
