// The health of one checked real server, as a pure state machine over check results: rise
// consecutive successes bring a down server up, fall consecutive failures take an up one down
// (HAProxy's rise/fall; ldirectord's failurecount is fall with rise 1). A server starts up but
// unconfirmed, as HAProxy's default init-state: its first failure takes it down at once, so a
// dead server leaves rotation at its first check and a live one loses no traffic at start.
// Thread safety: plain values.
#pragma once

#include <cstdint>

#include "common/names.h"

namespace sluice::control::health {

struct RiseFall {
  uint32_t rise = 2;  // >= 1
  uint32_t fall = 3;  // >= 1
};

class CheckState {
 public:
  // What one result changed.
  struct Change {
    bool shown = false;    // health() is different (up -> falling, rising -> up, ...)
    bool serving = false;  // serving() is different: the workers must hear of it
  };

  Change record(bool success, RiseFall limits);

  // up, down, rising or falling (never unchecked: that is a server without a check).
  Health health() const { return health_; }
  // May it take new connections, as far as health goes? up and falling: yes; down and
  // rising: no.
  bool serving() const { return health_ == Health::up || health_ == Health::falling; }
  bool confirmed() const { return confirmed_; }  // at least one result recorded
  // Consecutive results counted towards rise (rising) or fall (falling); 0 otherwise.
  uint32_t count() const { return count_; }

 private:
  Health health_ = Health::up;
  bool confirmed_ = false;
  uint32_t count_ = 0;
};

// ldirectord's checktype N: N connect checks, then one full ("negotiate") check, and again.
// The first check is the full one, so a server whose application is broken is found at once.
class NegotiateSchedule {
 public:
  // connects_between 0: every check is full.
  explicit NegotiateSchedule(uint32_t connects_between = 0) : between_(connects_between) {}
  // Is the next check the full one? Advances the schedule.
  bool next_is_full();

 private:
  uint32_t between_;
  uint32_t done_ = 0;  // checks since the last full one; starts "due"
  bool started_ = false;
};

}  // namespace sluice::control::health
