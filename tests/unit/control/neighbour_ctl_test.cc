#include "control/neighbour_ctl.h"

#include <gtest/gtest.h>

#include <vector>

namespace sluice::control {
namespace {

const dp::Mac kMac{{2, 0, 0, 0, 0, 7}};

TEST(NeighbourCtl, SlotsAreStablePerNextHop) {
  dp::NeighbourSlots slots;
  NeighbourCtl n(slots, 300);
  const uint16_t a = *n.slot_for({0, 0xc6120015});
  const uint16_t b = *n.slot_for({1, 0xc6120015});
  EXPECT_NE(a, b);
  EXPECT_EQ(*n.slot_for({0, 0xc6120015}), a);
}

TEST(NeighbourCtl, AsksForUnresolvedHopsOnceASecondUntilAnswered) {
  dp::NeighbourSlots slots;
  NeighbourCtl n(slots, 300);
  const uint16_t s = *n.slot_for({0, 0xc6120015});
  std::vector<uint64_t> asked;
  const auto send = [&asked](const config::NextHop&) { asked.push_back(0); };
  n.tick(1000, send);
  n.tick(1500, send);
  n.tick(2000, send);
  EXPECT_EQ(asked.size(), 2u);
  dp::Mac mac;
  EXPECT_FALSE(slots.get(s, mac));
  n.learn(0, 0xc6120015, kMac, 2100);
  ASSERT_TRUE(slots.get(s, mac));
  EXPECT_EQ(mac, kMac);
  n.tick(5000, send);
  EXPECT_EQ(asked.size(), 2u);  // fresh: no question
}

TEST(NeighbourCtl, LearnsOnlyOnTheInterfaceOfTheHop) {
  dp::NeighbourSlots slots;
  NeighbourCtl n(slots, 300);
  const uint16_t s = *n.slot_for({0, 0xc6120015});
  n.learn(1, 0xc6120015, kMac, 0);
  dp::Mac mac;
  EXPECT_FALSE(slots.get(s, mac));
}

TEST(NeighbourCtl, RefreshesInTheLastThirdAndExpiresWhenSilent) {
  dp::NeighbourSlots slots;
  NeighbourCtl n(slots, 30);
  const uint16_t s = *n.slot_for({0, 0xc6120015});
  n.learn(0, 0xc6120015, kMac, 1000);
  int asked = 0;
  const auto send = [&asked](const config::NextHop&) { ++asked; };
  n.tick(10000, send);
  EXPECT_EQ(asked, 0);
  n.tick(22000, send);  // within 10 s of expiry at 31 s
  EXPECT_EQ(asked, 1);
  dp::Mac mac;
  EXPECT_TRUE(slots.get(s, mac));
  n.tick(31000, send);
  EXPECT_FALSE(slots.get(s, mac));
}

TEST(NeighbourCtl, ReleasedSlotsAreClearedNoLongerAskedForAndReusedLast) {
  dp::NeighbourSlots slots;
  NeighbourCtl n(slots, 300);
  const uint16_t keep = *n.slot_for({0, 0xc6120015});
  const uint16_t drop = *n.slot_for({0, 0xc6120016});
  n.learn(0, 0xc6120016, kMac, 0);
  n.retain({keep});
  dp::Mac mac;
  EXPECT_FALSE(slots.get(drop, mac));
  std::vector<config::Ipv4> asked;
  n.tick(1000, [&asked](const config::NextHop& h) { asked.push_back(h.address); });
  EXPECT_EQ(asked, (std::vector<config::Ipv4>{0xc6120015}));
  // Every other free slot is handed out before the released one comes back.
  for (uint32_t i = 0; i + 2 < dp::kMaxNeighbours; ++i) {
    EXPECT_NE(*n.slot_for({1, i}), drop);
  }
  EXPECT_EQ(*n.slot_for({2, 1}), drop);
  EXPECT_FALSE(n.slot_for({2, 2}));  // all in use
}

}  // namespace
}  // namespace sluice::control
