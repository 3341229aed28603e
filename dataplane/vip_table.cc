#include "dataplane/vip_table.h"

#include <algorithm>
#include <bit>

namespace sluice::dp {

template <class Addr>
bool BasicVipTable<Addr>::insert(const Addr& address, uint16_t port, uint8_t protocol,
                                 uint32_t vip_index) {
  if (port == kAllPorts) {
    // Port 0 is no port: a packet carrying it must not reach the service on all ports.
    insert_exception(address, 0, protocol);
    return pending_.try_emplace(pack_all_ports(address, protocol), vip_index).second;
  }
  const auto [slot, inserted] = pending_.try_emplace(pack(address, port, protocol), vip_index);
  if (inserted) return true;
  if (slot->second != kNone) return false;
  slot->second = vip_index;  // the port's own key replaces an exception
  return true;
}

template <class Addr>
void BasicVipTable<Addr>::insert_exception(const Addr& address, uint16_t port, uint8_t protocol) {
  pending_.try_emplace(pack(address, port, protocol), kNone);
}

template <class Addr>
void BasicVipTable<Addr>::insert_address(const Addr& address, AddressKind kind) {
  uint32_t i = hash(address) & address_mask_;
  while (address_slots_[i].address != kEmptyAddress && address_slots_[i].address != address) {
    i = (i + 1) & address_mask_;
  }
  address_slots_[i] = {address, kind};
}

template <class Addr>
void BasicVipTable<Addr>::seal() {
  const uint32_t size =
      std::bit_ceil(static_cast<uint32_t>(pending_.size() + pending_addresses_.size()) * 2 + 2);
  slots_.assign(size, Slot{});
  mask_ = size - 1;
  address_slots_.assign(size, AddressSlot{});
  address_mask_ = mask_;
  for (const auto& [key, vip_index] : pending_) {
    uint32_t i = hash(key) & mask_;
    while (slots_[i].key.protocol != 0xff) i = (i + 1) & mask_;
    slots_[i] = {key, vip_index};
    pending_addresses_.push_back({key.address, AddressKind::service});
  }
  // An address given several kinds keeps the one that ranks last. Validation keeps pool,
  // gateway and service addresses apart, but a service would win if they ever met; an address
  // of ours wins over a nat server's (a server that is also a pool address would be a
  // configuration error); standby wins over all: the address is the peer's while backup.
  const auto rank = [](AddressKind kind) {
    switch (kind) {
      case AddressKind::nat_server: return 0;
      case AddressKind::service: return 2;
      case AddressKind::standby: return 3;
      default: return 1;
    }
  };
  std::ranges::stable_sort(pending_addresses_, {}, [&](const AddressSlot& a) { return rank(a.kind); });
  for (const AddressSlot& a : pending_addresses_) insert_address(a.address, a.kind);
  pending_addresses_ = {};
  pending_ = {};  // frees its memory, which clear() keeps
}

template class BasicVipTable<uint32_t>;
template class BasicVipTable<Ip6>;

}  // namespace sluice::dp
