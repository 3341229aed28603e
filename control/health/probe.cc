#include "control/health/probe.h"

#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace sluice::control::health {

Fd& Fd::operator=(Fd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

Fd::~Fd() {
  if (fd_ >= 0) ::close(fd_);
}

Probe::Probe(const ProbeContext& context)
    : loop_(context.loop),
      owner_(context.owner),
      id_(context.id),
      timeout_ms_(context.timeout_ms),
      deadline_(context.loop.timer([this] { on_deadline(); })) {}

void Probe::settle_soon(ProbeResult result) {
  early_ = std::move(result);
  deadline_.start(0, 0);
}

void Probe::timed_out() { settle(failed(timeout_text(timeout_ms_))); }

void Probe::on_deadline() {
  if (early_) return settle(std::move(*early_));
  timed_out();
}

ProbeResult succeeded(std::string reason) {
  ProbeResult r;
  r.ok = true;
  r.reason = std::move(reason);
  return r;
}

ProbeResult failed(std::string reason) {
  ProbeResult r;
  r.reason = std::move(reason);
  return r;
}

std::string seconds_text(uint32_t ms) {
  std::string text = std::to_string(ms / 1000);
  if (ms % 1000 != 0) {
    char fraction[8];
    std::snprintf(fraction, sizeof fraction, ".%03u", ms % 1000);
    std::string f = fraction;
    while (f.back() == '0') f.pop_back();
    text += f;
  }
  return text + " s";
}

std::string timeout_text(uint32_t ms) { return "timeout after " + seconds_text(ms); }

std::string socket_failure(int error) {
  switch (error) {
    case ECONNREFUSED: return "connect refused";
    case ENETUNREACH: return "no route to host";
    case EHOSTUNREACH: return "host unreachable";
    case ECONNRESET: return "reset by peer";
    default: return std::strerror(error);
  }
}

SocketAddress socket_address(const IpAddress& address, uint16_t port) {
  SocketAddress a;
  if (address.is_v4()) {
    auto* in = reinterpret_cast<sockaddr_in*>(&a.storage);
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    in->sin_addr.s_addr = htonl(address.to_v4());
    a.length = sizeof *in;
  } else {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&a.storage);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    std::memcpy(in6->sin6_addr.s6_addr, address.bytes.data(), 16);
    a.length = sizeof *in6;
  }
  return a;
}

int connected_socket(const Endpoint& to, int type) {
  const SocketAddress a = socket_address(to.address, to.port);
  const int fd = socket(a.storage.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  if (connect(fd, a.get(), a.length) != 0 && errno != EINPROGRESS) {
    const int error = errno;
    ::close(fd);
    return -error;
  }
  return fd;
}

int socket_error(int fd) {
  int error = 0;
  socklen_t size = sizeof error;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size) != 0) return errno;
  return error;
}

}  // namespace sluice::control::health
