// A real server's counters as the operator reads them: the workers' single-writer counters
// summed, less what its id had counted before this server got it (ids are reused, see
// compile.h), so a new server starts from zero.
// Thread safety: the control thread; the workers' counters are read, never written.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <vector>

#include "common/bounds.h"
#include "control/compile/compile.h"
#include "dataplane/worker.h"

namespace sluice::control {

// Packets and bytes through the appliance: in, client -> server; out, server -> client (nat
// and snat only: the replies of dr and tun bypass it). Bytes are IP packet lengths.
struct Traffic {
  uint64_t packets_in = 0, bytes_in = 0, packets_out = 0, bytes_out = 0;
};

struct ServerCounts {
  uint64_t active = 0, inactive = 0;  // live connections now, counted as IPVS does
  uint64_t conns = 0;                 // connections ever scheduled to it
  Traffic traffic;
};

// The same as rates per second (control/rate_window.h says over which window).
struct Rates {
  double conns = 0, packets_in = 0, bytes_in = 0, packets_out = 0, bytes_out = 0;
};

class ServerCounters {
 public:
  ServerCounters() : baseline_(kMaxRealServers) {}
  // What id `id` counts now, since its server got it.
  ServerCounts of(const std::vector<dp::WorkerCtx*>& workers, uint32_t id) const;
  // After a compile: ids given to another server than before start from what they count now.
  void renumbered(const std::vector<dp::WorkerCtx*>& workers,
                  const std::map<ServerKey, uint32_t>& before,
                  const std::map<ServerKey, uint32_t>& after);

 private:
  std::vector<ServerCounts> baseline_;  // by id; active and inactive stay 0 (gauges)
};

}  // namespace sluice::control
