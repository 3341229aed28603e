// A budget of events per whole second on one worker's clock: what sluice sends or passes on
// when it cannot be sure who asks (ICMP errors, echo replies, packets for the kernel). Up to
// twice the budget can pass across a second's boundary; cheap: one compare per event.
// Thread safety: one worker's own.
#pragma once

#include <cstdint>

namespace sluice::dp {

struct SecondBudget {
  uint32_t second = UINT32_MAX;  // the second `left` belongs to (none yet)
  uint32_t left = 0;

  // Takes one event at worker time `now`; false when this second's `per_second` are spent.
  bool take(uint32_t now, uint32_t per_second) {
    if (second != now) {
      second = now;
      left = per_second;
    }
    if (left == 0) return false;
    --left;
    return true;
  }
};

}  // namespace sluice::dp
