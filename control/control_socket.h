// The Unix stream socket sluicectl talks to. One request per connection: a command line
// ending in '\n' (at most kMaxCommandLength bytes), answered by one JSON line, then closed.
// Thread safety: control thread only.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace sluice::control {

class ControlSocket {
 public:
  using Handler = std::function<std::string(std::string_view line)>;

  // Creates the parent directory if needed and replaces a stale socket file; refuses when
  // another sluiced answers on it.
  static std::unique_ptr<ControlSocket> open(const std::string& path, std::string& error);
  ~ControlSocket();
  ControlSocket(const ControlSocket&) = delete;
  ControlSocket& operator=(const ControlSocket&) = delete;

  int fd() const { return fd_; }
  // Accepts one waiting client, reads its line, answers it. A client gets 500 ms to send
  // its line: the control thread also runs the exception path and must not wait longer.
  void serve_one(const Handler& handler);

 private:
  ControlSocket(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_;
  std::string path_;
};

}  // namespace sluice::control
