// The control thread's end of every worker's message rings (dataplane/messages.h): sends
// requests, collects the replies on the event loop, and answers whoever asked once every
// worker has (or the deadline passed). Nothing here waits for a worker.
// Thread safety: the event loop's thread only.
#pragma once

#include <rte_ring.h>

#include <cstdint>
#include <functional>
#include <map>
#include <vector>

#include "common/result.h"
#include "dataplane/messages.h"

namespace sluice::control {

// What one worker said in answer to a dump.
struct ConnDump {
  uint16_t worker = 0;
  uint32_t worker_now = 0;  // its clock when it finished: expiry times count from it
  std::vector<dp::ConnRecord> records;
};

struct ConnDumpResult {
  std::vector<ConnDump> dumps;        // workers that answered
  std::vector<uint16_t> unanswered;  // workers that did not within the deadline
};

class WorkerChannels {
 public:
  using DumpDone = std::function<void(ConnDumpResult)>;
  using EventSink = std::function<void(const dp::WorkerMessage&)>;

  // Dumps waiting for answers at once; more are refused (each may hold megabytes).
  static constexpr size_t kMaxPendingDumps = 4;
  static constexpr uint64_t kDumpDeadlineMs = 2000;

  // rings[i] = {to worker i, from worker i}.
  explicit WorkerChannels(std::vector<std::pair<rte_ring*, rte_ring*>> rings);

  // Asks every worker for up to `limit` connections; `done` runs from poll() later.
  Result<void> dump_connections(uint32_t limit, uint64_t now_ms, DumpDone done);
  // A connection learnt elsewhere (HA sync) or a flush, to one worker. Fails when its ring
  // is full: the caller counts or retries.
  Result<void> send(uint16_t worker, const dp::ControlMessage& message);
  // Connection events from the workers go here (none are asked for until HA sync exists).
  void on_event(EventSink sink) { event_sink_ = std::move(sink); }

  // Takes up to `budget` replies from the rings and completes dumps that are answered or
  // overdue. Returns the replies taken (0: nothing was waiting).
  uint32_t poll(uint64_t now_ms, uint32_t budget = 4096);

 private:
  struct Pending {
    uint64_t deadline_ms = 0;
    std::vector<bool> answered;
    ConnDumpResult result;
    DumpDone done;
  };
  void take(const dp::WorkerMessage& m);
  void finish(std::map<uint32_t, Pending>::iterator it);

  std::vector<std::pair<rte_ring*, rte_ring*>> rings_;
  std::map<uint32_t, Pending> pending_;  // by request id
  uint32_t next_request_ = 1;
  EventSink event_sink_;
};

}  // namespace sluice::control
