#include "control/health/check_state.h"

namespace sluice::control::health {

CheckState::Change CheckState::record(bool success, RiseFall limits) {
  const Health before = health_;
  const bool was_serving = serving();
  if (!confirmed_) {
    // The first result decides at once: up stays up, a failure is down without a fall count.
    confirmed_ = true;
    health_ = success ? Health::up : Health::down;
    count_ = 0;
  } else if (success) {
    switch (health_) {
      case Health::down:
      case Health::rising:
        count_ = health_ == Health::down ? 1 : count_ + 1;
        health_ = count_ >= limits.rise ? Health::up : Health::rising;
        if (health_ == Health::up) count_ = 0;
        break;
      default:
        health_ = Health::up;
        count_ = 0;
    }
  } else {
    switch (health_) {
      case Health::up:
      case Health::falling:
        count_ = health_ == Health::up ? 1 : count_ + 1;
        health_ = count_ >= limits.fall ? Health::down : Health::falling;
        if (health_ == Health::down) count_ = 0;
        break;
      default:
        health_ = Health::down;
        count_ = 0;
    }
  }
  return {.shown = health_ != before, .serving = serving() != was_serving};
}

bool NegotiateSchedule::next_is_full() {
  if (between_ == 0) return true;
  if (!started_ || done_ >= between_) {
    started_ = true;
    done_ = 0;
    return true;
  }
  ++done_;
  return false;
}

}  // namespace sluice::control::health
