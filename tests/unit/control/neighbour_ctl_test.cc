#include "control/neighbour_ctl.h"

#include <gtest/gtest.h>

#include <vector>

namespace sluice::control {
namespace {

const Mac kMac{{2, 0, 0, 0, 0, 7}};
const IpAddress kHop = IpAddress::v4(0xc6120015);

TEST(NeighbourCtl, SlotsAreStablePerNextHop) {
  dp::NeighbourSlots slots;
  NeighbourCtl n(slots, 300);
  const uint16_t a = *n.slot_for({0, kHop});
  const uint16_t b = *n.slot_for({1, kHop});
  EXPECT_NE(a, b);
  EXPECT_EQ(*n.slot_for({0, kHop}), a);
}

TEST(NeighbourCtl, AsksForUnresolvedHopsOnceASecondUntilAnswered) {
  dp::NeighbourSlots slots;
  NeighbourCtl n(slots, 300);
  const uint16_t s = *n.slot_for({0, kHop});
  std::vector<uint64_t> asked;
  const auto send = [&asked](const control::NextHop&) { asked.push_back(0); };
  n.tick(1000, send);
  n.tick(1500, send);
  n.tick(2000, send);
  EXPECT_EQ(asked.size(), 2u);
  Mac mac;
  EXPECT_FALSE(slots.get(s, mac));
  n.learn(0, kHop, kMac, 2100);
  ASSERT_TRUE(slots.get(s, mac));
  EXPECT_EQ(mac, kMac);
  n.tick(5000, send);
  EXPECT_EQ(asked.size(), 2u);  // fresh: no question
}

TEST(NeighbourCtl, LearnsOnlyOnTheInterfaceOfTheHop) {
  dp::NeighbourSlots slots;
  NeighbourCtl n(slots, 300);
  const uint16_t s = *n.slot_for({0, kHop});
  n.learn(1, kHop, kMac, 0);
  Mac mac;
  EXPECT_FALSE(slots.get(s, mac));
}

TEST(NeighbourCtl, RefreshesInTheLastThirdAndExpiresWhenSilent) {
  dp::NeighbourSlots slots;
  NeighbourCtl n(slots, 30);
  const uint16_t s = *n.slot_for({0, kHop});
  n.learn(0, kHop, kMac, 1000);
  int asked = 0;
  const auto send = [&asked](const control::NextHop&) { ++asked; };
  n.tick(10000, send);
  EXPECT_EQ(asked, 0);
  n.tick(22000, send);  // within 10 s of expiry at 31 s
  EXPECT_EQ(asked, 1);
  Mac mac;
  EXPECT_TRUE(slots.get(s, mac));
  n.tick(31000, send);
  EXPECT_FALSE(slots.get(s, mac));
}

TEST(NeighbourCtl, ReleasedSlotsAreClearedNoLongerAskedForAndReusedLast) {
  dp::NeighbourSlots slots;
  NeighbourCtl n(slots, 300);
  const uint16_t keep = *n.slot_for({0, kHop});
  const uint16_t drop = *n.slot_for({0, IpAddress::v4(0xc6120016)});
  n.learn(0, IpAddress::v4(0xc6120016), kMac, 0);
  n.retain({keep});
  Mac mac;
  EXPECT_FALSE(slots.get(drop, mac));
  std::vector<IpAddress> asked;
  n.tick(1000, [&asked](const control::NextHop& h) { asked.push_back(h.address); });
  EXPECT_EQ(asked, (std::vector<IpAddress>{kHop}));
  // Every other free slot is handed out before the released one comes back.
  for (uint32_t i = 0; i + 2 < kMaxNeighbours; ++i) {
    EXPECT_NE(*n.slot_for({1, IpAddress::v4(i)}), drop);
  }
  EXPECT_EQ(*n.slot_for({2, IpAddress::v4(1)}), drop);
  EXPECT_FALSE(n.slot_for({2, IpAddress::v4(2)}));  // all in use
}

TEST(NeighbourCtl, Ipv6NextHopsResolveLikeIpv4Ones) {
  dp::NeighbourSlots slots;
  NeighbourCtl n(slots, 300);
  IpAddress hop6;
  hop6.bytes = {0x20, 0x01, 0, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x21};
  const uint16_t s = *n.slot_for({0, hop6});
  EXPECT_NE(s, *n.slot_for({0, kHop}));
  std::vector<control::NextHop> asked;
  n.tick(1000, [&asked](const control::NextHop& h) { asked.push_back(h); });
  ASSERT_EQ(asked.size(), 2u);
  n.learn(0, hop6, kMac, 1100);
  Mac mac;
  ASSERT_TRUE(slots.get(s, mac));
  EXPECT_EQ(mac, kMac);
}

}  // namespace
}  // namespace sluice::control
