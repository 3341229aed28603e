// The configured VRRP instances (config `ha`), spoken on the event loop through the kernel's
// sockets on the TAP twins: one raw socket of protocol 112 per instance, of its family, bound
// to its interface's twin, in the 224.0.0.18 or ff02::12 group (or sending to its unicast
// peers), TTL / hop limit 255 (control/vrrp_socket.h). Each instance's state machine
// (control/ha/vrrp_state.h) gets the adverts and its timer; what it decides is done here
// (send, log the transition as an event), and show ha reads it through the control API.
// Stopping sluiced cleanly sends priority 0 from every master, so the peer takes over at once.
//
// The floating addresses follow the state: a master's are answered and forwarded here and
// announced (control/announcer.h); every other state leaves them to the peer.
// Tracking (config `track`) lowers an instance's priority, or puts it in fault, while a
// data port's link is down, a worker stops looping, or a service has no real server.
// With an `aws` mapping, becoming master moves the addresses by EC2 calls instead of
// gratuitous ARP (control/ha/aws_mover.h); leaving master cancels what is under way.
// Thread safety: the event loop's thread only.
#pragma once

#include <array>
#include <memory>
#include <vector>

#include "config/model.h"
#include "control/api.h"
#include "control/event_loop.h"
#include "control/ha/aws_mover.h"
#include "control/ha/tracking.h"
#include "control/ha/vrrp_state.h"

namespace sluice::control {

class HaInstances {
 public:
  HaInstances(EventLoop& loop, ControlApi& api, const config::Config& cfg);
  ~HaInstances();
  HaInstances(const HaInstances&) = delete;
  HaInstances& operator=(const HaInstances&) = delete;

  // A clean stop: masters send priority 0 (the peer takes over after its Skew_Time instead of
  // its Master_Down_Interval) and every instance goes quiet. The adverts leave through the
  // exception path, so the loop must turn a little longer (sluiced.cc).
  void stop();

  std::vector<HaView> views() const;
  // sluicectl ha failover | ha maintenance on|off, for one instance by name or all ("").
  Result<void> failover(const std::string& instance);
  Result<void> maintenance(const std::string& instance, bool on);

 private:
  struct Instance;
  void act(Instance& in, const ha::VrrpActions& actions);
  void move_addresses(Instance& in, bool here);
  void track();  // every 100 ms: tracked items -> priorities
  void send(Instance& in, uint8_t priority);
  void receive(Instance& in);
  void arm(Instance& in);
  // The instances `name` selects ("" all); an error when none.
  Result<std::vector<Instance*>> select(const std::string& name);

  EventLoop& loop_;
  ControlApi& api_;
  std::vector<std::unique_ptr<Instance>> instances_;
  Timer track_timer_;
  ha::Heartbeats heartbeats_;
  ha::AwsMover aws_;
};

}  // namespace sluice::control
