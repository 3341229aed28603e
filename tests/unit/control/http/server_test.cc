// libmicrohttpd on our event loop: answers through the handler, and hostile clients (malformed,
// huge, slow, too many) meet clear status codes and bounds while the loop goes on.
#include "control/http/server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

namespace sluice::control::http {
namespace {

using std::chrono::steady_clock;

Endpoint loopback() { return {IpAddress::v4(0x7f000001), 0}; }

class HttpServerTest : public ::testing::Test {
 protected:
  void open(HttpLimits limits = {}) {
    Result<std::unique_ptr<HttpServer>> s =
        HttpServer::open(loop, loopback(), limits, [this](const Request& r) {
          ++handled;
          last_body = std::string(r.body);
          last_authorization = std::string(r.authorization);
          last_client = r.client;
          if (r.path == "/hello") return text_reply(200, std::string(r.method) + " hello");
          return text_reply(404, "not found");
        });
    ASSERT_TRUE(s) << s.error();
    server = std::move(s.value());
  }

  // A non-blocking client socket, connected.
  int connect_client() {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(server->port());
    sin.sin_addr.s_addr = htonl(0x7f000001);
    connect(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin);
    return fd;
  }

  // Turns the loop for `ms`, or until `done`.
  template <class Done>
  void spin(int ms, Done done) {
    const auto until = steady_clock::now() + std::chrono::milliseconds(ms);
    while (steady_clock::now() < until && !done()) {
      loop.update_time();
      loop.run_once_nowait();
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  }
  void spin(int ms) { spin(ms, [] { return false; }); }

  // Reads what `fd` has until it ends (or `ms` pass); `closed` tells whether it ended.
  std::string drain(int fd, int ms, bool* closed = nullptr) {
    std::string got;
    bool ended = false;
    spin(ms, [&] {
      char buf[65536];
      const ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n > 0) got.append(buf, static_cast<size_t>(n));
      ended = n == 0 || (n < 0 && errno != EAGAIN);
      return ended;
    });
    if (closed != nullptr) *closed = ended;
    return got;
  }

  // Sends `request` whole and returns the answer until the server closes (3 s at most).
  std::string exchange(const std::string& request) {
    const int fd = connect_client();
    size_t sent = 0;
    spin(3000, [&] {
      const ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
      if (n > 0) sent += static_cast<size_t>(n);
      return sent == request.size() || (n < 0 && errno != EAGAIN && errno != EINPROGRESS);
    });
    std::string answer = drain(fd, 3000);
    close(fd);
    return answer;
  }

  EventLoop loop;
  std::unique_ptr<HttpServer> server;
  int handled = 0;
  std::string last_body, last_authorization, last_client;
};

TEST_F(HttpServerTest, AnswersThroughTheHandler) {
  open();
  const std::string a = exchange("GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(a.starts_with("HTTP/1.1 200")) << a;
  EXPECT_NE(a.find("GET hello\n"), std::string::npos) << a;
  EXPECT_NE(a.find("Cache-Control: no-store"), std::string::npos) << a;
  const std::string b = exchange("GET /nope?x=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(b.starts_with("HTTP/1.1 404")) << b;
  EXPECT_EQ(handled, 2);
  EXPECT_EQ(server->counters().requests, 2u);
}

TEST_F(HttpServerTest, KeepsAliveAndPassesBodyAndAuthorization) {
  open();
  const std::string a = exchange(
      "POST /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nAuthorization: Bearer t\r\n\r\nhello"
      "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_NE(a.find("POST hello"), std::string::npos) << a;
  EXPECT_NE(a.find("GET hello"), std::string::npos) << a;
  EXPECT_EQ(last_authorization, "");
  EXPECT_EQ(handled, 2);
  const std::string b = exchange(
      "POST /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nAuthorization: Bearer t\r\n"
      "Connection: close\r\n\r\nhello");
  EXPECT_EQ(last_body, "hello");
  EXPECT_EQ(last_authorization, "Bearer t");
  EXPECT_TRUE(last_client.starts_with("127.0.0.1:")) << last_client;  // for the log
}

TEST_F(HttpServerTest, MalformedRequestsGet400WithoutTheHandler) {
  open();
  const struct {
    std::string request;
    const char* answer;  // the status line's start; "" when closed without one
  } cases[] = {
      {"GET /\r\n\r\n", "HTTP/1.1 400"},  // no version
      {"GET /hello HTTP/1.1\r\nno colon here\r\n\r\n", "HTTP/1.1 400"},
      {"GET /hello HTTP/9.9\r\nHost: x\r\n\r\n", "HTTP/1.1 505"},
      {"GARBAGE\r\n\r\n", ""},  // no HTTP at all: closed
      {"GET\r\n\r\n", ""},
      {std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11) + "\r\n\r\n", ""},  // TLS
  };
  for (const auto& c : cases) {
    const std::string a = exchange(c.request);
    EXPECT_TRUE(a.starts_with(c.answer) && (*c.answer != 0 || a.empty())) << c.request << " -> " << a;
  }
  EXPECT_EQ(handled, 0);
  EXPECT_TRUE(exchange("GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                  .starts_with("HTTP/1.1 200"));
}

TEST_F(HttpServerTest, HugeHeadersAndUrlsAreRefusedWithinTheMemoryLimit) {
  open();
  const std::string header =
      exchange("GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(100000, 'a') + "\r\n\r\n");
  EXPECT_TRUE(header.starts_with("HTTP/1.1 431")) << header.substr(0, 100);
  const std::string url = exchange("GET /" + std::string(100000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(url.starts_with("HTTP/1.1 414")) << url.substr(0, 100);
  EXPECT_EQ(handled, 0);
}

TEST_F(HttpServerTest, LargeBodiesGet413) {
  open({.max_body = 16});
  const std::string declared = exchange(
      "POST /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n" + std::string(1000, 'b'));
  EXPECT_TRUE(declared.starts_with("HTTP/1.1 413")) << declared;
  std::string chunked = "POST /hello HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                        "Connection: close\r\n\r\n";
  for (int i = 0; i < 10; ++i) chunked += "8\r\n01234567\r\n";
  chunked += "0\r\n\r\n";
  const std::string streamed = exchange(chunked);
  EXPECT_TRUE(streamed.starts_with("HTTP/1.1 413")) << streamed;
  EXPECT_EQ(handled, 0);
  const std::string fits = exchange(
      "POST /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 16\r\nConnection: close\r\n\r\n0123456789abcdef");
  EXPECT_TRUE(fits.starts_with("HTTP/1.1 200")) << fits;
}

TEST_F(HttpServerTest, SlowClientsAreCutAtTheirDeadline) {
  open({.exchange_ms = 300});
  // Slowloris: a request line, then a header byte now and then, never the end.
  const int slow = connect_client();
  spin(20);
  ASSERT_GT(send(slow, "GET /hello HTTP/1.1\r\n", 21, MSG_NOSIGNAL), 0);
  const auto start = steady_clock::now();
  bool closed = false;
  spin(2000, [&] {
    send(slow, "X", 1, MSG_NOSIGNAL);
    char c;
    const ssize_t n = recv(slow, &c, 1, 0);
    closed = n == 0 || (n < 0 && errno != EAGAIN);
    return closed;
  });
  const auto took = steady_clock::now() - start;
  EXPECT_TRUE(closed);
  EXPECT_LT(took, std::chrono::milliseconds(1000));
  EXPECT_EQ(server->counters().cut, 1u);
  close(slow);
  EXPECT_EQ(handled, 0);
  // Meanwhile and after, others are served.
  EXPECT_TRUE(exchange("GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                  .starts_with("HTTP/1.1 200"));
}

// A scraper keeps its connection alive between scrapes: closing it after the deadline is no
// cut (the slowloris count would rise with every Prometheus otherwise).
TEST_F(HttpServerTest, AnIdleKeptAliveConnectionIsClosedWithoutCountingACut) {
  open({.exchange_ms = 300});
  const int fd = connect_client();
  spin(20);
  const std::string request = "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(send(fd, request.data(), request.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(request.size()));
  bool closed = false;
  const std::string answer = drain(fd, 2000, &closed);
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 200")) << answer;
  EXPECT_TRUE(closed);  // after the idle deadline
  EXPECT_EQ(server->counters().cut, 0u);
  EXPECT_EQ(server->counters().idle_closed, 1u);
  close(fd);
}

TEST_F(HttpServerTest, ConnectionsPerAddressAreBounded) {
  open({.connections = 8, .per_address = 4, .exchange_ms = 500});
  std::vector<int> idle;
  for (int i = 0; i < 8; ++i) idle.push_back(connect_client());
  spin(100);
  EXPECT_LE(server->connections(), 4u);
  // The idle ones are cut at their deadline; the server then serves again.
  spin(1000, [&] { return server->connections() == 0; });
  EXPECT_EQ(server->connections(), 0u);
  for (int fd : idle) close(fd);
  EXPECT_TRUE(exchange("GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                  .starts_with("HTTP/1.1 200"));
}

TEST(HttpServerOpen, ListensOnIPv6) {
  EventLoop loop;
  Result<std::unique_ptr<HttpServer>> s = HttpServer::open(
      loop, {parse_ip("::1").value(), 0}, {}, [](const Request&) { return text_reply(200, "six"); });
  ASSERT_TRUE(s) << s.error();
  const int fd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0);
  sockaddr_in6 sin6{};
  sin6.sin6_family = AF_INET6;
  sin6.sin6_port = htons(s.value()->port());
  sin6.sin6_addr = in6addr_loopback;
  connect(fd, reinterpret_cast<sockaddr*>(&sin6), sizeof sin6);
  const std::string request = "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  std::string got;
  bool sent = false;
  const auto until = steady_clock::now() + std::chrono::seconds(3);
  while (steady_clock::now() < until && got.find("six") == std::string::npos) {
    loop.update_time();
    loop.run_once_nowait();
    if (!sent) sent = send(fd, request.data(), request.size(), MSG_NOSIGNAL) > 0;
    char buf[4096];
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n > 0) got.append(buf, static_cast<size_t>(n));
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  close(fd);
  EXPECT_TRUE(got.starts_with("HTTP/1.1 200")) << got;
}

TEST(HttpServerOpen, ABindFailureNamesTheAddressAndWhy) {
  EventLoop loop;
  // 198.18.0.250 is on no interface of the test's host.
  Result<std::unique_ptr<HttpServer>> s = HttpServer::open(
      loop, {IpAddress::v4(0xc61200fa), 9100}, {}, [](const Request&) { return Reply{}; });
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), "http.listen 198.18.0.250:9100: Cannot assign requested address");
}

}  // namespace
}  // namespace sluice::control::http
