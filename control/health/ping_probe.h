// ICMP echo: one raw socket per family, shared by every ping of a Probes object, opened at
// its first ping (raw sockets need root, or CAP_NET_RAW).
// Thread safety: the event loop's thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>

#include "control/health/probe.h"

namespace sluice::control::health {

class Pinger {
 public:
  explicit Pinger(EventLoop& loop);
  Pinger(const Pinger&) = delete;
  Pinger& operator=(const Pinger&) = delete;

  // Opens the family's socket if it is not yet: 0 or an errno.
  int open(bool v6);
  // Sends one echo request to `to` (its family's socket open); `answered` runs, from the
  // loop and at most once, when the reply comes. The request's sequence number, or -errno.
  int send(const IpAddress& to, std::function<void()> answered);
  // Waits no more for the reply to `sequence`.
  void forget(uint16_t sequence) { pending_.erase(sequence); }

 private:
  struct Family {
    Fd fd;
    Poll poll;  // after fd: closed before it
  };
  struct Pending {
    IpAddress to;
    std::function<void()> answered;
  };
  void readable(Family& family, bool v6, int status);
  void received(const uint8_t* icmp, size_t size, uint8_t reply_type, const IpAddress& from);

  EventLoop& loop_;
  uint16_t identifier_;
  uint16_t last_sequence_ = 0;
  Family v4_;
  Family v6_;
  std::unordered_map<uint16_t, Pending> pending_;  // by sequence number
};

std::unique_ptr<Probe> make_ping_probe(const ProbeContext& context, Pinger& pinger,
                                       const IpAddress& to);

}  // namespace sluice::control::health
