// A small HTTP/1.1 server on the control plane's event loop: libmicrohttpd in its external
// mode (no thread of its own), its epoll descriptor watched by the loop and its timeouts a
// loop timer, so every request is answered on the control thread, where the ControlApi may be
// read and changed without locks (docs/architecture.md, "The HTTP endpoint").
// Hostile clients meet bounds: connections in all and per address, memory per connection
// (request line and headers; beyond it MHD answers 431 or 414), a body size (413), and a
// deadline per exchange: a connection that has not finished a request and taken its answer
// within `exchange_ms` of its start or of its last answer is cut (slowloris, stalled readers);
// one kept alive without a new request is closed after as long, and counted apart.
// Thread safety: the event loop's thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/ip_text.h"
#include "common/result.h"
#include "control/event_loop.h"

struct MHD_Daemon;
struct MHD_Connection;

namespace sluice::control::http {

struct Request {
  std::string_view method;         // as sent: "GET", "POST", ...
  std::string_view path;           // without the query
  std::string_view authorization;  // the Authorization header; empty without one
  std::string_view body;           // at most HttpLimits::max_body bytes
  std::string client;              // the peer, ADDRESS:PORT ("" if unknown): for the log
};

struct Reply {
  unsigned status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  // Shared, so that answers to several clients can hold one rendering (the metrics' cache)
  // until each is sent; null: empty.
  std::shared_ptr<const std::string> body;
  std::vector<std::pair<std::string, std::string>> headers;  // more than the usual ones
};

// A one-line plain-text answer: errors, and the actions' "changed".
Reply text_reply(unsigned status, std::string line);
// A body of `content_type`, status 200.
Reply body_reply(std::string content_type, std::shared_ptr<const std::string> body);

using Handler = std::function<Reply(const Request&)>;

struct HttpLimits {
  unsigned connections = 64;                 // at once, in all
  unsigned per_address = 16;                 // at once, from one client address
  size_t memory_per_connection = 32 * 1024;  // request line and headers, and MHD's own
  size_t max_body = 4096;                    // a command line is at most 4096 bytes
  uint32_t exchange_ms = 10000;              // see above
};

struct HttpCounters {
  uint64_t requests = 0;  // answered by the handler
  uint64_t cut = 0;       // connections cut in the middle of an exchange at its deadline
  uint64_t idle_closed = 0;  // kept-alive connections closed after a deadline without a request
};

class HttpServer {
 public:
  // Listens on `listen` (port 0: any, see port()); the error names the address and why.
  static Result<std::unique_ptr<HttpServer>> open(EventLoop& loop, const Endpoint& listen,
                                                  const HttpLimits& limits, Handler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  uint16_t port() const { return port_; }
  const HttpCounters& counters() const { return counters_; }
  size_t connections() const { return deadlines_.size(); }

 private:
  struct Exchange;  // one request: its body so far
  HttpServer(EventLoop& loop, const HttpLimits& limits, Handler handler);
  Result<void> start(int listen_fd);
  void run();  // MHD's work, then its next timeout
  void sweep();
  int answer(MHD_Connection* c, const char* url, const char* method, const char* upload,
             size_t* upload_size, void** request_state);
  void queue(MHD_Connection* c, Reply reply);
  Reply too_large() const;

  EventLoop& loop_;
  HttpLimits limits_;
  Handler handler_;
  MHD_Daemon* daemon_ = nullptr;
  uint16_t port_ = 0;
  FdWatch watch_;
  Timer mhd_timer_;
  Timer sweep_timer_;
  struct Deadline {
    int fd = -1;
    uint64_t at_ms = 0;
    bool idle = false;  // between a kept-alive connection's answer and its next request
  };
  std::unordered_map<MHD_Connection*, Deadline> deadlines_;
  HttpCounters counters_;
};

}  // namespace sluice::control::http
