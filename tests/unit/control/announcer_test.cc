#include "control/announcer.h"

#include <gtest/gtest.h>

#include <vector>

namespace sluice::control {
namespace {

// Runs the loop until `until_ms` have passed (a bound, not a timing goal), timing each
// announcement from the start.
std::vector<uint64_t> announcements(const config::Garp& garp, uint64_t until_ms,
                                    bool stop_midway = false) {
  EventLoop loop;
  const uint64_t start = uv_now(loop.uv());
  std::vector<uint64_t> at;
  Announcer a(loop, garp, [&] { at.push_back(uv_now(loop.uv()) - start); });
  Timer end = loop.timer([&] { loop.stop(); });
  Timer halfway = loop.timer([&] { a.stop(); });
  end.start(until_ms, 0);
  if (stop_midway) halfway.start(until_ms / 2, 0);
  a.start();
  loop.run();
  return at;
}

TEST(Announcer, ARoundGoesOutAtOnceAndASecondAfterTheDelay) {
  const std::vector<uint64_t> at =
      announcements({.repeat = 3, .interval_ms = 0, .delay_ms = 60, .refresh_ms = 0}, 200);
  ASSERT_EQ(at.size(), 6u);
  for (size_t i = 0; i < 3; ++i) EXPECT_LT(at[i], 20u) << i;
  for (size_t i = 3; i < 6; ++i) EXPECT_GE(at[i], 60u) << i;
}

TEST(Announcer, AnnouncementsOfARoundAreSpacedByTheInterval) {
  const std::vector<uint64_t> at =
      announcements({.repeat = 3, .interval_ms = 20, .delay_ms = 0, .refresh_ms = 0}, 150);
  ASSERT_EQ(at.size(), 3u);
  EXPECT_GE(at[1], 20u);
  EXPECT_GE(at[2], 40u);
}

TEST(Announcer, RefreshRepeatsRoundsUntilStopped) {
  const config::Garp garp{.repeat = 1, .interval_ms = 0, .delay_ms = 0, .refresh_ms = 30};
  EXPECT_GE(announcements(garp, 200).size(), 5u);  // at 0, 30, 60, ... (bounded by 200 ms)
  const size_t stopped = announcements(garp, 200, true).size();
  EXPECT_LE(stopped, 4u);  // none after 100 ms
}

}  // namespace
}  // namespace sluice::control
