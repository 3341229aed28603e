// Runs every real server's health check and feedback agent on the event loop, and tells the
// control API what they find: an adapter over it, as the CLI is. One check per real server of
// a service, on one port, whatever ports the service has: its failure takes the server out
// of all of them. Results reach the workers in batches: the changes seen since the last
// publication are one snapshot publication (docs/performance.md measures why not one message
// each), and publications take at most a fifth of the control thread.
// Thread safety: the event loop's thread only.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <set>

#include "control/api.h"
#include "control/event_loop.h"
#include "control/health/probes.h"

namespace sluice::control {

class HealthChecks {
 public:
  HealthChecks(EventLoop& loop, ControlApi& api, health::Probes& probes);
  ~HealthChecks();

  // Takes the running configuration (at start and after every reload): servers keep the
  // health they had, and their checks start again after a random delay within their
  // interval, so that thousands of checks do not fire in the same millisecond.
  void configure(const config::Config& cfg);

  size_t checks() const;  // servers with a check or an agent running

 private:
  struct Server;
  void carry_over(Server& s, const Server* old);
  void start_timers(Server& s);
  void run_check(Server& s);
  void on_check(const ServerKey& key, uint64_t serial, bool success, const std::string& reason);
  void poll_agent(Server& s);
  void on_agent(const ServerKey& key, uint64_t serial, const health::ProbeResult& r);
  Server* find(const ServerKey& key, uint64_t serial);
  void report(Server& s);  // joins the batch published at the end of this loop turn
  void flush();

  EventLoop& loop_;
  ControlApi& api_;
  health::Probes& probes_;
  std::map<ServerKey, std::unique_ptr<Server>> servers_;
  std::set<ServerKey> batch_;
  Timer flush_;
  bool flush_pending_ = false;
  uint64_t next_flush_ms_ = 0;  // publications are spaced (flush() says why)
  uint64_t next_serial_ = 1;
  std::minstd_rand random_;
};

}  // namespace sluice::control
