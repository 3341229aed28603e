// Where events go: the log (one NOTICE line each), and the operator's notify command, run as
//   NOTIFY KIND SERVICE SERVER FROM TO REASON
// with the same values in SLUICE_EVENT, SLUICE_SERVICE, SLUICE_SERVER, SLUICE_FROM, SLUICE_TO
// and SLUICE_REASON. Commands run through the probes' script runner, killed after 10 s, at
// most half of health.max_scripts at once (the other half stays for external checks); at
// most 256 wait their turn, and events beyond that are not notified (the log says how many).
// Thread safety: the event loop's thread only.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <string>

#include "control/events.h"
#include "control/health/probes.h"

namespace sluice::control {

class EventLog {
 public:
  EventLog(health::Probes& probes, std::string notify, uint32_t max_scripts)
      : probes_(probes), notify_(std::move(notify)), max_running_(std::max(1u, max_scripts / 2)) {}
  void set_notify(std::string notify) { notify_ = std::move(notify); }
  void record(const Event& e);
  uint64_t not_notified() const { return dropped_; }

 private:
  void run_waiting();

  health::Probes& probes_;
  std::string notify_;
  uint32_t max_running_;
  uint32_t running_ = 0;
  std::deque<Event> waiting_;
  uint64_t dropped_ = 0;
};

}  // namespace sluice::control
