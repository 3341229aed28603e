#include "control/event_log.h"

#include <rte_log.h>

namespace sluice::control {
namespace {

constexpr uint32_t kNotifyTimeoutMs = 10'000;

}  // namespace

void EventLog::record(const Event& e) {
  const std::string line = format_event(e);
  RTE_LOG(NOTICE, USER1, "sluiced: %s\n", line.c_str());
  if (notify_.empty()) return;
  probes_.script({notify_, e.kind, e.service, e.server, e.from, e.to, e.reason},
                 {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                  "SLUICE_EVENT=" + e.kind, "SLUICE_SERVICE=" + e.service,
                  "SLUICE_SERVER=" + e.server, "SLUICE_FROM=" + e.from, "SLUICE_TO=" + e.to,
                  "SLUICE_REASON=" + e.reason},
                 kNotifyTimeoutMs, [line](const health::ProbeResult& r) {
                   if (!r.ok) {
                     RTE_LOG(WARNING, USER1, "sluiced: notify command for %s: %s\n",
                             line.c_str(), r.reason.c_str());
                   }
                 });
}

}  // namespace sluice::control
