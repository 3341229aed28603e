// Where events go: the log (one NOTICE line each), and the operator's notify command, run as
//   NOTIFY KIND SERVICE SERVER FROM TO REASON
// with the same values in SLUICE_EVENT, SLUICE_SERVICE, SLUICE_SERVER, SLUICE_FROM, SLUICE_TO
// and SLUICE_REASON. Commands run through the probes' script runner: never more than
// health.max_scripts at once with the external checks, killed after 10 s.
// Thread safety: the event loop's thread only.
#pragma once

#include <string>

#include "control/events.h"
#include "control/health/probes.h"

namespace sluice::control {

class EventLog {
 public:
  EventLog(health::Probes& probes, std::string notify)
      : probes_(probes), notify_(std::move(notify)) {}
  void set_notify(std::string notify) { notify_ = std::move(notify); }
  void record(const Event& e);

 private:
  health::Probes& probes_;
  std::string notify_;
};

}  // namespace sluice::control
