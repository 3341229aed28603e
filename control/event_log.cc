#include "control/event_log.h"

#include "control/log.h"

namespace sluice::control {
namespace {

constexpr uint32_t kNotifyTimeoutMs = 10'000;
constexpr size_t kMaxWaiting = 256;

}  // namespace

void EventLog::record(const Event& e) {
  logger().pass(LogLevel::notice, format_event(e));  // each change once: never rate-limited
  if (notify_.empty()) return;
  if (waiting_.size() >= kMaxWaiting) {
    logger().warning("notify_behind", {{"not_notified", ++dropped_}});
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
                   kNotifyTimeoutMs, [this, e](const health::ProbeResult& r) {
                     --running_;
                     if (!r.ok) {
                       logger().warning("notify_failed",
                                        {{"of", e.kind}, {"service", e.service},
                                         {"server", e.server}, {"to", e.to}, {"error", r.reason}});
                     }
                     run_waiting();
                   });
  }
}

}  // namespace sluice::control
