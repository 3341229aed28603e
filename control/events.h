// The state changes an operator hears of (health, admin state, weight, agent, fallback,
// reload): each is logged once as one key=value line, and handed to the configured notify
// command (control/event_log.h), on which the seeds' e-mail alerts are built.
// Thread safety: plain values.
#pragma once

#include <string>

namespace sluice::control {

struct Event {
  std::string kind;     // health, admin, weight, agent, fallback, service, reload
  std::string service;  // empty for reload
  std::string server;   // ADDRESS:PORT; empty when the event is about a whole service
  std::string from;
  std::string to;
  std::string reason;
};

// `event=health service=web server=198.18.0.21:80 from=up to=down reason="connect refused"`:
// stable keys in this order, values as every log line has them (log.h), so one event is
// always one parseable line.
std::string format_event(const Event& e);

}  // namespace sluice::control
