#include "control/publisher.h"

#include <gtest/gtest.h>

namespace sluice::control {
namespace {

std::unique_ptr<dp::Snapshot> snapshot(uint64_t generation) {
  auto s = std::make_unique<dp::Snapshot>();
  s->generation = generation;
  return s;
}

TEST(Publisher, OldSnapshotsLiveUntilEveryWorkerPassedAQuiescentPoint) {
  Publisher p(2);
  rte_rcu_qsbr* q = p.qsbr();
  for (unsigned worker : {0u, 1u}) {
    ASSERT_EQ(rte_rcu_qsbr_thread_register(q, worker), 0);
    rte_rcu_qsbr_thread_online(q, worker);
  }
  p.publish(snapshot(1));
  const dp::Snapshot* first = p.slot()->load();
  EXPECT_EQ(first->generation, 1u);
  EXPECT_EQ(p.reclaim(), 0u);  // nothing retired yet

  p.publish(snapshot(2));
  EXPECT_EQ(p.current()->generation, 2u);
  EXPECT_EQ(p.reclaim(), 1u);  // neither worker has moved on: generation 1 stays
  rte_rcu_qsbr_quiescent(q, 0);
  EXPECT_EQ(p.reclaim(), 1u);  // worker 1 may still read it
  rte_rcu_qsbr_quiescent(q, 1);
  EXPECT_EQ(p.reclaim(), 0u);  // freed

  for (unsigned worker : {0u, 1u}) {
    rte_rcu_qsbr_thread_offline(q, worker);
    rte_rcu_qsbr_thread_unregister(q, worker);
  }
}

TEST(Publisher, OfflineWorkersDoNotHoldReclamationBack) {
  Publisher p(1);
  p.publish(snapshot(1));
  p.publish(snapshot(2));
  EXPECT_EQ(p.reclaim(), 0u);  // no worker registered: nobody can hold the old one
}

}  // namespace
}  // namespace sluice::control
