// The last steps of a packet that has its connection: rewritten as the connection's mode says
// and put in a transmit buffer, towards the real server or back to the client; ICMP errors
// about a connection passed to its other side; packets too big for the way out answered
// (ICMP) or dropped. What a packet does to its connection's state is the caller's (lb).
// F: V4 or V6 (dataplane/family.h); instantiated for both in transmit.cc.
// Thread safety: the worker's own, like everything in WorkerCtx.
#pragma once

#include "dataplane/family.h"

namespace sluice::dp {

template <class F>
struct Transmit {
  using Conn = typename F::Conn;

  // Client -> real server, the way the current snapshot says: nat rewrites the destination
  // (snat the source too), tun wraps, every mode takes the next hop's MAC.
  static void forward(WorkerCtx& w, const Snapshot& snap, const Conn& c, const ServerFate& way,
                      rte_mbuf* m);
  // Real server -> client (nat and snat: in dr the server answers the client directly).
  static void reverse(WorkerCtx& w, const Conn& c, rte_mbuf* m);
  // An ICMP error about connection `ref` (index << 1 | found by its return key), passed to
  // the side that did not send it, as that side knows the connection.
  static void icmp_error(WorkerCtx& w, const Snapshot& snap, rte_mbuf* m, uint32_t ref);
  // A new connection no real server can take (and no fallback): counted under `why` and
  // answered "port unreachable", as IPVS does, so the client fails at once instead of
  // waiting for its connect timeout (rate-limited with the other ICMP errors sluice sends).
  static void refuse(WorkerCtx& w, rte_mbuf* m, Drop why);
};

}  // namespace sluice::dp
