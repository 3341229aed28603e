#include "control/event_log.h"

#include <rte_log.h>

namespace sluice::control {
namespace {

constexpr uint32_t kNotifyTimeoutMs = 10'000;
constexpr size_t kMaxWaiting = 256;

}  // namespace

void EventLog::record(const Event& e) {
  RTE_LOG(NOTICE, USER1, "sluiced: %s\n", format_event(e).c_str());
  if (notify_.empty()) return;
  if (waiting_.size() >= kMaxWaiting) {
    // The first and every 1000th: a flood of events is itself worth one line, not thousands.
    if (dropped_++ % 1000 == 0) {
      RTE_LOG(WARNING, USER1, "sluiced: notify command behind: %lu event(s) not notified\n",
              static_cast<unsigned long>(dropped_));
    }
    return;
  }
  waiting_.push_back(e);
  run_waiting();
}

void EventLog::run_waiting() {
  while (running_ < max_running_ && !waiting_.empty()) {
    const Event e = std::move(waiting_.front());
    waiting_.pop_front();
    ++running_;
    probes_.script({notify_, e.kind, e.service, e.server, e.from, e.to, e.reason},
                   {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                    "SLUICE_EVENT=" + e.kind, "SLUICE_SERVICE=" + e.service,
                    "SLUICE_SERVER=" + e.server, "SLUICE_FROM=" + e.from, "SLUICE_TO=" + e.to,
                    "SLUICE_REASON=" + e.reason},
                   kNotifyTimeoutMs, [this, line = format_event(e)](const health::ProbeResult& r) {
                     --running_;
                     if (!r.ok) {
                       RTE_LOG(WARNING, USER1, "sluiced: notify command for %s: %s\n",
                               line.c_str(), r.reason.c_str());
                     }
                     run_waiting();
                   });
  }
}

}  // namespace sluice::control
