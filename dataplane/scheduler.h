// Picks the real server for a new connection. Pure code over the snapshot's server list and
// the calling worker's connection counts; the only mutable state is the worker's own.
// Thread safety: call from the worker that owns `cursor` and `view`.
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

// The calling worker's view of every real server, indexed by id.
struct WorkerView {
  const ServerLoad* load;
  // Set when a server reached max_conns, cleared when it is below min_conns again
  // (ipvsadm -x/-y): without the gap a full server would flap on every closed connection.
  uint8_t* overloaded;
};

// What the hashing schedulers hash (host byte order).
struct FlowAddresses {
  uint32_t client;
  uint32_t vip;
};

inline constexpr uint32_t kNoServer = UINT32_MAX;

// May this server take a new connection now: allowed by configuration and below its
// connection threshold (updates the threshold's hysteresis flag).
bool can_take(const RealServerEntry& s, WorkerView view);

// Returns an index into `servers`, or kNoServer when none can take the connection.
// `table` is the service's hash table (sh, dh, maglev), empty otherwise.
uint32_t pick_server(const VirtualServiceEntry& service, std::span<const RealServerEntry> servers,
                     std::span<const uint16_t> table, SchedulerCursor& cursor, WorkerView view,
                     FlowAddresses flow);

}  // namespace sluice::dp
