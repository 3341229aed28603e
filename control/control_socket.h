// The Unix stream socket sluicectl talks to, served on the event loop. One request per
// connection: a command line ending in '\n', answered by one JSON line, then closed.
//
// Nothing a client does can stall the loop: every read and write is non-blocking and
// buffered per client; a line is at most kMaxCommandLength bytes; a client that sends no
// complete line within `line_timeout_ms`, or does not take its answer within
// `reply_timeout_ms`, is dropped; beyond `max_clients` the oldest client still sending its
// line makes room for the new one (a flood of silent connections cannot lock operators out).
//
// Who may do what: the file is created mode 0600 (0660 and given to `control.group` when one
// is set) before anyone can connect to it, and each client's credentials (SO_PEERCRED) say
// its access: root and sluiced's own user full, members of the group `group_access`, anyone
// else none.
// Thread safety: the event loop's thread only.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/names.h"
#include "common/result.h"
#include "control/event_loop.h"

namespace sluice::control {

struct ControlSocketOptions {
  std::string path;
  std::string group;  // empty: root only
  ControlAccess group_access = ControlAccess::read;
  size_t max_clients = 256;
  uint64_t line_timeout_ms = 5000;
  uint64_t reply_timeout_ms = 10000;
  uint64_t linger_timeout_ms = 1000;  // after the reply, for the client to close first
};

// The answer to one request: call it once, now or later. A client that left by then is not
// answered; the call is harmless.
using Reply = std::function<void(std::string text)>;
// `line` is without its '\n'; a line over the limit arrives whole-but-cut so the command
// parser can refuse it with its usual message.
using RequestHandler = std::function<void(std::string_view line, ControlAccess access, Reply)>;

class ControlSocket {
 public:
  // Creates the parent directory if needed and replaces a stale socket file; refuses when
  // another sluiced answers on it.
  static Result<std::unique_ptr<ControlSocket>> open(EventLoop& loop, ControlSocketOptions options,
                                                     RequestHandler handler);
  ~ControlSocket();
  ControlSocket(const ControlSocket&) = delete;
  ControlSocket& operator=(const ControlSocket&) = delete;

  size_t clients() const { return clients_.size(); }
  uint64_t evicted() const { return evicted_; }  // clients dropped to make room

 private:
  struct Client;
  ControlSocket(EventLoop& loop, ControlSocketOptions options, RequestHandler handler, int fd,
                gid_t group);
  void accept_one();
  void make_room();
  void on_data(Client& c, std::string_view bytes);
  void answer(uint64_t id, std::string text);
  void linger(Client& c);
  static void lend_read_buffer(uv_handle_t* handle, size_t size, uv_buf_t* buf);
  void drop(uint64_t id);
  ControlAccess access_of(int fd) const;

  EventLoop& loop_;
  ControlSocketOptions options_;
  RequestHandler handler_;
  int fd_;
  gid_t group_;  // (gid_t)-1 when none
  uv_pipe_t* listener_;
  uint64_t next_id_ = 1;
  uint64_t evicted_ = 0;
  std::unordered_map<uint64_t, std::unique_ptr<Client>> clients_;
  // Replies may outlive the socket (a dump still collecting); they check this first.
  std::shared_ptr<ControlSocket*> self_;
};

}  // namespace sluice::control
