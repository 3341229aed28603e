#include "control/neighbour_ctl.h"

namespace sluice::control {

NeighbourCtl::NeighbourCtl(dp::NeighbourSlots& slots, uint32_t timeout_s)
    : slots_(slots), timeout_ms_(uint64_t{timeout_s} * 1000), entries_(kMaxNeighbours) {
  for (uint32_t slot = 0; slot < kMaxNeighbours; ++slot) {
    free_.push_back(static_cast<uint16_t>(slot));
  }
}

std::optional<uint16_t> NeighbourCtl::slot_for(const control::NextHop& hop) {
  const auto key = std::make_pair(hop.interface, hop.address);
  if (auto it = by_hop_.find(key); it != by_hop_.end()) return it->second;
  if (free_.empty()) return std::nullopt;
  const uint16_t slot = free_.front();
  free_.pop_front();
  entries_[slot] = Entry{};
  entries_[slot].hop = hop;
  entries_[slot].slot = slot;
  entries_[slot].in_use = true;
  by_hop_.emplace(key, slot);
  return slot;
}

void NeighbourCtl::retain(const std::set<uint16_t>& used) {
  for (auto it = by_hop_.begin(); it != by_hop_.end();) {
    if (used.contains(it->second)) {
      ++it;
      continue;
    }
    entries_[it->second].in_use = false;
    slots_.clear(it->second);
    free_.push_back(it->second);
    it = by_hop_.erase(it);
  }
}

void NeighbourCtl::learn(uint8_t interface, const IpAddress& sender_ip,
                         const Mac& sender_mac, uint64_t now_ms) {
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
  for (const auto& [hop, slot] : by_hop_) {
    Entry& e = entries_[slot];
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
