#include "control/worker_channels.h"

#include <rte_ring_elem.h>

#include <algorithm>

namespace sluice::control {

WorkerChannels::WorkerChannels(std::vector<std::pair<rte_ring*, rte_ring*>> rings)
    : rings_(std::move(rings)) {}

Result<void> WorkerChannels::dump_connections(uint32_t limit, uint64_t now_ms, DumpDone done) {
  if (pending_.size() >= kMaxPendingDumps) {
    return Error{"busy: " + std::to_string(kMaxPendingDumps) + " connection dumps in progress"};
  }
  const uint32_t request = next_request_++;
  Pending p{.deadline_ms = now_ms + kDumpDeadlineMs,
            .answered = std::vector<bool>(rings_.size()),
            .result = {},
            .done = std::move(done)};
  const dp::ControlMessage m{.type = dp::ToWorker::dump_connections, .request = request,
                             .limit = limit, .record = {}};
  for (uint16_t w = 0; w < rings_.size(); ++w) {
    p.result.dumps.push_back({.worker = w, .worker_now = 0, .records = {}});
    // A worker whose ring is full counts as answered-with-nothing, and is named unanswered.
    if (!send(w, m)) {
      p.answered[w] = true;
      p.result.unanswered.push_back(w);
    }
  }
  const auto it = pending_.emplace(request, std::move(p)).first;
  if (std::ranges::all_of(it->second.answered, [](bool a) { return a; })) finish(it);
  return {};
}

Result<void> WorkerChannels::send(uint16_t worker, const dp::ControlMessage& message) {
  dp::ControlMessage copy = message;  // rte_ring's enqueue takes a void*
  if (rte_ring_sp_enqueue_elem(rings_[worker].first, &copy, sizeof copy) != 0) {
    return Error{"worker " + std::to_string(worker) + ": message ring full"};
  }
  return {};
}

void WorkerChannels::take(const dp::WorkerMessage& m) {
  if (m.type == dp::FromWorker::connection_created ||
      m.type == dp::FromWorker::connection_changed ||
      m.type == dp::FromWorker::connection_closed) {
    if (event_sink_) event_sink_(m);
    return;
  }
  const auto it = pending_.find(m.request);
  if (it == pending_.end() || m.worker >= rings_.size()) return;  // of a dump that timed out
  ConnDump& dump = it->second.result.dumps[m.worker];
  if (m.type == dp::FromWorker::connection) {
    dump.records.push_back(m.record);
    return;
  }
  dump.worker_now = m.now;
  it->second.answered[m.worker] = true;
  if (std::ranges::all_of(it->second.answered, [](bool a) { return a; })) finish(it);
}

void WorkerChannels::finish(std::map<uint32_t, Pending>::iterator it) {
  Pending p = std::move(it->second);
  pending_.erase(it);
  for (uint16_t w = 0; w < p.answered.size(); ++w) {
    if (!p.answered[w]) p.result.unanswered.push_back(w);
  }
  std::erase_if(p.result.dumps, [&](const ConnDump& d) {
    return std::ranges::find(p.result.unanswered, d.worker) != p.result.unanswered.end();
  });
  p.done(std::move(p.result));
}

uint32_t WorkerChannels::poll(uint64_t now_ms, uint32_t budget) {
  uint32_t taken = 0;
  dp::WorkerMessage m;
  for (auto& [to, from] : rings_) {
    while (taken < budget && rte_ring_sc_dequeue_elem(from, &m, sizeof m) == 0) {
      ++taken;
      take(m);
    }
  }
  for (auto it = pending_.begin(); it != pending_.end();) {
    const auto next = std::next(it);
    if (now_ms >= it->second.deadline_ms) finish(it);
    it = next;
  }
  return taken;
}

}  // namespace sluice::control
