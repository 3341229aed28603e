// Publishes snapshots to the workers and frees old ones once no worker can still hold them.
// A worker loads the pointer once per loop and reports a quiescent state at the top of the
// next loop (rte_rcu_qsbr); an old snapshot is deleted only after every worker has reported
// one since it was replaced. reclaim() never waits: it frees what is safe and keeps the rest.
// Thread safety: control thread only (the workers only read current()).
#pragma once

#include <rte_rcu_qsbr.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "dataplane/snapshot.h"

namespace sluice::control {

class Publisher {
 public:
  // `workers`: how many threads will register with the QSBR variable.
  explicit Publisher(uint32_t workers);
  ~Publisher();
  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;

  rte_rcu_qsbr* qsbr() const { return qsbr_; }
  const std::atomic<const dp::Snapshot*>* slot() const { return &current_; }
  const dp::Snapshot* current() const { return current_.load(std::memory_order_relaxed); }

  void publish(std::unique_ptr<const dp::Snapshot> next);
  // Frees retired snapshots every worker has moved past. Returns how many are still waiting.
  size_t reclaim();

 private:
  struct Retired {
    const dp::Snapshot* snapshot;
    uint64_t token;
  };
  rte_rcu_qsbr* qsbr_ = nullptr;
  std::atomic<const dp::Snapshot*> current_{nullptr};
  std::vector<Retired> retired_;
};

}  // namespace sluice::control
