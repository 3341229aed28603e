#include "control/http/server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace sluice::control::http {

struct HttpServer::Exchange {
  std::string body;
  bool too_large = false;
};

namespace {

// ADDRESS:PORT of the connection's peer, as sluicectl writes endpoints ("[v6]:port").
std::string client_of(MHD_Connection* c) {
  const MHD_ConnectionInfo* info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  if (info == nullptr || info->client_addr == nullptr) return "";
  const sockaddr* sa = info->client_addr;
  IpAddress address;
  uint16_t port = 0;
  if (sa->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    address = IpAddress::v4(ntohl(in->sin_addr.s_addr));
    port = ntohs(in->sin_port);
  } else if (sa->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    std::memcpy(address.bytes.data(), in6->sin6_addr.s6_addr, 16);
    port = ntohs(in6->sin6_port);
  } else {
    return "";
  }
  return format_endpoint(address, port);
}


// A listening socket of our own, so a bind failure is reported with its reason and address
// (MHD_start_daemon would only say that it failed).
Result<int> listen_on(const Endpoint& at) {
  sockaddr_storage ss{};
  socklen_t len = 0;
  if (at.address.is_v4()) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(at.port);
    sin->sin_addr.s_addr = htonl(at.address.to_v4());
    len = sizeof *sin;
  } else {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(at.port);
    std::memcpy(&sin6->sin6_addr, at.address.bytes.data(), 16);
    len = sizeof *sin6;
  }
  const std::string where = "http.listen " + format_endpoint(at.address, at.port) + ": ";
  const int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Error{where + "socket: " + std::strerror(errno)};
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (ss.ss_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 || listen(fd, 64) != 0) {
    const std::string why = std::strerror(errno);
    close(fd);
    return Error{where + why};
  }
  return fd;
}

uint16_t bound_port(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  return ntohs(ss.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&ss)->sin_port
                                       : reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
}

}  // namespace

Reply text_reply(unsigned status, std::string line) {
  Reply r;
  r.status = status;
  r.body = std::make_shared<const std::string>(std::move(line) + "\n");
  return r;
}

Reply body_reply(std::string content_type, std::shared_ptr<const std::string> body) {
  Reply r;
  r.content_type = std::move(content_type);
  r.body = std::move(body);
  return r;
}

HttpServer::HttpServer(EventLoop& loop, const HttpLimits& limits, Handler handler)
    : loop_(loop), limits_(limits), handler_(std::move(handler)) {}

HttpServer::~HttpServer() {
  // The loop lets go of MHD's epoll descriptor before MHD closes it (a number reused at once
  // must not be watched for us).
  watch_ = FdWatch{};
  mhd_timer_ = Timer{};
  sweep_timer_ = Timer{};
  if (daemon_ != nullptr) MHD_stop_daemon(daemon_);  // closes its connections and the socket
}

Result<std::unique_ptr<HttpServer>> HttpServer::open(EventLoop& loop, const Endpoint& listen,
                                                     const HttpLimits& limits, Handler handler) {
  Result<int> fd = listen_on(listen);
  if (!fd) return Error{fd.error()};
  std::unique_ptr<HttpServer> server(new HttpServer(loop, limits, std::move(handler)));
  server->port_ = bound_port(fd.value());
  if (Result<void> started = server->start(fd.value()); !started) {
    if (server->daemon_ == nullptr) close(fd.value());  // else MHD owns it, and closes it
    return Error{"http.listen " + format_endpoint(listen.address, listen.port) + ": " +
                 started.error()};
  }
  return server;
}

Result<void> HttpServer::start(int listen_fd) {
  const auto on_answer = [](void* cls, MHD_Connection* c, const char* url, const char* method,
                            const char*, const char* upload, size_t* upload_size,
                            void** state) -> MHD_Result {
    return static_cast<MHD_Result>(
        static_cast<HttpServer*>(cls)->answer(c, url, method, upload, upload_size, state));
  };
  const auto on_completed = [](void* cls, MHD_Connection* c, void** state,
                               MHD_RequestTerminationCode) {
    auto* self = static_cast<HttpServer*>(cls);
    delete static_cast<Exchange*>(*state);
    *state = nullptr;
    // The next exchange on this connection has its own time; until it starts the
    // connection is idle (a scraper keeping it alive), and closing it then is no cut.
    if (auto it = self->deadlines_.find(c); it != self->deadlines_.end()) {
      it->second.at_ms = self->loop_.now_ms() + self->limits_.exchange_ms;
      it->second.idle = true;
    }
  };
  const auto on_connection = [](void* cls, MHD_Connection* c, void**,
                                MHD_ConnectionNotificationCode code) {
    auto* self = static_cast<HttpServer*>(cls);
    if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
      self->deadlines_.erase(c);
      return;
    }
    const MHD_ConnectionInfo* info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    self->deadlines_[c] = {info != nullptr ? info->connect_fd : -1,
                           self->loop_.now_ms() + self->limits_.exchange_ms};
  };
  // No MHD thread, no locks of ours: MHD_run from the loop when its epoll set is ready.
  daemon_ = MHD_start_daemon(
      MHD_USE_EPOLL, 0, nullptr, nullptr, +on_answer, this,
      MHD_OPTION_LISTEN_SOCKET, listen_fd,
      MHD_OPTION_CONNECTION_LIMIT, limits_.connections,
      MHD_OPTION_PER_IP_CONNECTION_LIMIT, limits_.per_address,
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, limits_.memory_per_connection,
      MHD_OPTION_NOTIFY_COMPLETED, +on_completed, this,
      MHD_OPTION_NOTIFY_CONNECTION, +on_connection, this,
      MHD_OPTION_END);
  if (daemon_ == nullptr) return Error{"libmicrohttpd could not start"};
  const MHD_DaemonInfo* info = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_EPOLL_FD);
  if (info == nullptr) return Error{"libmicrohttpd has no epoll descriptor"};
  watch_ = loop_.watch(info->epoll_fd, UV_READABLE, [this] { run(); });
  mhd_timer_ = loop_.timer([this] { run(); });
  sweep_timer_ = loop_.timer([this] { sweep(); });
  const uint64_t every = std::clamp<uint64_t>(limits_.exchange_ms / 4, 10, 1000);
  sweep_timer_.start(every, every);
  return {};
}

void HttpServer::run() {
  MHD_run(daemon_);
  MHD_UNSIGNED_LONG_LONG ms = 0;
  if (MHD_get_timeout(daemon_, &ms) == MHD_YES) {
    mhd_timer_.start(ms, 0);
  } else {
    mhd_timer_.stop();
  }
}

void HttpServer::sweep() {
  const uint64_t now = loop_.now_ms();
  bool cut = false;
  for (auto& [connection, deadline] : deadlines_) {
    if (deadline.at_ms > now || deadline.fd < 0) continue;
    // MHD owns the descriptor: shutting it down makes MHD see the end and close it.
    shutdown(deadline.fd, SHUT_RDWR);
    deadline.at_ms = UINT64_MAX;
    ++(deadline.idle ? counters_.idle_closed : counters_.cut);
    cut = true;
  }
  if (cut) run();
}

Reply HttpServer::too_large() const {
  return text_reply(413, "request body larger than " + std::to_string(limits_.max_body) + " bytes");
}

void HttpServer::queue(MHD_Connection* c, Reply reply) {
  // MHD holds a reference of its own until the answer is sent.
  using Body = std::shared_ptr<const std::string>;
  auto* held = new Body(reply.body ? std::move(reply.body) : std::make_shared<const std::string>());
  // MHD 0.9.75 takes the buffer as void* but only reads it (later versions say const).
  MHD_Response* response = MHD_create_response_from_buffer_with_free_callback_cls(
      (*held)->size(), const_cast<char*>((*held)->data()),
      [](void* p) { delete static_cast<Body*>(p); }, held);
  MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, reply.content_type.c_str());
  MHD_add_response_header(response, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
  MHD_add_response_header(response, "X-Content-Type-Options", "nosniff");
  for (const auto& [name, value] : reply.headers) {
    MHD_add_response_header(response, name.c_str(), value.c_str());
  }
  MHD_queue_response(c, reply.status, response);
  MHD_destroy_response(response);
}

int HttpServer::answer(MHD_Connection* c, const char* url, const char* method,
                       const char* upload, size_t* upload_size, void** state) {
  if (*state == nullptr) {  // the headers are in; the body, if any, follows
    if (auto it = deadlines_.find(c); it != deadlines_.end()) it->second.idle = false;
    auto* exchange = new Exchange;
    *state = exchange;
    const char* length = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                     MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (length != nullptr && std::strtoull(length, nullptr, 10) > limits_.max_body) {
      // Answered before the body is read: MHD then closes the connection unread.
      queue(c, too_large());
    }
    return MHD_YES;
  }
  auto* exchange = static_cast<Exchange*>(*state);
  if (*upload_size != 0) {
    if (exchange->body.size() + *upload_size > limits_.max_body) {
      exchange->too_large = true;
    } else if (!exchange->too_large) {
      exchange->body.append(upload, *upload_size);
    }
    *upload_size = 0;
    return MHD_YES;
  }
  if (exchange->too_large) {  // a chunked body that grew too long: read, dropped, refused
    queue(c, too_large());
    return MHD_YES;
  }
  const char* authorization =
      MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
  ++counters_.requests;
  queue(c, handler_(Request{.method = method,
                            .path = url,
                            .authorization = authorization != nullptr ? authorization : "",
                            .body = exchange->body,
                            .client = client_of(c)}));
  return MHD_YES;
}

}  // namespace sluice::control::http
