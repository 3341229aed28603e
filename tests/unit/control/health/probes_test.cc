#include "control/health/probes.h"

#include <arpa/nameser.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <resolv.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/loop_pump.h"

namespace sluice::control::health {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// Peers live on the loopback only: 127.0.0.1 and ::1.
IpAddress lo4() { return IpAddress::v4(0x7f000001); }
IpAddress lo6() {
  IpAddress a;
  a.bytes[15] = 1;
  return a;
}

sockaddr_storage address_of(const IpAddress& ip, uint16_t port, socklen_t& size) {
  sockaddr_storage s{};
  if (ip.is_v4()) {
    auto* in = reinterpret_cast<sockaddr_in*>(&s);
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    in->sin_addr.s_addr = htonl(ip.to_v4());
    size = sizeof *in;
  } else {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&s);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    std::memcpy(in6->sin6_addr.s6_addr, ip.bytes.data(), 16);
    size = sizeof *in6;
  }
  return s;
}

// A socket bound to `ip` on a port of the kernel's choosing; closed with the object.
class Bound {
 public:
  Bound(const IpAddress& ip, int type) {
    fd_ = socket(ip.is_v4() ? AF_INET : AF_INET6, type | SOCK_CLOEXEC, 0);
    socklen_t size = 0;
    sockaddr_storage s = address_of(ip, 0, size);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&s), size), 0) << std::strerror(errno);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&s), &size);
    port_ = ntohs(ip.is_v4() ? reinterpret_cast<sockaddr_in*>(&s)->sin_port
                             : reinterpret_cast<sockaddr_in6*>(&s)->sin6_port);
  }
  ~Bound() {
    if (fd_ >= 0) close(fd_);
  }
  Bound(const Bound&) = delete;
  Bound& operator=(const Bound&) = delete;
  int fd() const { return fd_; }
  uint16_t port() const { return port_; }
  void release() {
    close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

// A port nobody listens on: bound, so nothing else takes it, but not listening (TCP), or
// closed (UDP: the kernel answers port unreachable).
uint16_t closed_port(const IpAddress& ip, int type, std::unique_ptr<Bound>& keep) {
  keep = std::make_unique<Bound>(ip, type);
  const uint16_t port = keep->port();
  if (type == SOCK_DGRAM) keep->release();
  return port;
}

void send_all(int fd, const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;  // the client went away: expected when it stops reading
    sent += static_cast<size_t>(n);
  }
}

// What the client sends, until `end` is seen, it stops sending for 300 ms, or closes.
std::string read_until(int fd, const std::string& end) {
  std::string got;
  char buffer[4096];
  pollfd p{fd, POLLIN, 0};
  while ((end.empty() || got.find(end) == std::string::npos) && poll(&p, 1, 300) == 1) {
    const ssize_t n = recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    got.append(buffer, static_cast<size_t>(n));
  }
  return got;
}

// Closes with a reset (SO_LINGER 0) instead of a FIN.
void reset(int fd) {
  linger l{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
}

// A TCP server on a thread of its own: each connection goes to `serve` (on that thread, one
// after another), which returns whether to hold it open until the server is destroyed.
class TcpServer {
 public:
  TcpServer(const IpAddress& ip, std::function<bool(int)> serve)
      : listener_(ip, SOCK_STREAM), serve_(std::move(serve)) {
    EXPECT_EQ(listen(listener_.fd(), 16), 0);
    EXPECT_EQ(pipe2(stop_, O_CLOEXEC), 0);
    thread_ = std::thread([this] { run(); });
  }
  ~TcpServer() {
    EXPECT_EQ(write(stop_[1], "x", 1), 1);
    thread_.join();
    for (int fd : held_) close(fd);
    close(stop_[0]);
    close(stop_[1]);
  }
  uint16_t port() const { return listener_.port(); }
  int accepted() const { return accepted_; }

 private:
  void run() {
    pollfd fds[2] = {{listener_.fd(), POLLIN, 0}, {stop_[0], POLLIN, 0}};
    while (poll(fds, 2, -1) > 0 && fds[1].revents == 0) {
      const int fd = accept4(listener_.fd(), nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      ++accepted_;
      const timeval bound{2, 0};  // a misbehaving client cannot hang the test
      setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &bound, sizeof bound);
      setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &bound, sizeof bound);
      if (serve_(fd)) {
        held_.push_back(fd);
      } else {
        close(fd);
      }
    }
  }

  Bound listener_;
  std::function<bool(int)> serve_;
  int stop_[2] = {-1, -1};
  std::vector<int> held_;
  std::atomic<int> accepted_{0};
  std::thread thread_;
};

// A UDP peer on the test's own loop: each datagram is answered with what `answer` returns
// (nothing when it returns nullopt).
class UdpPeer {
 public:
  using Answer = std::function<std::optional<std::string>(const std::string&)>;
  UdpPeer(EventLoop& loop, const IpAddress& ip, Answer answer)
      : socket_(ip, SOCK_DGRAM), answer_(std::move(answer)) {
    fcntl(socket_.fd(), F_SETFL, O_NONBLOCK);
    watch_ = loop.watch(socket_.fd(), UV_READABLE, [this] { answer_all(); });
  }
  uint16_t port() const { return socket_.port(); }

 private:
  void answer_all() {
    char buffer[4096];
    sockaddr_storage from{};
    socklen_t size = sizeof from;
    ssize_t n = 0;
    while ((n = recvfrom(socket_.fd(), buffer, sizeof buffer, 0, reinterpret_cast<sockaddr*>(&from),
                         &size)) >= 0) {
      if (auto reply = answer_(std::string(buffer, static_cast<size_t>(n)))) {
        sendto(socket_.fd(), reply->data(), reply->size(), 0, reinterpret_cast<sockaddr*>(&from),
               size);
      }
      size = sizeof from;
    }
  }

  Bound socket_;
  Answer answer_;
  FdWatch watch_;
};

// Is the process there and not a zombie? (A killed process whose parent died is reaped by
// init, which in a container may never happen: a zombie runs no more.)
bool running(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  std::getline(stat, text);
  const size_t name_end = text.rfind(')');
  return name_end != std::string::npos && name_end + 2 < text.size() && text[name_end + 2] != 'Z';
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

class TempDir {
 public:
  TempDir() {
    char name[] = "/tmp/sluice-probes-XXXXXX";
    path_ = mkdtemp(name);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string operator/(const std::string& file) const { return path_ + "/" + file; }

 private:
  std::string path_;
};

const std::vector<std::string> kPath = {"PATH=/usr/bin:/bin"};

class ProbesTest : public ::testing::Test {
 protected:
  void pump_until(const std::function<bool()>& done) { control::pump_until(loop_, done); }
  void pump_for(std::chrono::milliseconds span) { control::pump_for(loop_, span); }

  // Runs one probe to its end: `start` starts it with the `done` it is given. The probe must
  // not call `done` inside `start`, and must call it exactly once.
  ProbeResult run(const std::function<void(ProbeDone)>& start) {
    auto calls = std::make_shared<int>(0);
    auto got = std::make_shared<std::optional<ProbeResult>>();
    start([calls, got](ProbeResult r) {
      ++*calls;
      *got = std::move(r);
    });
    EXPECT_EQ(*calls, 0) << "done was called inside the call that started the probe";
    EXPECT_EQ(probes_->in_flight(), 1u);
    pump_until([&] { return got->has_value(); });
    pump_for(20ms);  // time for a second call to show
    EXPECT_EQ(*calls, 1);
    EXPECT_EQ(probes_->in_flight(), 0u);
    if (got->has_value()) return **got;
    ProbeResult none;
    none.reason = "(no result within 10 s)";
    return none;
  }

  ProbeResult connect(const IpAddress& ip, uint16_t port, uint32_t timeout_ms = 2000) {
    return run([&](ProbeDone done) { probes_->connect({ip, port}, timeout_ms, std::move(done)); });
  }
  ProbeResult http(const HttpRequest& request) {
    return run([&](ProbeDone done) { probes_->http(request, std::move(done)); });
  }
  ProbeResult ping(const IpAddress& ip) {
    return run([&](ProbeDone done) { probes_->ping(ip, 2000, std::move(done)); });
  }
  ProbeResult dns(uint16_t port, const std::string& name, DnsType type, uint32_t timeout_ms) {
    return run([&](ProbeDone done) {
      probes_->dns({lo4(), port}, name, type, timeout_ms, std::move(done));
    });
  }
  ProbeResult udp(const IpAddress& ip, uint16_t port, const std::string& payload,
                  const std::string& expect) {
    return run([&](ProbeDone done) {
      probes_->udp({ip, port}, payload, expect, 2000, std::move(done));
    });
  }
  ProbeResult line(uint16_t port, const std::string& send, uint32_t timeout_ms = 5000) {
    return run([&](ProbeDone done) {
      probes_->line({lo4(), port}, send, timeout_ms, std::move(done));
    });
  }
  ProbeResult script(std::vector<std::string> argv, uint32_t timeout_ms = 5000,
                     std::vector<std::string> env = kPath) {
    return run([&](ProbeDone done) {
      probes_->script(std::move(argv), std::move(env), timeout_ms, std::move(done));
    });
  }

  EventLoop loop_;  // first: it outlives everything on it
  std::unique_ptr<Probes> probes_ = std::make_unique<Probes>(loop_, 4);
};

// ---- connect ----

TEST_F(ProbesTest, ConnectReportsConnected) {
  Bound listener(lo4(), SOCK_STREAM);
  ASSERT_EQ(listen(listener.fd(), 4), 0);
  const ProbeResult r = connect(lo4(), listener.port());
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.reason, "connected");
}

TEST_F(ProbesTest, ConnectOverIpv6) {
  Bound listener(lo6(), SOCK_STREAM);
  ASSERT_EQ(listen(listener.fd(), 4), 0);
  const ProbeResult r = connect(lo6(), listener.port());
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.reason, "connected");
}

TEST_F(ProbesTest, ConnectRefused) {
  std::unique_ptr<Bound> keep;
  const ProbeResult r = connect(lo4(), closed_port(lo4(), SOCK_STREAM, keep));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.reason, "connect refused");
}

// A listener whose accept queue is full drops further SYNs: the connect hangs until the
// probe's timeout.
TEST_F(ProbesTest, ConnectTimesOut) {
  Bound listener(lo4(), SOCK_STREAM);
  ASSERT_EQ(listen(listener.fd(), 0), 0);
  Bound filler(lo4(), SOCK_STREAM);
  socklen_t size = 0;
  sockaddr_storage to = address_of(lo4(), listener.port(), size);
  ASSERT_EQ(::connect(filler.fd(), reinterpret_cast<sockaddr*>(&to), size), 0);
  const ProbeResult r = connect(lo4(), listener.port(), 300);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.reason, "timeout after 0.3 s");
}

// ---- http ----

// A tiny HTTP/1.0 server: "/down" answers 503, anything else 200 with "hello"; it keeps the
// requests it received.
class HttpServer {
 public:
  explicit HttpServer(const IpAddress& ip)
      : server_(ip, [this](int fd) {
          const std::string request = read_until(fd, "\r\n\r\n");
          {
            std::lock_guard lock(mutex_);
            requests_.push_back(request);
          }
          const bool down = request.find(" /down ") != std::string::npos;
          const std::string body = down ? "down" : "hello";
          send_all(fd, std::string(down ? "HTTP/1.0 503 Service Unavailable" : "HTTP/1.0 200 OK") +
                           "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
                           (request.starts_with("HEAD ") ? "" : body));
          return false;
        }) {}
  uint16_t port() const { return server_.port(); }
  std::string last_request() {
    std::lock_guard lock(mutex_);
    return requests_.empty() ? "" : requests_.back();
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> requests_;
  TcpServer server_;  // last: its thread stops before the rest goes
};

HttpRequest request_to(const IpAddress& ip, uint16_t port, std::string path = "/") {
  HttpRequest r;
  r.to = {ip, port};
  r.path = std::move(path);
  return r;
}

TEST_F(ProbesTest, HttpGetReportsStatusAndBody) {
  HttpServer server(lo4());
  const ProbeResult r = http(request_to(lo4(), server.port(), "/health"));
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.reason, "HTTP 200");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello");
  EXPECT_FALSE(r.cut);
  const std::string request = server.last_request();
  EXPECT_TRUE(request.starts_with("GET /health HTTP/1.1\r\n")) << request;
  EXPECT_NE(request.find("\r\nHost: 127.0.0.1:" + std::to_string(server.port()) + "\r\n"),
            std::string::npos)
      << request;
}

// An error status is an answer: whether it is good enough is the expectation's business.
TEST_F(ProbesTest, HttpErrorStatusIsStillAnAnswer) {
  HttpServer server(lo4());
  const ProbeResult r = http(request_to(lo4(), server.port(), "/down"));
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.reason, "HTTP 503");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, "down");
}

TEST_F(ProbesTest, HttpHeadAsksForNoBody) {
  HttpServer server(lo4());
  HttpRequest request = request_to(lo4(), server.port());
  request.method = HttpMethod::HEAD;
  const ProbeResult r = http(request);
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "");
  EXPECT_TRUE(server.last_request().starts_with("HEAD / HTTP/1.1\r\n")) << server.last_request();
}

TEST_F(ProbesTest, HttpSendsTheConfiguredHost) {
  HttpServer server(lo4());
  HttpRequest request = request_to(lo4(), server.port());
  request.host = "www.check.test";
  const ProbeResult r = http(request);
  EXPECT_TRUE(r.ok) << r.reason;
  EXPECT_NE(server.last_request().find("\r\nHost: www.check.test:" + std::to_string(server.port()) +
                                       "\r\n"),
            std::string::npos)
      << server.last_request();
}

TEST_F(ProbesTest, HttpOverIpv6) {
  HttpServer server(lo6());
  const ProbeResult r = http(request_to(lo6(), server.port()));
  EXPECT_TRUE(r.ok) << r.reason;
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(server.last_request().find("\r\nHost: [::1]:"), std::string::npos)
      << server.last_request();
}

TEST_F(ProbesTest, HttpConnectRefused) {
  std::unique_ptr<Bound> keep;
  const ProbeResult r = http(request_to(lo4(), closed_port(lo4(), SOCK_STREAM, keep)));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.reason, "connect refused");
}

TEST_F(ProbesTest, HttpTimesOutOnASilentServer) {
  TcpServer silent(lo4(), [](int) { return true; });
  HttpRequest request = request_to(lo4(), silent.port());
  request.timeout_ms = 300;
  const ProbeResult r = http(request);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.reason, "timeout after 0.3 s");
  EXPECT_EQ(silent.accepted(), 1);
}

TEST_F(ProbesTest, HttpResetByPeer) {
  TcpServer resetter(lo4(), [](int fd) {
    read_until(fd, "\r\n\r\n");
    reset(fd);
    return false;
  });
  const ProbeResult r = http(request_to(lo4(), resetter.port()));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.reason, "reset by peer");
}

TEST_F(ProbesTest, HttpLongBodyIsJudgedOnItsStart) {
  TcpServer big(lo4(), [](int fd) {
    read_until(fd, "\r\n\r\n");
    send_all(fd, "HTTP/1.0 200 OK\r\n\r\n" + std::string(1 << 20, 'x'));
    return false;
  });
  const ProbeResult r = http(request_to(lo4(), big.port()));
  EXPECT_TRUE(r.ok) << r.reason;
  EXPECT_EQ(r.reason, "HTTP 200");
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.cut);
  EXPECT_EQ(r.body, std::string(kMaxHttpBody, 'x'));
}

// ---- https: openssl s_server with a certificate made for the test ----

class HttpsProbesTest : public ProbesTest {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    const std::string made =
        "openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=check.test -days 1"
        " -keyout " +
        key() + " -out " + cert() + " 2>/dev/null";
    if (std::system(made.c_str()) != 0) return;
    {
      Bound probe(lo4(), SOCK_STREAM);  // a free port, given back for the server to take
      port_ = probe.port();
    }
    const std::string accept = "127.0.0.1:" + std::to_string(port_);
    std::vector<std::string> args = {"openssl", "s_server", "-www", "-quiet", "-accept",
                                     accept,    "-cert",    cert(), "-key",   key()};
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    for (int fd = 0; fd < 3; ++fd) {
      posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0);
    }
    if (posix_spawnp(&server_, "openssl", &actions, nullptr, argv.data(), environ) != 0) {
      server_ = 0;
    }
    posix_spawn_file_actions_destroy(&actions);
    // Ready when it accepts a connection (10 s at most).
    const auto end = Clock::now() + 10s;
    while (server_ != 0 && !listening() && Clock::now() < end) std::this_thread::sleep_for(20ms);
  }
  static void TearDownTestSuite() {
    if (server_ != 0) {
      kill(server_, SIGTERM);
      waitpid(server_, nullptr, 0);
      server_ = 0;
    }
    delete dir_;
  }
  void SetUp() override { ASSERT_TRUE(server_ != 0 && listening()) << "no openssl s_server"; }

  static bool listening() {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    socklen_t size = 0;
    sockaddr_storage to = address_of(lo4(), port_, size);
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&to), size) == 0;
    close(fd);
    return ok;
  }
  static std::string cert() { return *dir_ / "cert.pem"; }
  static std::string key() { return *dir_ / "key.pem"; }
  static HttpRequest https_request() {
    HttpRequest r = request_to(lo4(), port_);
    r.https = true;
    return r;
  }

  static TempDir* dir_;
  static pid_t server_;
  static uint16_t port_;
};

TempDir* HttpsProbesTest::dir_ = nullptr;
pid_t HttpsProbesTest::server_ = 0;
uint16_t HttpsProbesTest::port_ = 0;

TEST_F(HttpsProbesTest, WithoutVerificationAnyCertificateDoes) {
  const ProbeResult r = http(https_request());
  EXPECT_TRUE(r.ok) << r.reason;
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("s_server"), std::string::npos) << r.body;  // its status page
}

TEST_F(HttpsProbesTest, VerificationFailsWithoutTheCa) {
  HttpRequest request = https_request();
  request.verify_certificate = true;
  request.host = "check.test";
  const ProbeResult r = http(request);
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(r.reason.starts_with("TLS: ")) << r.reason;
}

TEST_F(HttpsProbesTest, VerificationPassesWithTheCaAndTheName) {
  HttpRequest request = https_request();
  request.verify_certificate = true;
  request.ca_file = cert();
  request.host = "check.test";
  const ProbeResult r = http(request);
  EXPECT_TRUE(r.ok) << r.reason;
  EXPECT_EQ(r.status, 200);
}

// The certificate names check.test, not the address: the name must be the one checked.
TEST_F(HttpsProbesTest, VerificationFailsForAnotherName) {
  HttpRequest request = https_request();
  request.verify_certificate = true;
  request.ca_file = cert();
  const ProbeResult r = http(request);
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(r.reason.starts_with("TLS: ")) << r.reason;
}

// ---- ping (raw sockets: the tests run as root) ----

TEST_F(ProbesTest, PingIpv4) {
  const ProbeResult r = ping(lo4());
  EXPECT_TRUE(r.ok) << r.reason;
  EXPECT_EQ(r.reason, "echo reply");
}

TEST_F(ProbesTest, PingIpv6) {
  const ProbeResult r = ping(lo6());
  EXPECT_TRUE(r.ok) << r.reason;
  EXPECT_EQ(r.reason, "echo reply");
}

// Replies are told apart by source and sequence: each of several pings at once gets its own.
TEST_F(ProbesTest, SeveralPingsAtOnceEachGetTheirReply) {
  IpAddress other4 = IpAddress::v4(0x7f000002);  // also the loopback's
  std::vector<std::string> got(4);
  int calls = 0;
  const std::vector<IpAddress> targets = {lo4(), lo6(), other4, lo4()};
  for (size_t i = 0; i < targets.size(); ++i) {
    probes_->ping(targets[i], 2000, [&, i](ProbeResult r) {
      ++calls;
      got[i] = r.reason;
    });
  }
  pump_until([&] { return calls == 4; });
  EXPECT_EQ(got, std::vector<std::string>(4, "echo reply"));
}

// ---- dns: a responder on the test's loop ----

// Answers by the name asked: up. NOERROR, gone. NXDOMAIN, refused. REFUSED, garbage. a header
// that promises more than follows, spoofed. another query ID. Keeps the type asked for.
class DnsResponder {
 public:
  explicit DnsResponder(EventLoop& loop)
      : peer_(loop, lo4(), [this](const std::string& query) { return answer(query); }) {}
  uint16_t port() const { return peer_.port(); }
  int last_type = 0;

 private:
  std::optional<std::string> answer(const std::string& query) {
    ns_msg message;
    ns_rr question;
    if (ns_initparse(reinterpret_cast<const unsigned char*>(query.data()),
                     static_cast<int>(query.size()), &message) != 0 ||
        ns_parserr(&message, ns_s_qd, 0, &question) != 0) {
      return std::nullopt;
    }
    last_type = ns_rr_type(question);
    const std::string name = ns_rr_name(question);
    std::string reply = query;
    reply[2] = static_cast<char>(reply[2] | 0x80);  // QR
    int rcode = 0;
    if (name.starts_with("gone.")) rcode = 3;
    if (name.starts_with("refused.")) rcode = 5;
    reply[3] = static_cast<char>(0x80 | rcode);  // RA
    if (name.starts_with("garbage.")) {
      return query.substr(0, 2) + std::string("\x81\x80\x00\x05\x00\x00\x00\x00\x00\x00", 10);
    }
    if (name.starts_with("spoofed.")) reply[1] = static_cast<char>(reply[1] ^ 1);
    return reply;
  }

  UdpPeer peer_;
};

TEST_F(ProbesTest, DnsNoError) {
  DnsResponder responder(loop_);
  const ProbeResult r = dns(responder.port(), "up.check.test", DnsType::AAAA, 2000);
  EXPECT_TRUE(r.ok) << r.reason;
  EXPECT_EQ(r.reason, "NOERROR");
  EXPECT_EQ(responder.last_type, 28);
}

TEST_F(ProbesTest, DnsNxdomain) {
  DnsResponder responder(loop_);
  const ProbeResult r = dns(responder.port(), "gone.check.test", DnsType::A, 2000);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.reason, "DNS NXDOMAIN");
  EXPECT_EQ(responder.last_type, 1);
}

TEST_F(ProbesTest, DnsRefused) {
  DnsResponder responder(loop_);
  const ProbeResult r = dns(responder.port(), "refused.check.test", DnsType::MX, 2000);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.reason, "DNS REFUSED");
}

TEST_F(ProbesTest, DnsMalformedReply) {
  DnsResponder responder(loop_);
  const ProbeResult r = dns(responder.port(), "garbage.check.test", DnsType::A, 2000);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.reason, "DNS: malformed reply");
}

// An answer with another ID is not the answer: the probe waits on, to its timeout.
TEST_F(ProbesTest, DnsIgnoresAnAnswerToAnotherQuery) {
  DnsResponder responder(loop_);
  const ProbeResult r = dns(responder.port(), "spoofed.check.test", DnsType::A, 300);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.reason, "timeout after 0.3 s");
}

TEST_F(ProbesTest, DnsPortUnreachable) {
  std::unique_ptr<Bound> keep;
  const ProbeResult r =
      dns(closed_port(lo4(), SOCK_DGRAM, keep), "up.check.test", DnsType::A, 2000);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.reason, "port unreachable");
}

// ---- udp ----

TEST_F(ProbesTest, UdpReplyContainsTheExpectedText) {
  UdpPeer peer(loop_, lo4(), [](const std::string& d) { return "echo: " + d; });
  const ProbeResult r = udp(lo4(), peer.port(), "ping", "ping");
  EXPECT_TRUE(r.ok) << r.reason;
  EXPECT_EQ(r.reason, "reply");
  EXPECT_EQ(r.body, "echo: ping");
}

TEST_F(ProbesTest, UdpReplyWithoutTheExpectedText) {
  UdpPeer peer(loop_, lo4(), [](const std::string& d) { return d; });
  const ProbeResult r = udp(lo4(), peer.port(), "ping", "pong");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.reason, "reply does not contain \"pong\"");
  EXPECT_EQ(r.body, "ping");
}

TEST_F(ProbesTest, UdpOverIpv6AnyReplyWithoutExpectation) {
  UdpPeer peer(loop_, lo6(), [](const std::string& d) { return d; });
  const ProbeResult r = udp(lo6(), peer.port(), "hello", "");
  EXPECT_TRUE(r.ok) << r.reason;
  EXPECT_EQ(r.body, "hello");
}

TEST_F(ProbesTest, UdpLongReplyIsCut) {
  UdpPeer peer(loop_, lo4(), [](const std::string&) { return std::string(2000, 'u'); });
  const ProbeResult r = udp(lo4(), peer.port(), "x", "");
  EXPECT_TRUE(r.ok) << r.reason;
  EXPECT_TRUE(r.cut);
  EXPECT_EQ(r.body, std::string(kMaxLineReply, 'u'));
}

TEST_F(ProbesTest, UdpPortUnreachable) {
  std::unique_ptr<Bound> keep;
  const ProbeResult r = udp(lo4(), closed_port(lo4(), SOCK_DGRAM, keep), "ping", "");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.reason, "port unreachable");
}

// ---- line (the feedback agent) ----

// The agent answers its line and keeps the connection open: the newline ends the probe.
TEST_F(ProbesTest, LineAgentReply) {
  std::string received;
  TcpServer agent(lo4(), [&](int fd) {
    received = read_until(fd, "\n");
    send_all(fd, "75%\n");
    return true;
  });
  const ProbeResult r = line(agent.port(), "status\n", 8000);
  EXPECT_TRUE(r.ok) << r.reason;
  EXPECT_EQ(r.reason, "reply");
  EXPECT_EQ(r.body, "75%");
  EXPECT_FALSE(r.cut);
  EXPECT_EQ(received, "status\n");
}

TEST_F(ProbesTest, LineReplyEndedByClose) {
  TcpServer agent(lo4(), [](int fd) {
    send_all(fd, "drain 50%");
    return false;
  });
  const ProbeResult r = line(agent.port(), "");
  EXPECT_TRUE(r.ok) << r.reason;
  EXPECT_EQ(r.body, "drain 50%");
}

TEST_F(ProbesTest, LineSilentAgentTimesOut) {
  TcpServer silent(lo4(), [](int) { return true; });
  const ProbeResult r = line(silent.port(), "", 300);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.reason, "timeout after 0.3 s");
}

TEST_F(ProbesTest, LineLongReplyIsCut) {
  TcpServer agent(lo4(), [](int fd) {
    send_all(fd, std::string(1 << 20, 'a'));
    return false;
  });
  const ProbeResult r = line(agent.port(), "");
  EXPECT_TRUE(r.ok) << r.reason;
  EXPECT_TRUE(r.cut);
  EXPECT_EQ(r.body, std::string(kMaxLineReply, 'a'));
}

TEST_F(ProbesTest, LineResetBeforeAnyByte) {
  TcpServer resetter(lo4(), [](int fd) {
    reset(fd);
    return false;
  });
  const ProbeResult r = line(resetter.port(), "");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.reason, "reset by peer");
}

TEST_F(ProbesTest, LineConnectRefused) {
  std::unique_ptr<Bound> keep;
  const ProbeResult r = line(closed_port(lo4(), SOCK_STREAM, keep), "");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.reason, "connect refused");
}

// ---- script ----

TEST_F(ProbesTest, ScriptExitZero) {
  const ProbeResult r = script({"/bin/true"});
  EXPECT_TRUE(r.ok) << r.reason;
  EXPECT_EQ(r.reason, "exit 0");
}

TEST_F(ProbesTest, ScriptExitNonZero) {
  const ProbeResult r = script({"/bin/false"});
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.reason, "script exit 1");
}

// The script gets the environment given, and nothing of ours.
TEST_F(ProbesTest, ScriptGetsOnlyTheGivenEnvironment) {
  setenv("SLUICE_PROBES_TEST_OURS", "1", 1);
  const ProbeResult r =
      script({"/bin/sh", "-c", "test \"$CHECK\" = yes && test -z \"$SLUICE_PROBES_TEST_OURS\""},
             5000, {"PATH=/usr/bin:/bin", "CHECK=yes"});
  unsetenv("SLUICE_PROBES_TEST_OURS");
  EXPECT_TRUE(r.ok) << r.reason;
}

TEST_F(ProbesTest, ScriptKilledBySignal) {
  const ProbeResult r = script({"/bin/sh", "-c", "kill -TERM $$"});
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.reason, "script killed by signal 15");
}

// At its timeout the script's whole process group is killed: the sleep it started too.
TEST_F(ProbesTest, ScriptKilledAtItsTimeoutWithWhatItStarted) {
  TempDir dir;
  const std::string pids = dir / "pids";
  const ProbeResult r =
      script({"/bin/sh", "-c", "sleep 30 & echo $$ $! > " + pids + "; wait"}, 200);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.reason, "script killed at its timeout (0.2 s)");
  pid_t shell = 0;
  pid_t sleeper = 0;
  std::istringstream(read_file(pids)) >> shell >> sleeper;
  ASSERT_GT(sleeper, 0) << "the script did not get to write its pids";
  pump_until([&] { return !running(shell) && !running(sleeper); });
  EXPECT_FALSE(running(shell));
  EXPECT_FALSE(running(sleeper));
}

TEST_F(ProbesTest, ScriptThatCannotStart) {
  const ProbeResult r = script({"/nonexistent/check"});
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.reason, "script: no such file or directory");
}

TEST_F(ProbesTest, ScriptMustBeAPath) {
  const ProbeResult r = script({"true"});
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.reason, "script: not a path: true");
}

// With one slot, the second script starts when the first has ended: it sees the file the
// first made at its end.
TEST_F(ProbesTest, ScriptsBeyondTheLimitWaitTheirTurn) {
  probes_ = std::make_unique<Probes>(loop_, 1);
  TempDir dir;
  const std::string mark = dir / "first-done";
  std::vector<std::string> order;
  size_t waiting_when_first_done = 99;
  probes_->script({"/bin/sh", "-c", "sleep 0.3; touch " + mark}, kPath, 5000, [&](ProbeResult r) {
    order.push_back("first " + r.reason);
    waiting_when_first_done = probes_->scripts_waiting();
  });
  probes_->script({"/bin/sh", "-c", "test -e " + mark}, kPath, 5000,
                  [&](ProbeResult r) { order.push_back("second " + r.reason); });
  EXPECT_EQ(probes_->scripts_waiting(), 1u);
  EXPECT_EQ(probes_->in_flight(), 2u);
  pump_until([&] { return order.size() == 2; });
  EXPECT_EQ(order, (std::vector<std::string>{"first exit 0", "second exit 0"}));
  EXPECT_EQ(waiting_when_first_done, 0u);
  EXPECT_EQ(probes_->in_flight(), 0u);
}

// ---- lifetime ----

TEST_F(ProbesTest, DestroyedWithProbesInFlightCallsNoDone) {
  TcpServer silent(lo4(), [](int) { return true; });
  TempDir dir;
  const std::string pids = dir / "pids";
  int calls = 0;
  auto count = [&](ProbeResult) { ++calls; };
  probes_->http(request_to(lo4(), silent.port()), count);
  probes_->line({lo4(), silent.port()}, "", 5000, count);
  probes_->script({"/bin/sh", "-c", "sleep 30 & echo $! > " + pids + "; wait"}, kPath, 5000, count);
  pump_until([&] { return silent.accepted() == 2 && !read_file(pids).empty(); });
  ASSERT_EQ(silent.accepted(), 2);
  EXPECT_EQ(probes_->in_flight(), 3u);
  const pid_t sleeper = std::atoi(read_file(pids).c_str());
  ASSERT_GT(sleeper, 0);
  probes_.reset();
  pump_for(100ms);
  EXPECT_EQ(calls, 0);
  pump_until([&] { return !running(sleeper); });
  EXPECT_FALSE(running(sleeper));
}

TEST_F(ProbesTest, ADoneMayStartAnotherProbe) {
  Bound listener(lo4(), SOCK_STREAM);
  ASSERT_EQ(listen(listener.fd(), 4), 0);
  std::optional<ProbeResult> second;
  probes_->connect({lo4(), listener.port()}, 2000, [&](ProbeResult) {
    probes_->connect({lo4(), listener.port()}, 2000, [&](ProbeResult r) { second = r; });
  });
  pump_until([&] { return second.has_value(); });
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->reason, "connected");
}

// Two pings answered in one read: the first's done destroys the Probes, and with them the
// second's pending done.
TEST_F(ProbesTest, ADoneMayDestroyTheProbes) {
  int calls = 0;
  auto destroy = [&](ProbeResult) {
    ++calls;
    probes_.reset();
  };
  probes_->ping(lo4(), 2000, destroy);
  probes_->ping(lo4(), 2000, destroy);
  pump_until([&] { return calls > 0; });
  pump_for(100ms);
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace sluice::control::health
