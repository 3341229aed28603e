// A statistics counter written by exactly one worker and read by the control thread.
// Relaxed load+store instead of fetch_add: there is one writer, so no lock prefix and no
// shared read-modify-write is needed (architecture.md "no atomic RMW on shared lines"); the
// atomic type only keeps the reader's 64-bit load untorn and the compiler honest.
#pragma once

#include <atomic>
#include <cstdint>

namespace sluice::dp {

template <typename T>
class SingleWriter {
 public:
  void add(T n) { v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  void sub(T n) { v_.store(v_.load(std::memory_order_relaxed) - n, std::memory_order_relaxed); }
  void set(T n) { v_.store(n, std::memory_order_relaxed); }
  T get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<T> v_{0};
};

using Counter = SingleWriter<uint64_t>;
using Gauge = SingleWriter<uint32_t>;

}  // namespace sluice::dp
