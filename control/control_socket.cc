#include "control/control_socket.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
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

void send_all(int fd, const std::string& text) {
  size_t sent = 0;
  while (sent < text.size()) {
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
  unlink(path.c_str());
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
  const timeval timeout{0, 500000};
  setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  std::string line;
  char buf[1024];
  bool complete = false;
  while (!complete && line.size() <= kMaxCommandLength) {
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
  send_all(client, handler(line));
  close(client);
}

}  // namespace sluice::control
