#include "control/systemd_notify.h"

#include <systemd/sd-daemon.h>

#include <algorithm>

namespace sluice::control {

SystemdNotifier::SystemdNotifier(EventLoop& loop) {
  uint64_t usec = 0;
  // > 0 only when WATCHDOG_USEC is set and WATCHDOG_PID, if set, is ours.
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return;
  watchdog_ms_ = std::max<uint64_t>(1, usec / 2000);  // half the timeout, as sd_watchdog_enabled(3) asks
  watchdog_ = loop.timer([] { sd_notify(0, "WATCHDOG=1"); });
  watchdog_.start(watchdog_ms_, watchdog_ms_);
}

void SystemdNotifier::ready(const std::string& status) {
  sd_notify(0, ("READY=1\nSTATUS=" + status).c_str());
}

void SystemdNotifier::status(const std::string& status) {
  sd_notify(0, ("STATUS=" + status).c_str());
}

void SystemdNotifier::stopping() { sd_notify(0, "STOPPING=1\nSTATUS=stopping"); }

}  // namespace sluice::control
