#include "control/ha/tracking.h"

#include <algorithm>

namespace sluice::control::ha {

uint8_t tracked_priority(uint8_t configured, uint32_t failures, uint32_t weight) {
  if (failures == 0) return configured;
  if (weight == 0) return 0;
  const uint64_t lowered = uint64_t{failures} * weight;
  return lowered >= configured ? 1 : static_cast<uint8_t>(std::max<uint64_t>(1, configured - lowered));
}

std::vector<size_t> Heartbeats::look(const std::vector<uint64_t>& counters) {
  if (last_.size() != counters.size()) {  // the first look: nothing to compare with yet
    last_ = counters;
    still_.assign(counters.size(), 0);
    return {};
  }
  std::vector<size_t> stuck;
  for (size_t i = 0; i < counters.size(); ++i) {
    still_[i] = counters[i] == last_[i] ? still_[i] + 1 : 0;
    last_[i] = counters[i];
    if (still_[i] >= patience_) stuck.push_back(i);
  }
  return stuck;
}

}  // namespace sluice::control::ha
