// Resolves the MAC addresses of next hops (real servers, route gateways) with ARP (IPv4) or
// neighbour discovery (IPv6) and keeps them fresh: learns from every ARP or ND packet the
// workers pass to the kernel, asks again before
// an entry expires, and clears the worker-visible slot when it does expire.
// Pure logic: sending is a callback, time is a parameter, so tests drive it directly.
// Thread safety: control thread only.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "control/compile/compile.h"
#include "dataplane/neighbour_slots.h"

namespace sluice::control {

class NeighbourCtl {
 public:
  struct Entry {
    control::NextHop hop;
    uint16_t slot = 0;
    bool in_use = false;
    Mac mac;
    bool resolved = false;
    uint64_t expires_ms = 0;       // valid until, when resolved
    uint64_t last_request_ms = 0;  // 0: never asked
  };
  using SendRequest = std::function<void(const control::NextHop&)>;

  NeighbourCtl(dp::NeighbourSlots& slots, uint32_t timeout_s);

  // Registers a next hop (once) and returns its slot; nullopt when all slots are in use.
  std::optional<uint16_t> slot_for(const control::NextHop& hop);
  // Releases every slot not in `used` (the slots the published snapshot refers to): its MAC
  // is cleared and it is no longer asked for. Released slots are reused last, so a slot
  // still named by a connection of a removed server is not soon handed to another hop.
  void retain(const std::set<uint16_t>& used);
  // An ARP or ND packet from `sender_ip` with `sender_mac` arrived on `interface`.
  void learn(uint8_t interface, const IpAddress& sender_ip, const Mac& sender_mac,
             uint64_t now_ms);
  // Asks for unresolved and soon-to-expire entries (at most once a second each) and expires
  // stale ones.
  void tick(uint64_t now_ms, const SendRequest& send);

  void set_timeout(uint32_t timeout_s) { timeout_ms_ = uint64_t{timeout_s} * 1000; }
  // Indexed by slot; entries with in_use false are free.
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  static constexpr uint64_t kRequestIntervalMs = 1000;
  dp::NeighbourSlots& slots_;
  uint64_t timeout_ms_;
  std::vector<Entry> entries_;  // index == slot
  std::deque<uint16_t> free_;
  std::map<std::pair<uint8_t, IpAddress>, uint16_t> by_hop_;
};

}  // namespace sluice::control
