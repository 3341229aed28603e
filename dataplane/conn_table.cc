#include "dataplane/conn_table.h"

#include <rte_hash_crc.h>

#include <algorithm>

namespace sluice::dp {
template <class C>
std::unique_ptr<BasicConnTable<C>> BasicConnTable<C>::create(const char* name, uint32_t capacity,
                                                             int socket, uint32_t now) {
  rte_hash_parameters params{};
  params.name = name;
  // Two keys per nat connection. The extendable bucket table guarantees every key up to
  // `entries` fits, so a full table means "capacity reached", never "unlucky bucket".
  params.entries = std::max(capacity * 2, kMinHashEntries);
  params.key_len = sizeof(FlowKey);
  params.hash_func = rte_hash_crc;
  params.socket_id = socket;
  params.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE;
  rte_hash* hash = rte_hash_create(&params);
  if (hash == nullptr) return nullptr;

  std::unique_ptr<BasicConnTable> t(new BasicConnTable());
  t->hash_ = hash;
  t->capacity_ = capacity;
  t->conns_.resize(capacity + kWheelSlots);
  for (uint32_t slot = 0; slot < kWheelSlots; ++slot) {
    Conn& s = t->conns_[t->sentinel(slot)];
    s.timer_prev = s.timer_next = t->sentinel(slot);
  }
  t->free_.reserve(capacity);
  // Hand out low indices first: a lightly loaded table stays in few cache lines.
  for (uint32_t i = capacity; i-- > 0;) t->free_.push_back(i);
  t->wheel_time_ = now;
  return t;
}

template <class C>
BasicConnTable<C>::~BasicConnTable() {
  rte_hash_free(hash_);
}

template <class C>
uint64_t BasicConnTable<C>::lookup_bulk(const FlowKey** keys, uint32_t n, uint32_t* refs) const {
  void* data[kBulk];
  uint64_t hits = 0;
  rte_hash_lookup_bulk_data(hash_, reinterpret_cast<const void**>(keys), n, &hits, data);
  for (uint64_t m = hits; m != 0; m &= m - 1) {
    const int i = __builtin_ctzll(m);
    refs[i] = static_cast<uint32_t>(reinterpret_cast<uintptr_t>(data[i]));
  }
  return hits;
}

template <class C>
uint32_t BasicConnTable<C>::lookup(const FlowKey& key) const {
  void* data = nullptr;
  if (rte_hash_lookup_data(hash_, &key, &data) < 0) return kNone;
  return static_cast<uint32_t>(reinterpret_cast<uintptr_t>(data));
}

template <class C>
uint32_t BasicConnTable<C>::insert(const Conn& c, bool index_return) {
  if (free_.empty()) return kNone;
  const uint32_t index = free_.back();
  const FlowKey forward = c.forward_key();
  const FlowKey back = c.return_key();
  // rte_hash_add_key_data overwrites an existing key's data: check first.
  if (rte_hash_lookup(hash_, &forward) >= 0) return kTaken;
  if (index_return && rte_hash_lookup(hash_, &back) >= 0) return kTaken;
  const auto ref = [index](uint32_t is_return) {
    return reinterpret_cast<void*>(static_cast<uintptr_t>(index) << 1 | is_return);
  };
  if (rte_hash_add_key_data(hash_, &forward, ref(0)) < 0) return kNone;
  if (index_return && rte_hash_add_key_data(hash_, &back, ref(1)) < 0) {
    rte_hash_del_key(hash_, &forward);
    return kNone;
  }
  free_.pop_back();
  Conn& slot = conns_[index];
  slot = c;
  slot.live = 1;
  link(index);
  return index;
}

template <class C>
void BasicConnTable<C>::remove(uint32_t index) {
  unlink(index);
  forget(index);
}

template <class C>
void BasicConnTable<C>::set_expiry(uint32_t index, uint32_t expires) {
  Conn& c = conns_[index];
  const bool earlier = static_cast<int32_t>(expires - c.expires) < 0;
  c.expires = expires;
  // Later expiry: leave the entry where it is; the wheel re-files it when its slot comes.
  if (earlier) {
    unlink(index);
    link(index);
  }
}

template <class C>
uint32_t BasicConnTable<C>::half_open_due_soonest(uint32_t budget) const {
  uint32_t steps = 0;
  for (uint32_t second = 1; second <= kWheelSlots && steps < budget; ++second) {
    const uint32_t head = sentinel((wheel_time_ + second) % kWheelSlots);
    // From the slot's tail: link() files new entries at the head, so the tail is the oldest.
    // Under a flood every entry falls in one or two slots, and taking the newest would evict
    // a real client's half-open connection before its ACK could arrive (~1 ms, while a flood
    // of 25,000 SYNs a second evicts 25 entries).
    for (uint32_t i = conns_[head].timer_prev; i != head && steps < budget;
         i = conns_[i].timer_prev, ++steps) {
      if (conns_[i].state == ConnState::syn_recv) return i;
    }
    ++steps;
  }
  return kNone;
}

template <class C>
void BasicConnTable<C>::link(uint32_t index) {
  const uint32_t head = sentinel(conns_[index].expires % kWheelSlots);
  const uint32_t first = conns_[head].timer_next;
  conns_[index].timer_prev = head;
  conns_[index].timer_next = first;
  conns_[first].timer_prev = index;
  conns_[head].timer_next = index;
}

template <class C>
void BasicConnTable<C>::unlink(uint32_t index) {
  Conn& c = conns_[index];
  conns_[c.timer_prev].timer_next = c.timer_next;
  conns_[c.timer_next].timer_prev = c.timer_prev;
}

template <class C>
void BasicConnTable<C>::forget(uint32_t index) {
  Conn& c = conns_[index];
  const FlowKey forward = c.forward_key();
  rte_hash_del_key(hash_, &forward);
  if (replies_return(c.mode)) {
    const FlowKey back = c.return_key();
    rte_hash_del_key(hash_, &back);
  }
  c.live = 0;
  free_.push_back(index);
}

template class BasicConnTable<Conn>;
template class BasicConnTable<Conn6>;

}  // namespace sluice::dp
