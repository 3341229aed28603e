#include "control/health/ping_probe.h"

#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <optional>

namespace sluice::control::health {
namespace {

constexpr size_t kIcmpHeader = 8;  // type, code, checksum, identifier, sequence
constexpr char kPayload[] = "sluice health check";

// RFC 1071. ICMPv6's checksum covers a pseudo-header: the kernel fills it in for raw ICMPv6
// sockets, so this is for ICMPv4 only.
uint16_t internet_checksum(const uint8_t* data, size_t size) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < size; i += 2) sum += static_cast<uint32_t>(data[i] << 8 | data[i + 1]);
  if (size % 2 != 0) sum += static_cast<uint32_t>(data[size - 1] << 8);
  while (sum >> 16 != 0) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

void put16(uint8_t* at, uint16_t value) {
  at[0] = static_cast<uint8_t>(value >> 8);
  at[1] = static_cast<uint8_t>(value);
}

uint16_t get16(const uint8_t* at) { return static_cast<uint16_t>(at[0] << 8 | at[1]); }

IpAddress address_of(const sockaddr_storage& from) {
  if (from.ss_family == AF_INET) {
    return IpAddress::v4(ntohl(reinterpret_cast<const sockaddr_in&>(from).sin_addr.s_addr));
  }
  IpAddress a;
  std::memcpy(a.bytes.data(), reinterpret_cast<const sockaddr_in6&>(from).sin6_addr.s6_addr, 16);
  return a;
}

// Distinct from other processes' pings (derived from the process ID, as ping(8) does) and
// from other Probes objects in this one.
uint16_t new_identifier() {
  static std::atomic<uint16_t> objects{0};
  return static_cast<uint16_t>(getpid() + 0x9e37 * objects.fetch_add(1));
}

}  // namespace

Pinger::Pinger(EventLoop& loop) : loop_(loop), identifier_(new_identifier()) {}

int Pinger::open(bool v6) {
  Family& family = v6 ? v6_ : v4_;
  if (family.poll.is_open()) return 0;
  const int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
                        v6 ? int{IPPROTO_ICMPV6} : int{IPPROTO_ICMP});
  if (fd < 0) return errno;
  Fd owned(fd);
  if (v6) {
    // Only echo replies: a raw ICMPv6 socket would see every neighbour discovery packet.
    icmp6_filter filter;
    ICMP6_FILTER_SETBLOCKALL(&filter);
    ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &filter);
    if (setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filter, sizeof filter) != 0) return errno;
  }
  Poll poll;
  // libuv's errors are negated errnos on Unix.
  int rc = poll.open(loop_.uv(), fd,
                     [this, &family, v6](int status, int) { readable(family, v6, status); });
  if (rc == 0) rc = poll.start(UV_READABLE);
  if (rc != 0) return -rc;
  family.fd = std::move(owned);
  family.poll = std::move(poll);
  return 0;
}

int Pinger::send(const IpAddress& to, std::function<void()> answered) {
  if (pending_.size() > UINT16_MAX) return -ENOBUFS;  // every sequence number in use
  do {
    ++last_sequence_;
  } while (pending_.contains(last_sequence_));
  const bool v6 = !to.is_v4();
  std::array<uint8_t, kIcmpHeader + sizeof kPayload> request{};
  request[0] = v6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO;
  put16(&request[4], identifier_);
  put16(&request[6], last_sequence_);
  std::memcpy(&request[kIcmpHeader], kPayload, sizeof kPayload);
  if (!v6) put16(&request[2], internet_checksum(request.data(), request.size()));
  const SocketAddress address = socket_address(to, 0);
  if (sendto((v6 ? v6_ : v4_).fd.get(), request.data(), request.size(), 0, address.get(),
             address.length) < 0) {
    return -errno;
  }
  pending_.emplace(last_sequence_, Pending{to, std::move(answered)});
  return last_sequence_;
}

// The poll is level-triggered: reading until the socket is empty is for efficiency only. An
// ICMP error about one of our requests (a router's host unreachable) is reported as a socket
// error, which stops libuv's watch: it is cleared and the watch started again, and that ping
// times out.
void Pinger::readable(Family& family, bool v6, int status) {
  if (status < 0) {
    socket_error(family.fd.get());
    family.poll.start(UV_READABLE);
  }
  std::array<uint8_t, 1500> packet;
  for (;;) {
    sockaddr_storage from{};
    socklen_t from_size = sizeof from;
    const ssize_t n = recvfrom(family.fd.get(), packet.data(), packet.size(), 0,
                               reinterpret_cast<sockaddr*>(&from), &from_size);
    if (n < 0) return;
    const auto size = static_cast<size_t>(n);
    if (v6) {
      received(packet.data(), size, ICMP6_ECHO_REPLY, address_of(from));
    } else if (size > 0) {
      // A raw IPv4 socket delivers the IP header too.
      const size_t header = (packet[0] & 0x0fu) * 4u;
      if (size >= header) {
        received(packet.data() + header, size - header, ICMP_ECHOREPLY, address_of(from));
      }
    }
  }
}

void Pinger::received(const uint8_t* icmp, size_t size, uint8_t reply_type, const IpAddress& from) {
  if (size < kIcmpHeader || icmp[0] != reply_type || get16(icmp + 4) != identifier_) return;
  const auto it = pending_.find(get16(icmp + 6));
  if (it == pending_.end() || it->second.to != from) return;
  std::function<void()> answered = std::move(it->second.answered);
  pending_.erase(it);
  answered();
}

namespace {

class PingProbe final : public Probe {
 public:
  PingProbe(const ProbeContext& context, Pinger& pinger, const IpAddress& to)
      : Probe(context), pinger_(pinger), to_(to) {}
  ~PingProbe() override {
    if (sequence_) pinger_.forget(*sequence_);
  }

  void start() override {
    arm();
    if (const int error = pinger_.open(!to_.is_v4()); error != 0) {
      return settle_soon(failed(std::string("ICMP socket: ") + std::strerror(error)));
    }
    // The pinger may answer several probes from one read: each ends on its own turn.
    const int sent = pinger_.send(to_, [this] {
      sequence_.reset();
      settle_soon(succeeded("echo reply"));
    });
    if (sent < 0) return settle_soon(failed(socket_failure(-sent)));
    sequence_ = static_cast<uint16_t>(sent);
  }

 private:
  Pinger& pinger_;
  IpAddress to_;
  std::optional<uint16_t> sequence_;  // while the reply is awaited
};

}  // namespace

std::unique_ptr<Probe> make_ping_probe(const ProbeContext& context, Pinger& pinger,
                                       const IpAddress& to) {
  return std::make_unique<PingProbe>(context, pinger, to);
}

}  // namespace sluice::control::health
