#include "control/rate_window.h"

namespace sluice::control {

void RateWindow::add(uint64_t now_ms, std::vector<uint64_t> counters) {
  if (!samples_.empty() && samples_.back().counters.size() != counters.size()) samples_.clear();
  samples_.push_back({now_ms, std::move(counters)});
  // Keep the newest sample that is at least a window old: the rate spans the whole window.
  while (samples_.size() > 2 && now_ms - samples_[1].ms >= kWindowMs) samples_.pop_front();
}

double RateWindow::per_second(size_t i) const {
  if (samples_.size() < 2) return 0;
  const Sample& oldest = samples_.front();
  const Sample& newest = samples_.back();
  if (i >= newest.counters.size() || newest.ms == oldest.ms) return 0;
  if (newest.counters[i] < oldest.counters[i]) return 0;
  return static_cast<double>(newest.counters[i] - oldest.counters[i]) * 1000.0 /
         static_cast<double>(newest.ms - oldest.ms);
}

}  // namespace sluice::control
