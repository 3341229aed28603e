// Picks the real server for a new connection. Pure code over the snapshot's server list and
// the calling worker's connection counts; the only mutable state is the worker's own cursor.
// Thread safety: call from the worker that owns `cursor` and `conns`.
#pragma once

#include <cstdint>
#include <span>

#include "dataplane/server_load.h"
#include "dataplane/snapshot.h"

namespace sluice::dp {

// Per worker and virtual service; zeroed whenever a new snapshot arrives.
struct SchedulerCursor {
  int32_t index = -1;   // rr, wrr: the server picked last
  int32_t current = 0;  // wrr: the current weight threshold
};

inline constexpr uint32_t kNoServer = UINT32_MAX;

// Returns an index into `servers`, or kNoServer when none is available.
// `load[id]` is the calling worker's connection count of real server `id`.
uint32_t pick_server(const VirtualServiceEntry& service,
                     std::span<const RealServerEntry> servers, SchedulerCursor& cursor,
                     const ServerLoad* load);

}  // namespace sluice::dp
