#include "dataplane/scheduler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <numeric>
#include <set>
#include <vector>

#include "dataplane/hash_tables.h"

namespace sluice::dp {
namespace {

std::vector<RealServerEntry> servers(std::initializer_list<uint16_t> weights) {
  std::vector<RealServerEntry> s;
  uint32_t id = 0;
  for (uint16_t w : weights) {
    s.push_back(
        {.id = id, .address = IpAddress::v4(0xc6120100 + id), .port = 0, .weight = w});
    ++id;
  }
  return s;
}

// One worker's scheduling state for one service, as the lb stage keeps it.
class Picker {
 public:
  Picker(Scheduler sched, std::vector<RealServerEntry> s) : servers_(std::move(s)) {
    service_.scheduler = sched;
    service_.server_count = static_cast<uint32_t>(servers_.size());
    uint16_t gcd = 0;
    std::vector<HashBackend> backends;
    for (size_t i = 0; i < servers_.size(); ++i) {
      const RealServerEntry& rs = servers_[i];
      if (!rs.available()) continue;
      service_.max_weight = std::max(service_.max_weight, rs.weight);
      gcd = static_cast<uint16_t>(std::gcd(gcd, rs.weight));
      backends.push_back({static_cast<uint16_t>(i), rs.weight, rs.address.to_v4()});
    }
    service_.weight_gcd = gcd == 0 ? 1 : gcd;
    if (sched == Scheduler::maglev) table_ = build_maglev(backends);
    if (sched == Scheduler::sh || sched == Scheduler::dh) table_ = build_static_hash(backends);
  }

  uint32_t pick(uint32_t client = 0xc6130001, uint32_t vip = 0xc612000a) {
    return pick_server(service_, servers_, table_, cursor_, {load_.data(), overloaded_.data()},
                       {client, vip});
  }
  // Picks and counts the new connection as established on the chosen server.
  uint32_t connect(uint32_t client = 0xc6130001) {
    const uint32_t p = pick(client);
    if (p != kNoServer) load_[servers_[p].id].add(ConnState::established);
    return p;
  }
  std::vector<int> count(int picks, bool add_connections = false) {
    std::vector<int> counts(servers_.size());
    for (int i = 0; i < picks; ++i) {
      const uint32_t p = add_connections ? connect() : pick();
      if (p == kNoServer) return {};
      ++counts[p];
    }
    return counts;
  }
  ServerLoad& load(size_t i) { return load_[servers_[i].id]; }

 private:
  std::vector<RealServerEntry> servers_;
  VirtualServiceEntry service_;
  std::vector<uint16_t> table_;
  SchedulerCursor cursor_;
  std::array<ServerLoad, 16> load_{};
  std::array<uint8_t, 16> overloaded_{};
};

TEST(RoundRobin, CyclesThroughServersIgnoringWeights) {
  EXPECT_EQ(Picker(Scheduler::rr, servers({1, 5, 100})).count(300),
            (std::vector<int>{100, 100, 100}));
}

TEST(RoundRobin, SkipsWeightZeroAndNonOnlineServers) {
  auto s = servers({1, 0, 1, 1});
  s[2].state = AdminState::drain;
  s[3].state = AdminState::halt;
  EXPECT_EQ(Picker(Scheduler::rr, s).count(50), (std::vector<int>{50, 0, 0, 0}));
}

TEST(WeightedRoundRobin, PicksInProportionToWeight) {
  EXPECT_EQ(Picker(Scheduler::wrr, servers({3, 2, 1})).count(6000),
            (std::vector<int>{3000, 2000, 1000}));
}

TEST(WeightedRoundRobin, InterleavesRatherThanBursts) {
  Picker p(Scheduler::wrr, servers({2, 1}));
  std::vector<uint32_t> order;
  for (int i = 0; i < 6; ++i) order.push_back(p.pick());
  EXPECT_EQ(order, (std::vector<uint32_t>{0, 0, 1, 0, 0, 1}));
}

TEST(WeightedRoundRobin, LargeWeightsWithCommonDivisor) {
  EXPECT_EQ(Picker(Scheduler::wrr, servers({65535, 0, 21845})).count(4000),
            (std::vector<int>{3000, 0, 1000}));
}

TEST(WeightedRoundRobin, FullHeavyServersLeaveTheLightOneInAFewSteps) {
  auto s = servers({65535, 65535, 1});
  s[0].max_conns = s[1].max_conns = 1;
  Picker p(Scheduler::wrr, s);
  EXPECT_EQ(p.count(2, true), (std::vector<int>{1, 1, 0}));
  // The heavy ones are full: the light one takes every new connection at once.
  EXPECT_EQ(p.count(5, true), (std::vector<int>{0, 0, 5}));
}

TEST(WeightedLeastConnection, HoldsWeightRatiosAsConnectionsAccumulate) {
  EXPECT_EQ(Picker(Scheduler::wlc, servers({4, 2, 1, 0})).count(7000, true),
            (std::vector<int>{4000, 2000, 1000, 0}));
}

TEST(WeightedLeastConnection, PrefersTheLeastLoadedServer) {
  Picker p(Scheduler::wlc, servers({1, 1, 1}));
  p.load(0).active.set(5);
  p.load(1).active.set(2);
  p.load(2).active.set(9);
  EXPECT_EQ(p.pick(), 1u);
}

TEST(WeightedLeastConnection, InactiveConnectionsWeighA256thOfActiveOnes) {
  Picker p(Scheduler::wlc, servers({1, 1}));
  p.load(0).active.set(1);      // overhead 256
  p.load(1).inactive.set(200);  // overhead 200: still the lighter one
  EXPECT_EQ(p.pick(), 1u);
  p.load(1).inactive.set(300);
  EXPECT_EQ(p.pick(), 0u);
}

TEST(LeastConnection, IgnoresWeightsButNotWeightZero) {
  EXPECT_EQ(Picker(Scheduler::lc, servers({4, 1, 0})).count(600, true),
            (std::vector<int>{300, 300, 0}));
}

TEST(First, TheFirstAvailableServerTakesAll) {
  auto s = servers({1, 1, 1});
  EXPECT_EQ(Picker(Scheduler::first, s).count(20, true), (std::vector<int>{20, 0, 0}));
  s[0].state = AdminState::drain;  // the active one goes: the standby takes over
  EXPECT_EQ(Picker(Scheduler::first, s).count(20, true), (std::vector<int>{0, 20, 0}));
}

TEST(SourceHash, AClientAlwaysGetsTheSameServerAndClientsSpread) {
  Picker p(Scheduler::sh, servers({1, 1, 1, 1}));
  std::vector<int> counts(4);
  for (uint32_t client = 0; client < 4000; ++client) {
    const uint32_t first = p.pick(0xc6130000 + client);
    EXPECT_EQ(p.pick(0xc6130000 + client), first);
    ++counts[first];
  }
  for (int c : counts) EXPECT_NEAR(c, 1000, 200);
}

TEST(SourceHash, BucketsFollowTheWeightsEvenWhenTheirSumExceedsTheTable) {
  const std::vector<HashBackend> backends{{0, 1000, 1}, {1, 999, 2}, {2, 1, 3}};
  const std::vector<uint16_t> table = build_static_hash(backends);
  ASSERT_EQ(table.size(), kStaticHashBuckets);
  std::vector<int> buckets(3);
  for (uint16_t position : table) ++buckets[position];
  EXPECT_EQ(buckets, (std::vector<int>{128, 128, 0}));  // 256 x 1000/2000, 256 x 999/2000
  const std::vector<uint16_t> even =
      build_static_hash(std::vector<HashBackend>{{0, 257, 1}, {1, 256, 2}});
  EXPECT_EQ(std::count(even.begin(), even.end(), 1), 128);
}

TEST(DestinationHash, HashesTheVirtualServiceAddress) {
  Picker p(Scheduler::dh, servers({1, 1, 1, 1}));
  const uint32_t server = p.pick(0xc6130001, 0xc612000a);
  for (uint32_t client = 0; client < 100; ++client) {
    EXPECT_EQ(p.pick(0xc6130000 + client, 0xc612000a), server);
  }
}

TEST(Maglev, SpreadsClientsByWeightAndKeepsEachOnItsServer) {
  Picker p(Scheduler::maglev, servers({2, 1, 1}));
  std::vector<int> counts(3);
  for (uint32_t client = 0; client < 8000; ++client) {
    const uint32_t s = p.pick(0xc6130000 + client * 7);
    EXPECT_EQ(p.pick(0xc6130000 + client * 7), s);
    ++counts[s];
  }
  EXPECT_NEAR(counts[0], 4000, 400);
  EXPECT_NEAR(counts[1], 2000, 300);
  EXPECT_NEAR(counts[2], 2000, 300);
}

TEST(Maglev, AServerLeavingMovesFewOtherClients) {
  std::vector<RealServerEntry> all = servers({1, 1, 1, 1, 1, 1, 1, 1, 1, 1});
  std::vector<RealServerEntry> without = all;
  without[3].weight = 0;  // leaves the table
  Picker before(Scheduler::maglev, all), after(Scheduler::maglev, without);
  int stayed_elsewhere = 0, moved_needlessly = 0;
  for (uint32_t client = 0; client < 20000; ++client) {
    const uint32_t a = before.pick(0xc6130000 + client), b = after.pick(0xc6130000 + client);
    if (a == 3) continue;  // its clients must move
    (a == b ? stayed_elsewhere : moved_needlessly)++;
  }
  // A modulo hash would move ~90% of them; Maglev's paper reports a few percent.
  EXPECT_LT(moved_needlessly, (stayed_elsewhere + moved_needlessly) * 5 / 100);
}

TEST(ConnectionThresholds, AFullServerTakesNoneUntilBelowMinConns) {
  auto s = servers({1, 1});
  s[0].max_conns = 4;
  s[0].min_conns = 2;
  Picker p(Scheduler::first, s);
  EXPECT_EQ(p.count(6, true), (std::vector<int>{4, 2}));  // the first fills up, then overflows
  p.load(0).active.set(3);                                // below max, above min: still overloaded
  EXPECT_EQ(p.pick(), 1u);
  p.load(0).active.set(1);  // below min: back in
  EXPECT_EQ(p.pick(), 0u);
}

TEST(ConnectionThresholds, WithoutMinConnsAServerResumesBelowThreeQuartersOfMax) {
  auto s = servers({1, 1});
  s[0].max_conns = 8;
  Picker p(Scheduler::first, s);
  p.count(8, true);
  EXPECT_EQ(p.pick(), 1u);
  p.load(0).active.set(6);
  EXPECT_EQ(p.pick(), 1u);
  p.load(0).active.set(5);
  EXPECT_EQ(p.pick(), 0u);
}

TEST(ConnectionThresholds, HashedSchedulersHandAFullServersClientsToTheNext) {
  auto s = servers({1, 1, 1});
  for (auto& rs : s) rs.max_conns = 1;
  Picker p(Scheduler::maglev, s);
  std::set<uint32_t> used;
  for (int i = 0; i < 3; ++i) used.insert(p.connect(0xc6130001));
  EXPECT_EQ(used.size(), 3u);  // the same client, three different servers as each fills
  EXPECT_EQ(p.pick(0xc6130001), kNoServer);
}

TEST(AllSchedulers, ReturnNoServerWhenNoneIsAvailable) {
  for (Scheduler sched : {Scheduler::rr, Scheduler::wrr, Scheduler::lc, Scheduler::wlc,
                          Scheduler::sh, Scheduler::dh, Scheduler::first, Scheduler::maglev}) {
    auto s = servers({0, 1});
    s[1].state = AdminState::drain;
    EXPECT_EQ(Picker(sched, s).pick(), kNoServer) << to_string(sched);
    EXPECT_EQ(Picker(sched, {}).pick(), kNoServer) << to_string(sched);
  }
}

}  // namespace
}  // namespace sluice::dp
