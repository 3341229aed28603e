// Binding a new connection and keeping its bindings: the real server (persistence first, then
// the scheduler, the fallback server last), an snat source of this worker's share, room in a
// full table (SYN floods), the entry and its counters; and, for lb's hit path, what a
// connection's timeout is and how one is let go.
// F: V4 or V6 (dataplane/family.h); instantiated for both in connect.cc.
// Thread safety: the worker's own (the persistence table is shared, see its header).
#pragma once

#include <algorithm>

#include "dataplane/family.h"

namespace sluice::dp {

// A persistence entry lives while its connections carry packets (IPVS keeps its template
// while it has connections): each connection refreshes it at most once per 4-second tick,
// one byte compared per packet otherwise. (An entry is not renewed by an idle connection.)
inline uint8_t persistence_tick(uint32_t now) {
  return static_cast<uint8_t>(0x80 | ((now >> 2) & 0x7f));
}

// SYN floods from spoofed sources (IPVS's anchors: secure_tcp's shorter timeouts, drop_entry's
// eviction under memory pressure). While the table is crowded (3/4 full) a half-open
// connection lives 5 s instead of tcp_syn (60 s by default): a real client completes its
// handshake in one round trip, and a lost SYN is sent again after 1 s and 3 s (Linux), each
// renewing the entry; a spoofed SYN is never followed by an ACK, so a flood recycles its own
// entries 12 times faster.
inline constexpr uint32_t kCrowdedSynTimeout = 5;

template <class F>
inline uint32_t timeout_for(WorkerCtx& w, const ConnTimeouts& timeouts, ConnState state) {
  const uint32_t t = timeout_of(state, timeouts);
  return state == ConnState::syn_recv && F::table(w).crowded() ? std::min(t, kCrowdedSynTimeout)
                                                               : t;
}

// Frees a connection now, with its server's load.
template <class F>
inline void release(WorkerCtx& w, uint32_t index) {
  const auto& c = F::table(w).at(index);
  w.stats.server_load[c.server_id].remove(c.state);
  F::table(w).remove(index);
}

template <class F>
struct Connect {
  using Conn = typename F::Conn;

  // A connection for packet `m`, which opens one to service `vip`. Returns its index, or
  // kNone after dropping `m` with the reason (no server, table full, tuple or port taken).
  static uint32_t open(WorkerCtx& w, const Snapshot& snap, rte_mbuf* m, uint32_t vip);
  // Renews the persistence entry `c` was bound by (its tick is past).
  static void refresh_persistence(WorkerCtx& w, const Snapshot& snap, Conn& c);
};

}  // namespace sluice::dp
