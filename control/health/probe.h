// What every probe is built of (private to control/health): an owned descriptor and the Probe
// base that ends each attempt exactly once through its owner.
// Thread safety: the event loop's thread only.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "control/event_loop.h"
#include "control/health/probes.h"

namespace sluice::control::health {

// A descriptor, closed with its owner.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept;
  ~Fd();
  int get() const { return fd_; }

 private:
  int fd_ = -1;
};

// Where a probe ends: the owner destroys the probe, then calls its `done`.
class ProbeOwner {
 public:
  virtual void finish(uint64_t id, ProbeResult result) = 0;

 protected:
  ~ProbeOwner() = default;
};

struct ProbeContext {
  EventLoop& loop;
  ProbeOwner& owner;
  uint64_t id;
  uint32_t timeout_ms;
};

// One attempt. A derived probe starts its work in start(), arms the deadline, and ends in
// exactly one settle(): from one of its own callbacks, as the last thing that callback does
// (the probe is destroyed inside it). Where no callback of its own runs yet (start() itself)
// or where one callback may end several probes (a shared socket), settle_soon() instead.
class Probe {
 public:
  explicit Probe(const ProbeContext& context);
  virtual ~Probe() = default;
  Probe(const Probe&) = delete;
  Probe& operator=(const Probe&) = delete;

  // Begins the attempt; never calls `done` itself.
  virtual void start() = 0;

 protected:
  void settle(ProbeResult result) { owner_.finish(id_, std::move(result)); }
  // Ends the probe on the next loop turn (the deadline's timer, restarted at 0 ms).
  void settle_soon(ProbeResult result);
  // Starts the deadline: timed_out() runs at it.
  void arm() { deadline_.start(timeout_ms_, 0); }
  // Settles with "timeout after N s"; a probe with something to stop first overrides it.
  virtual void timed_out();
  EventLoop& loop() const { return loop_; }
  uint32_t timeout_ms() const { return timeout_ms_; }

 private:
  void on_deadline();

  EventLoop& loop_;
  ProbeOwner& owner_;
  uint64_t id_;
  uint32_t timeout_ms_;
  Timer deadline_;
  std::optional<ProbeResult> early_;  // what settle_soon() was given
};

ProbeResult succeeded(std::string reason);
ProbeResult failed(std::string reason);

// "2 s", "0.5 s", "1.25 s".
std::string seconds_text(uint32_t ms);
// "timeout after 2 s".
std::string timeout_text(uint32_t ms);
// Why a connection could not be made or broke, in operators' words: ENETUNREACH (no route
// in our table) "no route to host", EHOSTUNREACH (no neighbour answer, or an ICMP host
// unreachable) "host unreachable", ECONNREFUSED "connect refused", ECONNRESET "reset by
// peer", others strerror's text.
std::string socket_failure(int error);

struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
};
SocketAddress socket_address(const IpAddress& address, uint16_t port);

// A non-blocking socket of `type` (SOCK_STREAM, SOCK_DGRAM) connected to `to`, or for TCP
// connecting (the poll reports writable when it is done): the descriptor, or -errno.
int connected_socket(const Endpoint& to, int type);
// The socket's pending error (SO_ERROR), cleared by reading it.
int socket_error(int fd);

}  // namespace sluice::control::health
