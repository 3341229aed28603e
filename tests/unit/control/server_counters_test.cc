#include "control/server_counters.h"

#include <gtest/gtest.h>

#include <memory>

#include "common/ip_text.h"

namespace sluice::control {
namespace {

struct TwoWorkers {
  std::unique_ptr<dp::WorkerCtx> a = std::make_unique<dp::WorkerCtx>();
  std::unique_ptr<dp::WorkerCtx> b = std::make_unique<dp::WorkerCtx>();
  std::vector<dp::WorkerCtx*> all{a.get(), b.get()};
};

ServerKey key(const char* address) { return {"web", *parse_ip(address), 80, false}; }

TEST(ServerCounters, SumsTheWorkers) {
  TwoWorkers w;
  w.a->stats.server_total_conns[3].add(2);
  w.b->stats.server_total_conns[3].add(5);
  w.a->stats.server_traffic[3].count_in(100);
  w.b->stats.server_traffic[3].count_out(1500);
  w.b->stats.server_load[3].add(dp::ConnState::established);
  const ServerCounts c = ServerCounters().of(w.all, 3);
  EXPECT_EQ(c.conns, 7u);
  EXPECT_EQ(c.active, 1u);
  EXPECT_EQ(c.traffic.packets_in, 1u);
  EXPECT_EQ(c.traffic.bytes_in, 100u);
  EXPECT_EQ(c.traffic.packets_out, 1u);
  EXPECT_EQ(c.traffic.bytes_out, 1500u);
}

// An id given to another server starts it from zero; its live connections still count.
TEST(ServerCounters, AReusedIdStartsTheNewServerFromZero) {
  TwoWorkers w;
  ServerCounters counters;
  w.a->stats.server_total_conns[3].add(40);
  w.a->stats.server_traffic[3].count_in(60);
  w.a->stats.server_load[3].add(dp::ConnState::established);
  counters.renumbered(w.all, {{key("198.18.1.21"), 3}}, {{key("198.18.1.22"), 3}});
  ServerCounts c = counters.of(w.all, 3);
  EXPECT_EQ(c.conns, 0u);
  EXPECT_EQ(c.traffic.bytes_in, 0u);
  EXPECT_EQ(c.active, 1u);
  w.b->stats.server_total_conns[3].add(1);
  EXPECT_EQ(counters.of(w.all, 3).conns, 1u);
  // A server that keeps its id keeps its counts.
  counters.renumbered(w.all, {{key("198.18.1.22"), 3}}, {{key("198.18.1.22"), 3}});
  EXPECT_EQ(counters.of(w.all, 3).conns, 1u);
}

}  // namespace
}  // namespace sluice::control
