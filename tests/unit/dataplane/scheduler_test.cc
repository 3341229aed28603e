#include "dataplane/scheduler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <numeric>
#include <vector>

namespace sluice::dp {
namespace {

std::vector<RealServerEntry> servers(std::initializer_list<uint16_t> weights) {
  std::vector<RealServerEntry> s;
  uint32_t id = 0;
  for (uint16_t w : weights) s.push_back({.id = id++, .address = 0, .port = 0, .weight = w});
  return s;
}

VirtualServiceEntry service(Scheduler sched, const std::vector<RealServerEntry>& s) {
  VirtualServiceEntry e{.scheduler = sched, .server_count = static_cast<uint32_t>(s.size())};
  for (const auto& rs : s) {
    if (!rs.available()) continue;
    e.max_weight = std::max(e.max_weight, rs.weight);
  }
  uint16_t g = 0;
  for (const auto& rs : s) {
    if (rs.available()) g = static_cast<uint16_t>(std::gcd(g, rs.weight));
  }
  e.weight_gcd = g == 0 ? 1 : g;
  return e;
}

std::vector<int> count_picks(Scheduler sched, std::vector<RealServerEntry> s, int picks,
                             bool count_connections = false) {
  std::array<ServerLoad, 16> conns{};
  SchedulerCursor cursor;
  const VirtualServiceEntry e = service(sched, s);
  std::vector<int> counts(s.size());
  for (int i = 0; i < picks; ++i) {
    const uint32_t p = pick_server(e, s, cursor, conns.data());
    if (p == kNoServer) return {};
    ++counts[p];
    if (count_connections) conns[s[p].id].add(ConnState::established);
  }
  return counts;
}

TEST(RoundRobin, CyclesThroughServersIgnoringWeights) {
  EXPECT_EQ(count_picks(Scheduler::rr, servers({1, 5, 100}), 300), (std::vector<int>{100, 100, 100}));
}

TEST(RoundRobin, SkipsWeightZeroAndNonOnlineServers) {
  auto s = servers({1, 0, 1, 1});
  s[2].state = AdminState::drain;
  s[3].state = AdminState::halt;
  EXPECT_EQ(count_picks(Scheduler::rr, s, 50), (std::vector<int>{50, 0, 0, 0}));
}

TEST(WeightedRoundRobin, PicksInProportionToWeight) {
  EXPECT_EQ(count_picks(Scheduler::wrr, servers({3, 2, 1}), 6000),
            (std::vector<int>{3000, 2000, 1000}));
}

TEST(WeightedRoundRobin, InterleavesRatherThanBursts) {
  auto s = servers({2, 1});
  std::array<ServerLoad, 2> conns{};
  SchedulerCursor cursor;
  const auto e = service(Scheduler::wrr, s);
  std::vector<uint32_t> order;
  for (int i = 0; i < 6; ++i) order.push_back(pick_server(e, s, cursor, conns.data()));
  EXPECT_EQ(order, (std::vector<uint32_t>{0, 0, 1, 0, 0, 1}));
}

TEST(WeightedRoundRobin, LargeWeightsWithCommonDivisor) {
  EXPECT_EQ(count_picks(Scheduler::wrr, servers({65535, 0, 21845}), 4000),
            (std::vector<int>{3000, 0, 1000}));
}

TEST(WeightedLeastConnection, HoldsWeightRatiosAsConnectionsAccumulate) {
  EXPECT_EQ(count_picks(Scheduler::wlc, servers({4, 2, 1, 0}), 7000, true),
            (std::vector<int>{4000, 2000, 1000, 0}));
}

TEST(WeightedLeastConnection, PrefersTheLeastLoadedServer) {
  auto s = servers({1, 1, 1});
  std::array<ServerLoad, 3> conns{};
  conns[0].active.set(5);
  conns[1].active.set(2);
  conns[2].active.set(9);
  SchedulerCursor cursor;
  EXPECT_EQ(pick_server(service(Scheduler::wlc, s), s, cursor, conns.data()), 1u);
}

TEST(WeightedLeastConnection, InactiveConnectionsWeighA256thOfActiveOnes) {
  auto s = servers({1, 1});
  std::array<ServerLoad, 2> conns{};
  conns[0].active.set(1);     // overhead 256
  conns[1].inactive.set(200);  // overhead 200: still the lighter one
  SchedulerCursor cursor;
  EXPECT_EQ(pick_server(service(Scheduler::wlc, s), s, cursor, conns.data()), 1u);
  conns[1].inactive.set(300);
  EXPECT_EQ(pick_server(service(Scheduler::wlc, s), s, cursor, conns.data()), 0u);
}

TEST(AllSchedulers, ReturnNoServerWhenNoneIsAvailable) {
  for (Scheduler sched : {Scheduler::rr, Scheduler::wrr, Scheduler::wlc}) {
    auto s = servers({0, 1});
    s[1].state = AdminState::drain;
    std::array<ServerLoad, 2> conns{};
    SchedulerCursor cursor;
    EXPECT_EQ(pick_server(service(sched, s), s, cursor, conns.data()), kNoServer);
    std::vector<RealServerEntry> none;
    EXPECT_EQ(pick_server(service(sched, none), none, cursor, conns.data()), kNoServer);
  }
}

}  // namespace
}  // namespace sluice::dp
