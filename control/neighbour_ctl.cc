#include "control/neighbour_ctl.h"

#include <stdexcept>

namespace sluice::control {

NeighbourCtl::NeighbourCtl(dp::NeighbourSlots& slots, uint32_t timeout_s)
    : slots_(slots), timeout_ms_(uint64_t{timeout_s} * 1000) {}

uint16_t NeighbourCtl::slot_for(const config::NextHop& hop) {
  const auto key = std::make_pair(hop.interface, hop.address);
  if (auto it = by_hop_.find(key); it != by_hop_.end()) return it->second;
  // Config validation bounds real servers well below this; reaching it is a bug.
  if (entries_.size() >= dp::kMaxNeighbours) throw std::length_error("neighbour slots exhausted");
  const auto slot = static_cast<uint16_t>(entries_.size());
  Entry entry;
  entry.hop = hop;
  entry.slot = slot;
  entries_.push_back(entry);
  by_hop_.emplace(key, slot);
  return slot;
}

void NeighbourCtl::learn(uint8_t interface, config::Ipv4 sender_ip, const dp::Mac& sender_mac,
                         uint64_t now_ms) {
  auto it = by_hop_.find({interface, sender_ip});
  if (it == by_hop_.end()) return;
  Entry& e = entries_[it->second];
  e.expires_ms = now_ms + timeout_ms_;
  if (e.resolved && e.mac == sender_mac) return;
  e.mac = sender_mac;
  e.resolved = true;
  slots_.set(e.slot, sender_mac);
}

void NeighbourCtl::tick(uint64_t now_ms, const SendRequest& send) {
  for (Entry& e : entries_) {
    if (e.resolved && now_ms >= e.expires_ms) {
      e.resolved = false;
      slots_.clear(e.slot);
    }
    // Refresh during the last third of the lifetime, so a live neighbour never lapses.
    const bool due = !e.resolved || now_ms + timeout_ms_ / 3 >= e.expires_ms;
    if (due && (e.last_request_ms == 0 || now_ms >= e.last_request_ms + kRequestIntervalMs)) {
      e.last_request_ms = now_ms;
      send(e.hop);
    }
  }
}

}  // namespace sluice::control
