// What tracking does to a VRRP instance's priority (keepalived's track_interface and
// track_script, with and without weight), and how a stuck worker is told: pure rules the
// instance runner (control/ha_instances.cc) applies every 100 ms to what it observes.
// Thread safety: plain values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace sluice::control::ha {

// The priority in force with `failures` tracked items down: the configured one when none
// is; with a weight, lowered by it per failure but never below 1 (the instance stays
// eligible, a healthier peer wins); without one (0), 0: fault, the instance claims nothing.
uint8_t tracked_priority(uint8_t configured, uint32_t failures, uint32_t weight);

// Watches one counter per worker that moves every loop iteration: a worker whose counter
// stood still for `patience` consecutive looks is stuck (an idle worker still loops: it
// sleeps 100 us at most between iterations).
class Heartbeats {
 public:
  explicit Heartbeats(uint32_t patience) : patience_(patience) {}
  // Takes the counters' values now; returns the indexes of the stuck workers.
  std::vector<size_t> look(const std::vector<uint64_t>& counters);

 private:
  uint32_t patience_;
  std::vector<uint64_t> last_;
  std::vector<uint32_t> still_;  // consecutive looks without a move
};

}  // namespace sluice::control::ha
