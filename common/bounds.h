// Compile-time bounds of the data plane, which the config validator enforces. Tables indexed
// by these are preallocated at start.
#pragma once

#include <cstdint>

namespace sluice {

// Real servers get a stable id (kept across reloads) that indexes per-worker counters:
// 4096 ids x 3 counters x 8 B = 96 KiB per worker.
inline constexpr uint32_t kMaxRealServers = 4096;
inline constexpr uint32_t kMaxVirtualServices = 1024;
inline constexpr uint32_t kMaxInterfaces = 8;
// Next hops whose MAC the control plane resolves; each is one 8-byte atomic slot.
inline constexpr uint32_t kMaxNeighbours = 4096;
// workers.count is validated against it. Hand-off rings run between every pair of workers.
inline constexpr uint32_t kMaxWorkers = 64;
// A burst never exceeds this (workers.burst is validated against it).
inline constexpr uint32_t kMaxBurst = 512;

}  // namespace sluice
