// sluiced's word to systemd for a Type=notify unit (sd_notify(3)): READY=1 once the control
// socket is listening (clients queue in its backlog until the loop's first turn, a moment
// later), STATUS= lines for `systemctl status`, STOPPING=1 when a stop begins, and WATCHDOG=1
// from a loop timer at half of the unit's WatchdogSec: the loop that serves everything also
// proves it is alive, so a control thread stuck in a handler is killed and restarted
// (Restart=on-failure) rather than left holding the ports. Outside systemd (no NOTIFY_SOCKET,
// no WATCHDOG_USEC) every call does nothing.
// Thread safety: the event loop's thread only.
#pragma once

#include <string>

#include "control/event_loop.h"

namespace sluice::control {

class SystemdNotifier {
 public:
  explicit SystemdNotifier(EventLoop& loop);
  void ready(const std::string& status);
  void status(const std::string& status);
  void stopping();
  // The watchdog's interval, 0 without one.
  uint64_t watchdog_ms() const { return watchdog_ms_; }

 private:
  uint64_t watchdog_ms_ = 0;
  Timer watchdog_;
};

}  // namespace sluice::control
