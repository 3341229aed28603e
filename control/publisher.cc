#include "control/publisher.h"

#include <rte_malloc.h>

#include <new>

namespace sluice::control {

Publisher::Publisher(uint32_t workers) {
  const size_t size = rte_rcu_qsbr_get_memsize(workers);
  qsbr_ = static_cast<rte_rcu_qsbr*>(rte_zmalloc("sluice_qsbr", size, RTE_CACHE_LINE_SIZE));
  if (qsbr_ == nullptr || rte_rcu_qsbr_init(qsbr_, workers) != 0) throw std::bad_alloc();
}

Publisher::~Publisher() {
  for (const Retired& r : retired_) delete r.snapshot;
  delete current_.load(std::memory_order_relaxed);
  rte_free(qsbr_);
}

void Publisher::publish(std::unique_ptr<const dp::Snapshot> next) {
  // release: everything written into *next happens-before a worker's acquire load of it.
  const dp::Snapshot* old = current_.exchange(next.release(), std::memory_order_release);
  if (old != nullptr) retired_.push_back({old, rte_rcu_qsbr_start(qsbr_)});
}

size_t Publisher::reclaim() {
  std::erase_if(retired_, [this](const Retired& r) {
    if (rte_rcu_qsbr_check(qsbr_, r.token, false) != 1) return false;
    delete r.snapshot;
    return true;
  });
  return retired_.size();
}

}  // namespace sluice::control
