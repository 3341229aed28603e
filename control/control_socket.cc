#include "control/control_socket.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>

#include "control/command_parse.h"

namespace sluice::control {
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

// The control thread also runs the exception path: a client gets bounded time, in total.
constexpr auto kReadBudget = std::chrono::milliseconds(500);
constexpr auto kWriteBudget = std::chrono::milliseconds(2000);  // show conns can be megabytes

class Deadline {
 public:
  explicit Deadline(std::chrono::milliseconds budget)
      : end_(std::chrono::steady_clock::now() + budget) {}
  // Sets the socket's timeout to what is left; false once nothing is.
  bool arm(int fd, int option) const {
    const auto left = std::chrono::duration_cast<std::chrono::microseconds>(
        end_ - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    const timeval tv{static_cast<time_t>(left.count() / 1000000),
                     static_cast<suseconds_t>(left.count() % 1000000)};
    return setsockopt(fd, SOL_SOCKET, option, &tv, sizeof tv) == 0;
  }

 private:
  std::chrono::steady_clock::time_point end_;
};

void send_all(int fd, const std::string& text, const Deadline& deadline) {
  size_t sent = 0;
  while (sent < text.size() && deadline.arm(fd, SO_SNDTIMEO)) {
    const ssize_t n = send(fd, text.data() + sent, text.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;  // the client left or stalled past its send timeout
    sent += static_cast<size_t>(n);
  }
}

}  // namespace

std::unique_ptr<ControlSocket> ControlSocket::open(const std::string& path, std::string& error) {
  sockaddr_un addr{};
  if (!fill_address(path, addr)) {
    error = "control.socket: path too long for a Unix socket: " + path;
    return nullptr;
  }
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  if (someone_listens(addr)) {
    error = "control.socket: another sluiced already answers on " + path;
    return nullptr;
  }
  struct stat existing {};
  if (lstat(path.c_str(), &existing) == 0) {
    if (!S_ISSOCK(existing.st_mode)) {
      error = "control.socket: " + path + " exists and is not a socket; not replacing it";
      return nullptr;
    }
    unlink(path.c_str());  // a stale socket of a sluiced that is gone
  }
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0 || bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(fd, 16) != 0) {
    error = "control.socket: cannot listen on " + path + ": " + std::strerror(errno);
    if (fd >= 0) close(fd);
    return nullptr;
  }
  chmod(path.c_str(), 0660);  // root and the sluice group only: commands change forwarding
  return std::unique_ptr<ControlSocket>(new ControlSocket(fd, path));
}

ControlSocket::~ControlSocket() {
  close(fd_);
  unlink(path_.c_str());
}

void ControlSocket::serve_one(const Handler& handler) {
  const int client = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
  if (client < 0) return;
  // One deadline for the whole request, however the client dribbles its bytes.
  const Deadline deadline(kReadBudget);
  std::string line;
  char buf[1024];
  bool complete = false;
  while (!complete && line.size() <= kMaxCommandLength && deadline.arm(client, SO_RCVTIMEO)) {
    const ssize_t n = recv(client, buf, sizeof buf, 0);
    if (n <= 0) break;
    line.append(buf, static_cast<size_t>(n));
    complete = line.find('\n') != std::string::npos;
  }
  if (complete) {
    line.resize(line.find('\n'));
  } else if (line.size() <= kMaxCommandLength) {
    line.clear();  // nothing usable arrived in time
  }
  // An over-long line is handed on as is, so the parser refuses it with its usual message.
  send_all(client, handler(line), Deadline(kWriteBudget));
  close(client);
}

}  // namespace sluice::control
