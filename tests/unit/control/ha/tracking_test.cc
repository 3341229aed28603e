#include "control/ha/tracking.h"

#include <gtest/gtest.h>

namespace sluice::control::ha {
namespace {

TEST(Tracking, WithoutWeightAnyFailureIsFault) {
  EXPECT_EQ(tracked_priority(150, 0, 0), 150);
  EXPECT_EQ(tracked_priority(150, 1, 0), 0);
  EXPECT_EQ(tracked_priority(150, 3, 0), 0);
}

TEST(Tracking, AWeightLowersPerFailureButKeepsTheInstanceEligible) {
  EXPECT_EQ(tracked_priority(150, 1, 60), 90);
  EXPECT_EQ(tracked_priority(150, 2, 60), 30);
  EXPECT_EQ(tracked_priority(150, 3, 60), 1);
  EXPECT_EQ(tracked_priority(255, 1'000'000, 254), 1);  // no overflow
}

TEST(Tracking, AWorkerIsStuckAfterItsCounterStoodStillPatienceLooks) {
  Heartbeats h(3);
  EXPECT_TRUE(h.look({10, 20}).empty());  // first look: nothing to compare
  EXPECT_TRUE(h.look({11, 20}).empty());
  EXPECT_TRUE(h.look({12, 20}).empty());
  EXPECT_EQ(h.look({13, 20}), (std::vector<size_t>{1}));
  EXPECT_EQ(h.look({13, 20}), (std::vector<size_t>{1}));  // still stuck
  EXPECT_TRUE(h.look({14, 21}).empty());                  // moved again: recovered
}

}  // namespace
}  // namespace sluice::control::ha
