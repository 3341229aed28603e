#include "control/rate_window.h"

#include <gtest/gtest.h>

namespace sluice::control {
namespace {

TEST(RateWindow, NothingUntilTwoSamples) {
  RateWindow w;
  EXPECT_EQ(w.per_second(0), 0);
  w.add(1000, {500});
  EXPECT_EQ(w.per_second(0), 0);
}

TEST(RateWindow, TheRateOverTheTimeBetweenSamples) {
  RateWindow w;
  w.add(1000, {0, 7});
  w.add(1500, {50, 7});  // half a second
  EXPECT_DOUBLE_EQ(w.per_second(0), 100);
  EXPECT_EQ(w.span_ms(), 500u);
  EXPECT_DOUBLE_EQ(w.per_second(1), 0);
  EXPECT_EQ(w.per_second(2), 0);  // not sampled
}

// One sample a second: the rate spans the last five seconds, so a burst leaves it again.
TEST(RateWindow, SpansTheLastFiveSeconds) {
  RateWindow w;
  uint64_t count = 0;
  for (uint64_t s = 0; s <= 10; ++s) {
    count += s <= 2 ? 1000 : 10;  // a burst in the first seconds, then 10 a second
    w.add(s * 1000, {count});
  }
  EXPECT_DOUBLE_EQ(w.per_second(0), 10);
  EXPECT_EQ(w.span_ms(), 5000u);
}

TEST(RateWindow, ACounterThatWentDownReadsZero) {
  RateWindow w;
  w.add(0, {900});
  w.add(1000, {3});  // its server's id was given to a new server
  EXPECT_EQ(w.per_second(0), 0);
}

TEST(RateWindow, AnotherLayoutStartsAfresh) {
  RateWindow w;
  w.add(0, {0});
  w.add(1000, {100});
  w.add(2000, {100, 5});  // a worker or port more after a restart of the layout
  EXPECT_EQ(w.per_second(0), 0);
  w.add(3000, {300, 5});
  EXPECT_DOUBLE_EQ(w.per_second(0), 200);
}

}  // namespace
}  // namespace sluice::control
