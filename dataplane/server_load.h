// The live connections of one real server on one worker, counted as IPVS counts them:
// established TCP connections are active; handshakes, closing ones and UDP are inactive.
// wlc weighs them 256:1 (ip_vs_dest_conn_overhead), so idle TIME_WAIT-like leftovers barely
// count against a server.
// Thread safety: written by the owning worker only; the control thread reads.
#pragma once

#include <cstdint>

#include "dataplane/counter.h"
#include "dataplane/tcp_state.h"

namespace sluice::dp {

constexpr bool is_active(ConnState s) { return s == ConnState::established; }

struct ServerLoad {
  Gauge active;
  Gauge inactive;

  void add(ConnState s) { (is_active(s) ? active : inactive).add(1); }
  void remove(ConnState s) { (is_active(s) ? active : inactive).sub(1); }
  void move(ConnState from, ConnState to) {
    if (is_active(from) == is_active(to)) return;
    remove(from);
    add(to);
  }
  uint64_t overhead() const { return uint64_t{active.get()} * 256 + inactive.get(); }
};

}  // namespace sluice::dp
