#include "control/health/socket_probes.h"

#include <arpa/nameser.h>
#include <resolv.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <optional>

namespace sluice::control::health {
namespace {

// A socket of `type` connected (or connecting) to `to`, watched for `events`: nullopt, or why
// not, in operators' words.
std::optional<std::string> open_watched(EventLoop& loop, const Endpoint& to, int type, int events,
                                        Fd& fd, Poll& poll, std::function<void()> ready) {
  const int opened = connected_socket(to, type);
  if (opened < 0) return socket_failure(-opened);
  fd = Fd(opened);
  int rc = poll.open(loop.uv(), opened, [ready = std::move(ready)](int, int) { ready(); });
  if (rc == 0) rc = poll.start(events);
  if (rc != 0) return uv_strerror(rc);
  return std::nullopt;
}

bool would_block(int error) { return error == EAGAIN || error == EWOULDBLOCK; }

// On a connected UDP socket, the server's ICMP port unreachable arrives as ECONNREFUSED.
std::string datagram_failure(int error) {
  return error == ECONNREFUSED ? "port unreachable" : socket_failure(error);
}

class ConnectProbe final : public Probe {
 public:
  ConnectProbe(const ProbeContext& context, const Endpoint& to) : Probe(context), to_(to) {}

  void start() override {
    arm();
    if (auto why = open_watched(loop(), to_, SOCK_STREAM, UV_WRITABLE, fd_, poll_,
                                [this] { connected(); })) {
      settle_soon(failed(*why));
    }
  }

 private:
  void connected() {
    const int error = socket_error(fd_.get());
    settle(error == 0 ? succeeded("connected") : failed(socket_failure(error)));
  }

  Endpoint to_;
  Fd fd_;
  Poll poll_;  // after fd_: closed before it
};

// Connects, sends its line (if any), then reads one reply: up to a newline, the peer's close,
// or more than kMaxLineReply bytes. What came before a reset still counts as the reply.
class LineProbe final : public Probe {
 public:
  LineProbe(const ProbeContext& context, const Endpoint& to, std::string send)
      : Probe(context), to_(to), send_(std::move(send)) {}

  void start() override {
    arm();
    if (auto why =
            open_watched(loop(), to_, SOCK_STREAM, UV_WRITABLE, fd_, poll_, [this] { ready(); })) {
      settle_soon(failed(*why));
    }
  }

 private:
  void ready() {
    if (!connected_) return connected();
    if (sent_ < send_.size()) return send_rest();
    read_reply();
  }

  void connected() {
    if (const int error = socket_error(fd_.get()); error != 0) {
      return settle(failed(socket_failure(error)));
    }
    connected_ = true;
    send_rest();
  }

  // Sends what the socket takes now; the poll stays on writable until all is gone.
  void send_rest() {
    while (sent_ < send_.size()) {
      const ssize_t n = ::send(fd_.get(), send_.data() + sent_, send_.size() - sent_, MSG_NOSIGNAL);
      if (n < 0) {
        if (would_block(errno)) return;
        return settle(failed(socket_failure(errno)));
      }
      sent_ += static_cast<size_t>(n);
    }
    if (const int rc = poll_.start(UV_READABLE); rc != 0) settle(failed(uv_strerror(rc)));
  }

  void read_reply() {
    char buffer[1024];
    for (;;) {
      const ssize_t n = recv(fd_.get(), buffer, sizeof buffer, 0);
      if (n < 0) {
        if (would_block(errno)) return;
        if (reply_.empty()) return settle(failed(socket_failure(errno)));
        return settle(replied());
      }
      if (n == 0) return settle(replied());
      reply_.append(buffer, static_cast<size_t>(n));
      if (reply_.find('\n') != std::string::npos || reply_.size() > kMaxLineReply) {
        return settle(replied());
      }
    }
  }

  ProbeResult replied() const {
    ProbeResult r = succeeded(reply_.empty() ? "closed without a reply" : "reply");
    const size_t end = std::min(reply_.find('\n'), reply_.size());
    r.body = reply_.substr(0, std::min(end, kMaxLineReply));
    r.cut = end > kMaxLineReply;
    return r;
  }

  Endpoint to_;
  std::string send_;
  size_t sent_ = 0;
  bool connected_ = false;
  std::string reply_;
  Fd fd_;
  Poll poll_;
};

const char* rcode_name(int rcode) {
  static constexpr std::array<const char*, 11> names{"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
                                                     "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
                                                     "NXRRSET", "NOTAUTH", "NOTZONE"};
  return rcode >= 0 && static_cast<size_t>(rcode) < names.size() ? names[rcode] : nullptr;
}

// One query on a connected UDP socket. A datagram that is no answer to it (another ID, or no
// QR bit) is ignored, as resolvers do; an answer that does not parse ends the probe.
class DnsProbe final : public Probe {
 public:
  DnsProbe(const ProbeContext& context, const Endpoint& to, std::string name, DnsType type)
      : Probe(context), to_(to), name_(std::move(name)), type_(type) {}

  void start() override {
    arm();
    unsigned char query[NS_PACKETSZ];
    const int size = res_mkquery(ns_o_query, name_.c_str(), ns_c_in, static_cast<int>(type_),
                                 nullptr, 0, nullptr, query, sizeof query);
    if (size < 0) return settle_soon(failed("DNS: no query can be made for " + name_));
    id_ = static_cast<uint16_t>(query[0] << 8 | query[1]);
    if (auto why = open_watched(loop(), to_, SOCK_DGRAM, UV_READABLE, fd_, poll_,
                                [this] { read_answer(); })) {
      return settle_soon(failed(*why));
    }
    if (::send(fd_.get(), query, static_cast<size_t>(size), 0) < 0) {
      settle_soon(failed(datagram_failure(errno)));
    }
  }

 private:
  void read_answer() {
    std::array<unsigned char, 4096> buffer;
    for (;;) {
      const ssize_t n = recv(fd_.get(), buffer.data(), buffer.size(), 0);
      if (n < 0) {
        if (would_block(errno)) return;
        return settle(failed(datagram_failure(errno)));
      }
      if (auto result = judge(buffer.data(), static_cast<int>(n)))
        return settle(std::move(*result));
    }
  }

  std::optional<ProbeResult> judge(const unsigned char* answer, int size) const {
    if (size < NS_HFIXEDSZ) return failed("DNS: malformed reply");
    const bool is_response = (answer[2] & 0x80) != 0;
    if (static_cast<uint16_t>(answer[0] << 8 | answer[1]) != id_ || !is_response) {
      return std::nullopt;
    }
    ns_msg message;
    if (ns_initparse(answer, size, &message) != 0) return failed("DNS: malformed reply");
    const int rcode = ns_msg_getflag(message, ns_f_rcode);
    if (rcode == ns_r_noerror) return succeeded("NOERROR");
    const char* name = rcode_name(rcode);
    return failed(name != nullptr ? std::string("DNS ") + name
                                  : "DNS RCODE " + std::to_string(rcode));
  }

  Endpoint to_;
  std::string name_;
  DnsType type_;
  uint16_t id_ = 0;
  Fd fd_;
  Poll poll_;
};

// One datagram out, the first one back; `expect` is looked for in what is kept of it.
class UdpProbe final : public Probe {
 public:
  UdpProbe(const ProbeContext& context, const Endpoint& to, std::string payload, std::string expect)
      : Probe(context), to_(to), payload_(std::move(payload)), expect_(std::move(expect)) {}

  void start() override {
    arm();
    if (auto why = open_watched(loop(), to_, SOCK_DGRAM, UV_READABLE, fd_, poll_,
                                [this] { read_reply(); })) {
      return settle_soon(failed(*why));
    }
    if (::send(fd_.get(), payload_.data(), payload_.size(), 0) < 0) {
      settle_soon(failed(datagram_failure(errno)));
    }
  }

 private:
  void read_reply() {
    char buffer[kMaxLineReply];
    // MSG_TRUNC: the datagram's full length, though only the buffer's worth is copied.
    const ssize_t n = recv(fd_.get(), buffer, sizeof buffer, MSG_TRUNC);
    if (n < 0) {
      if (would_block(errno)) return;
      return settle(failed(datagram_failure(errno)));
    }
    ProbeResult r;
    r.body.assign(buffer, std::min(static_cast<size_t>(n), sizeof buffer));
    r.cut = static_cast<size_t>(n) > sizeof buffer;
    r.ok = expect_.empty() || r.body.find(expect_) != std::string::npos;
    r.reason = r.ok ? "reply" : "reply does not contain \"" + expect_ + "\"";
    settle(std::move(r));
  }

  Endpoint to_;
  std::string payload_;
  std::string expect_;
  Fd fd_;
  Poll poll_;
};

}  // namespace

std::unique_ptr<Probe> make_connect_probe(const ProbeContext& context, const Endpoint& to) {
  return std::make_unique<ConnectProbe>(context, to);
}

std::unique_ptr<Probe> make_line_probe(const ProbeContext& context, const Endpoint& to,
                                       std::string send) {
  return std::make_unique<LineProbe>(context, to, std::move(send));
}

std::unique_ptr<Probe> make_dns_probe(const ProbeContext& context, const Endpoint& to,
                                      std::string name, DnsType type) {
  return std::make_unique<DnsProbe>(context, to, std::move(name), type);
}

std::unique_ptr<Probe> make_udp_probe(const ProbeContext& context, const Endpoint& to,
                                      std::string payload, std::string expect) {
  return std::make_unique<UdpProbe>(context, to, std::move(payload), std::move(expect));
}

}  // namespace sluice::control::health
