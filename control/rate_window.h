// Rates per second from cumulative counters sampled about once a second (the event loop's
// timer): the difference between the newest sample and the oldest one kept, over the time
// between them. Five seconds of samples: close to ipvsadm --rate (IPVS's estimator averages
// 2-second samples) while a steady rate reads steady. A counter that went down (its real
// server's id was given to another server) reads 0.
// Thread safety: the control thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

namespace sluice::control {

class RateWindow {
 public:
  static constexpr uint64_t kWindowMs = 5000;

  // `counters` in the same order every time; a longer or shorter vector than the last one
  // starts the window afresh.
  void add(uint64_t now_ms, std::vector<uint64_t> counters);
  // Counter `i` per second; 0 before two samples, or for an index not sampled.
  double per_second(size_t i) const;
  // The time the rates span: up to the window, less just after start (0 before two samples).
  uint64_t span_ms() const {
    return samples_.size() < 2 ? 0 : samples_.back().ms - samples_.front().ms;
  }

 private:
  struct Sample {
    uint64_t ms;
    std::vector<uint64_t> counters;
  };
  std::deque<Sample> samples_;
};

}  // namespace sluice::control
