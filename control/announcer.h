// Gratuitous ARP and unsolicited neighbour advertisements of one HA instance's addresses
// after it becomes master, timed as keepalived's garp_master_* settings: a round of `repeat`
// announcements `interval` apart at once, a second round `delay` later, then a round every
// `refresh` while master. Switches, routers and clients then send the addresses' traffic to
// this appliance's MAC without waiting for their caches to expire.
// Thread safety: the event loop's thread only.
#pragma once

#include <cstdint>
#include <functional>

#include "config/model.h"
#include "control/event_loop.h"

namespace sluice::control {

class Announcer {
 public:
  // `announce` sends one announcement of every address.
  Announcer(EventLoop& loop, const config::Garp& garp, std::function<void()> announce);

  void start();  // became master
  void stop();   // left master

 private:
  void fire();

  config::Garp garp_;
  std::function<void()> announce_;
  Timer timer_;
  uint32_t left_ = 0;           // announcements still to send in this round
  bool second_round_ = false;   // the delayed second round is still to come
};

}  // namespace sluice::control
