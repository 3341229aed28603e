#include "control/control_socket.h"

#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "control/command_parse.h"

namespace sluice::control {

struct ControlSocket::Client {
  ControlSocket* owner = nullptr;
  uint64_t id = 0;
  uv_pipe_t pipe{};
  Timer deadline;  // for the line, then for the reply to be taken
  ControlAccess access = ControlAccess::none;
  std::string line;
  bool line_complete = false;
  std::string reply;  // kept until written: libuv writes from it
  uv_write_t write{};
  uv_shutdown_t shutdown{};
  char read_buffer[4096];
};

namespace {

bool fill_address(const std::string& path, sockaddr_un& addr) {
  addr = {};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return false;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return true;
}

bool someone_listens(const sockaddr_un& addr) {
  const int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (probe < 0) return false;
  const bool alive = connect(probe, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
  close(probe);
  return alive;
}

Error failure(const std::string& what) {
  return Error{"control.socket: " + what + ": " + std::strerror(errno)};
}

// Binds and listens with the final mode from the first instant: the umask is set around
// bind(), so there is no moment in which the file is open to others (a chmod after bind
// leaves one). With a group, the file is handed to it after; until then only root can use it.
Result<int> listen_on(const std::string& path, const sockaddr_un& addr, gid_t group) {
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return failure("socket");
  const mode_t old = umask(group == static_cast<gid_t>(-1) ? 0177 : 0117);
  const int bound = bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  umask(old);
  if (bound != 0 || listen(fd, 128) != 0 ||
      (group != static_cast<gid_t>(-1) && chown(path.c_str(), static_cast<uid_t>(-1), group) != 0)) {
    Error e = failure("cannot listen on " + path);
    close(fd);
    return e;
  }
  return fd;
}

// Whether a process has `group` among its supplementary groups, from /proc/PID/status (a
// local read: no name service lookup that could block the loop).
bool in_group(pid_t pid, gid_t group) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (!line.starts_with("Groups:")) continue;
    std::istringstream groups(line.substr(7));
    gid_t g = 0;
    while (groups >> g) {
      if (g == group) return true;
    }
  }
  return false;
}

}  // namespace

Result<std::unique_ptr<ControlSocket>> ControlSocket::open(EventLoop& loop,
                                                           ControlSocketOptions options,
                                                           RequestHandler handler) {
  const std::string& path = options.path;
  sockaddr_un addr{};
  if (!fill_address(path, addr)) {
    return Error{"control.socket: path too long for a Unix socket: " + path};
  }
  gid_t group = static_cast<gid_t>(-1);
  if (!options.group.empty()) {
    const struct group* g = getgrnam(options.group.c_str());
    if (g == nullptr) return Error{"control.group: no group named " + options.group};
    group = g->gr_gid;
  }
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  if (someone_listens(addr)) {
    return Error{"control.socket: another sluiced already answers on " + path};
  }
  struct stat existing {};
  if (lstat(path.c_str(), &existing) == 0) {
    if (!S_ISSOCK(existing.st_mode)) {
      return Error{"control.socket: " + path + " exists and is not a socket; not replacing it"};
    }
    unlink(path.c_str());  // a stale socket of a sluiced that is gone
  }
  Result<int> fd = listen_on(path, addr, group);
  if (!fd) return Error{fd.error()};
  return std::unique_ptr<ControlSocket>(
      new ControlSocket(loop, std::move(options), std::move(handler), fd.value(), group));
}

ControlSocket::ControlSocket(EventLoop& loop, ControlSocketOptions options,
                             RequestHandler handler, int fd, gid_t group)
    : loop_(loop),
      options_(std::move(options)),
      handler_(std::move(handler)),
      fd_(fd),
      group_(group),
      listener_(new uv_pipe_t{}),
      self_(std::make_shared<ControlSocket*>(this)) {
  uv_pipe_init(loop_.uv(), listener_, 0);
  listener_->data = this;
  uv_pipe_open(listener_, fd_);
  uv_listen(reinterpret_cast<uv_stream_t*>(listener_), 128, [](uv_stream_t* server, int status) {
    if (status == 0) static_cast<ControlSocket*>(server->data)->accept_one();
  });
}

ControlSocket::~ControlSocket() {
  *self_ = nullptr;
  while (!clients_.empty()) drop(clients_.begin()->first);
  uv_close(reinterpret_cast<uv_handle_t*>(listener_),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_pipe_t*>(h); });
  unlink(options_.path.c_str());
}

// Root and our own user may do everything; the group what the config grants; others nothing
// (the file's mode keeps them out already; this holds if someone loosens it).
ControlAccess ControlSocket::access_of(int fd) const {
  ucred peer{};
  socklen_t size = sizeof peer;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &size) != 0) return ControlAccess::none;
  if (peer.uid == 0 || peer.uid == geteuid()) return ControlAccess::full;
  if (group_ == static_cast<gid_t>(-1)) return ControlAccess::none;
  if (peer.gid == group_ || in_group(peer.pid, group_)) return options_.group_access;
  return ControlAccess::none;
}

// The oldest client still sending its line goes; answered clients finish their replies.
void ControlSocket::make_room() {
  uint64_t oldest = 0;
  for (const auto& [id, c] : clients_) {
    if (!c->line_complete && (oldest == 0 || id < oldest)) oldest = id;
  }
  if (oldest == 0) return;
  ++evicted_;
  drop(oldest);
}

void ControlSocket::accept_one() {
  if (clients_.size() >= options_.max_clients) make_room();
  auto owned = std::make_unique<Client>();
  Client& c = *owned;
  c.owner = this;
  c.id = next_id_++;
  clients_.emplace(c.id, std::move(owned));
  uv_pipe_init(loop_.uv(), &c.pipe, 0);
  c.pipe.data = &c;
  auto* stream = reinterpret_cast<uv_stream_t*>(&c.pipe);
  if (uv_accept(reinterpret_cast<uv_stream_t*>(listener_), stream) != 0) return drop(c.id);
  uv_os_fd_t fd = -1;
  uv_fileno(reinterpret_cast<uv_handle_t*>(&c.pipe), &fd);
  c.access = access_of(fd);
  c.deadline = loop_.timer([this, id = c.id] { drop(id); });
  c.deadline.start(options_.line_timeout_ms, 0);
  uv_read_start(
      stream, &ControlSocket::lend_read_buffer,
      [](uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
        auto* client = static_cast<Client*>(s->data);
        if (n < 0) return client->owner->drop(client->id);  // EOF before a line, or an error
        client->owner->on_data(*client, std::string_view(buf->base, static_cast<size_t>(n)));
      });
}

void ControlSocket::lend_read_buffer(uv_handle_t* handle, size_t, uv_buf_t* buf) {
  auto* client = static_cast<Client*>(handle->data);
  *buf = uv_buf_init(client->read_buffer, sizeof client->read_buffer);
}

void ControlSocket::on_data(Client& c, std::string_view bytes) {
  if (c.line_complete) return;  // one request per connection: the rest is ignored
  const size_t newline = bytes.find('\n');
  c.line.append(bytes.substr(0, newline));
  // An over-long line is answered at once (cut one byte past the limit, so the parser says
  // why), however much more the client would send.
  if (newline == std::string_view::npos && c.line.size() <= kMaxCommandLength) return;
  if (c.line.size() > kMaxCommandLength) c.line.resize(kMaxCommandLength + 1);
  c.line_complete = true;
  uv_read_stop(reinterpret_cast<uv_stream_t*>(&c.pipe));
  c.deadline.start(options_.reply_timeout_ms, 0);  // now for the answer to be taken
  std::weak_ptr<ControlSocket*> socket = self_;
  const uint64_t id = c.id;
  handler_(c.line, c.access, [socket, id](std::string text) {
    if (auto self = socket.lock(); self && *self) (*self)->answer(id, std::move(text));
  });
}

void ControlSocket::answer(uint64_t id, std::string text) {
  const auto it = clients_.find(id);
  if (it == clients_.end()) return;  // it left, or timed out
  Client& c = *it->second;
  c.reply = std::move(text);
  uv_buf_t buf = uv_buf_init(c.reply.data(), static_cast<unsigned>(c.reply.size()));
  const int rc = uv_write(&c.write, reinterpret_cast<uv_stream_t*>(&c.pipe), &buf, 1,
                          [](uv_write_t* w, int status) {
                            auto* client = static_cast<Client*>(w->handle->data);
                            if (status != 0) return client->owner->drop(client->id);
                            client->owner->linger(*client);
                          });
  if (rc != 0) drop(id);
}

// Closing a Unix socket that still holds unread bytes (the rest of an over-long line, or
// anything sent after the newline) makes the client's next read fail with ECONNRESET
// instead of ending cleanly after the reply. So: end our side, swallow what the client
// still sends until it closes, and close at `linger_timeout_ms` at the latest.
void ControlSocket::linger(Client& c) {
  c.deadline.start(options_.linger_timeout_ms, 0);
  auto* stream = reinterpret_cast<uv_stream_t*>(&c.pipe);
  const int rc = uv_shutdown(&c.shutdown, stream, [](uv_shutdown_t* s, int status) {
    auto* client = static_cast<Client*>(s->handle->data);
    if (status != 0) return client->owner->drop(client->id);
    uv_read_start(s->handle, &ControlSocket::lend_read_buffer,
                  [](uv_stream_t* st, ssize_t n, const uv_buf_t*) {
                    auto* cl = static_cast<Client*>(st->data);
                    if (n < 0) cl->owner->drop(cl->id);  // the client closed: now we may
                  });
  });
  if (rc != 0) drop(c.id);
}

// Closes a client's connection; its memory goes when libuv has let go of the pipe.
void ControlSocket::drop(uint64_t id) {
  const auto it = clients_.find(id);
  if (it == clients_.end()) return;
  Client* c = it->second.release();
  clients_.erase(it);
  c->deadline = Timer();
  uv_close(reinterpret_cast<uv_handle_t*>(&c->pipe),
           [](uv_handle_t* h) { delete static_cast<Client*>(h->data); });
}

}  // namespace sluice::control
