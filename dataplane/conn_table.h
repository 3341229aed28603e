// One worker's connections: a preallocated entry array, an rte_hash that indexes both
// directions of each connection, and a timing wheel that expires idle ones.
// Thread safety: every method runs on the owning worker, except create() (control thread,
// at start) and the destructor (control thread, after the worker stopped).
#pragma once

#include <rte_hash.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "common/ip6.h"
#include "dataplane/neighbour_slots.h"
#include "dataplane/tcp_state.h"

namespace sluice::dp {

// The 5-tuple of a packet as it arrives, in network byte order straight from the headers.
// Addr is uint32_t (IPv4) or Ip6: each family has its own tables, so IPv4 keys stay 16 bytes.
template <class Addr>
struct BasicFlowKey {
  Addr src_ip{};
  Addr dst_ip{};
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint8_t protocol = 0;
  uint8_t pad[3] = {};  // zero: rte_hash compares every byte
};
using FlowKey = BasicFlowKey<uint32_t>;
using FlowKey6 = BasicFlowKey<Ip6>;
static_assert(sizeof(FlowKey) == 16);
// rte_hash refuses fewer entries than one bucket holds.
inline constexpr uint32_t kMinHashEntries = 16;
static_assert(sizeof(FlowKey6) == 40);

// Addresses and ports in network byte order, as they are written into packets.
template <class Addr>
struct BasicConn {
  using Address = Addr;
  using Key = BasicFlowKey<Addr>;
  Addr client_ip;
  Addr vip_ip;
  Addr server_ip;
  // The source the real server sees: the client (dr, nat) or a pool address (snat).
  Addr backend_src_ip;
  uint16_t client_port;
  uint16_t vip_port;
  uint16_t server_port;  // what the client's destination port becomes (nat); = vip_port (dr)
  uint16_t backend_src_port;
  uint8_t protocol;
  ConnState state;
  Mode mode;
  uint8_t client_interface;  // where the client's packets arrive; nat replies leave here
  uint8_t live;
  // Persistent services: 0x80 | the 4-second tick its persistence entry was last refreshed
  // in (connect.h: the entry lives while the connection carries packets); 0 otherwise.
  uint8_t persistence_tick;
  Mac client_mac;  // previous hop on the client side: nat replies go back to it
  uint32_t server_id;
  uint32_t expires;  // worker clock, seconds
  uint32_t timer_prev;
  uint32_t timer_next;

  Key forward_key() const { return {client_ip, vip_ip, client_port, vip_port, protocol}; }
  // The key of the real server's replies; only nat and snat connections see them.
  Key return_key() const {
    return {server_ip, backend_src_ip, server_port, backend_src_port, protocol};
  }
};
using Conn = BasicConn<uint32_t>;
using Conn6 = BasicConn<Ip6>;
// 52 B (the way to the server is looked up by server_id in the snapshot, see ServerFate);
// 100 B with IPv6 addresses. Plus the hash's own slots (see performance.md). Layer-7 state
// (binding, sequence deltas) is to live in a side table indexed by the connection's index,
// not here (docs/architecture.md, "Room for layer 7").
static_assert(sizeof(Conn) == 52);
static_assert(sizeof(Conn6) == 100);

template <class C>
class BasicConnTable {
 public:
  using FlowKey = typename C::Key;
  using Conn = C;

  static constexpr uint32_t kNone = UINT32_MAX;
  static constexpr uint32_t kTaken = UINT32_MAX - 1;  // insert: another connection has a key
  // The wheel turns once a second; 4096 slots cover the default timeouts in one turn, longer
  // ones take extra turns (an entry is re-filed when its slot comes round early).
  static constexpr uint32_t kWheelSlots = 4096;
  static constexpr uint32_t kBulk = RTE_HASH_LOOKUP_BULK_MAX;  // 64

  // Control thread, at start. `name` must be unique in the process. Returns null if DPDK
  // cannot give the memory.
  static std::unique_ptr<BasicConnTable> create(const char* name, uint32_t capacity, int socket,
                                                uint32_t now);
  ~BasicConnTable();
  BasicConnTable(const BasicConnTable&) = delete;
  BasicConnTable& operator=(const BasicConnTable&) = delete;

  // Looks up to kBulk keys. For each hit bit i, refs[i] = connection index << 1 | is_return.
  uint64_t lookup_bulk(const FlowKey** keys, uint32_t n, uint32_t* refs) const;
  // Single lookup, same ref format, kNone on a miss (the miss path uses it to catch a flow
  // whose first packet created the connection earlier in the same bulk).
  uint32_t lookup(const FlowKey& key) const;

  // Adds a connection (and its return key when `index_return`). Returns kNone when the table
  // is full, kTaken when a key already belongs to another connection (two nat connections
  // would share the server-side tuple; the second must not steal the first one's replies).
  uint32_t insert(const Conn& c, bool index_return);
  // Frees a connection now (the caller updates its server's counters).
  void remove(uint32_t index);
  // Moves the expiry; an earlier expiry re-files the entry so it is not kept too long.
  void set_expiry(uint32_t index, uint32_t expires);

  Conn& at(uint32_t index) { return conns_[index]; }
  const Conn& at(uint32_t index) const { return conns_[index]; }
  uint32_t capacity() const { return capacity_; }
  uint32_t size() const { return capacity() - static_cast<uint32_t>(free_.size()); }
  bool full() const { return free_.empty(); }
  // At least 3/4 of the entries in use: half-open connections get a short timeout (connect.h), so
  // a SYN flood from spoofed sources recycles its own entries before the table fills.
  bool crowded() const { return free_.size() <= capacity_ / 4; }

  // A half-open (syn_recv) connection to make room for a new one when the table is full:
  // the one due soonest (the oldest of its second), searched in the wheel from the next
  // second on, at most `budget`
  // steps (a slot or an entry each), so the work per packet is bounded. kNone if none was
  // found within the budget. Established connections are never chosen.
  uint32_t half_open_due_soonest(uint32_t budget) const;

  // Expires entries due at or before `now`, visiting at most `budget` entries per call so a
  // worker never stalls on a crowded second; on_expire(conn) runs before each is freed.
  // Returns the number of entries visited.
  template <typename OnExpire>
  uint32_t expire(uint32_t now, uint32_t budget, OnExpire&& on_expire);

 private:
  BasicConnTable() = default;
  // The wheel's slots are circular lists whose heads are sentinel entries stored after the
  // connections, so unlinking needs no knowledge of which slot an entry is filed in (the
  // expiry moves lazily, the slot does not).
  uint32_t sentinel(uint32_t slot) const { return capacity_ + slot; }
  void link(uint32_t index);  // files it in the slot of its expiry
  void unlink(uint32_t index);
  void forget(uint32_t index);  // hash keys and free list, not the wheel

  rte_hash* hash_ = nullptr;
  uint32_t capacity_ = 0;
  std::vector<Conn> conns_;     // capacity_ connections, then kWheelSlots sentinels
  std::vector<uint32_t> free_;  // stack of free indices
  uint32_t wheel_time_ = 0;     // the last second whose slot was fully processed
};

using ConnTable = BasicConnTable<Conn>;
using ConnTable6 = BasicConnTable<Conn6>;

template <class C>
template <typename OnExpire>
uint32_t BasicConnTable<C>::expire(uint32_t now, uint32_t budget, OnExpire&& on_expire) {
  uint32_t done = 0;
  while (static_cast<int32_t>(now - wheel_time_) > 0) {
    const uint32_t slot = sentinel((wheel_time_ + 1) % kWheelSlots);
    // Detach the slot's list so entries re-filed into this same slot are not seen again.
    // The detached chain still ends at the sentinel, which tells where it stops.
    uint32_t i = conns_[slot].timer_next;
    const uint32_t last = conns_[slot].timer_prev;
    conns_[slot].timer_next = conns_[slot].timer_prev = slot;
    while (i != slot) {
      if (done == budget) {
        // Out of budget: splice the unvisited rest [i, last] back and continue next call.
        const uint32_t first = conns_[slot].timer_next;
        conns_[i].timer_prev = slot;
        conns_[last].timer_next = first;
        conns_[first].timer_prev = last;
        conns_[slot].timer_next = i;
        return done;
      }
      const uint32_t next = conns_[i].timer_next;
      Conn& c = conns_[i];
      if (static_cast<int32_t>(c.expires - now) <= 0) {
        on_expire(c);
        forget(i);
      } else {
        link(i);
      }
      ++done;
      i = next;
    }
    ++wheel_time_;
  }
  return done;
}

}  // namespace sluice::dp
