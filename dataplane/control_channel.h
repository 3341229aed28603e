// The worker's end of its message rings (dataplane/messages.h): serves what the control
// thread asks and reports connection events. Runs on the worker, between bursts; bounded
// work per call, never waits for the control thread.
#pragma once

#include <cstdint>

#include "dataplane/messages.h"

namespace sluice::dp {

struct WorkerCtx;

// Where a multi-loop job (a dump, a flush) stands; worker-private.
struct ScanProgress {
  bool active = false;
  ControlMessage job;
  uint32_t cursor = 0;  // next table index: the IPv4 table, then the IPv6 one
  uint32_t sent = 0;    // dump records sent
};

// Serves control messages in order, a bounded amount per call. Returns the work done (0 when
// there was nothing to do), so an idle worker can tell.
uint32_t serve_control_messages(WorkerCtx& w);

// connection_created / connection_closed for HA sync, when the snapshot asks for them.
void report_connection(WorkerCtx& w, FromWorker event, const Conn& c);
void report_connection(WorkerCtx& w, FromWorker event, const Conn6& c);

}  // namespace sluice::dp
