// The control plane's event loop: everything the main lcore does is a handler on it (control
// socket clients, signals, the exception path, neighbour resolution, snapshot reclamation,
// worker replies; health checks, VRRP and sync next). libuv underneath (docs/architecture.md
// says why): timers in one min-heap, file descriptors in one epoll set.
// Rule: a handler runs to completion quickly and never blocks or sleeps; work that can wait
// is a timer, work that waits for a descriptor is a watch.
// Thread safety: the thread that runs the loop only.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <utility>

namespace sluice::control {

class EventLoop;

// A libuv handle with its callback, owned by one object: destroying the object stops and
// closes the handle (libuv frees it on the loop's next turn, never under a running callback).
template <class UvHandle>
class Handle {
 public:
  Handle() = default;
  Handle(Handle&& other) noexcept : box_(std::exchange(other.box_, nullptr)) {}
  Handle& operator=(Handle&& other) noexcept {
    if (this != &other) {
      close();
      box_ = std::exchange(other.box_, nullptr);
    }
    return *this;
  }
  ~Handle() { close(); }

 protected:
  struct Box {
    UvHandle uv;
    std::function<void()> callback;
  };
  explicit Handle(std::function<void()> callback) : box_(new Box{{}, std::move(callback)}) {
    box_->uv.data = box_;
  }
  UvHandle* uv() const { return &box_->uv; }
  static void call(UvHandle* h) { static_cast<Box*>(h->data)->callback(); }

 private:
  void close() {
    if (box_ == nullptr) return;
    uv_close(reinterpret_cast<uv_handle_t*>(&box_->uv),
             [](uv_handle_t* h) { delete static_cast<Box*>(h->data); });
    box_ = nullptr;
  }
  Box* box_ = nullptr;
};

// Runs its callback after `first_ms`, then every `repeat_ms` (0: once) until stopped.
class Timer : public Handle<uv_timer_t> {
 public:
  Timer() = default;
  void start(uint64_t first_ms, uint64_t repeat_ms);
  void stop();

 private:
  friend class EventLoop;
  Timer(uv_loop_t* loop, std::function<void()> callback);
};

// Runs its callback once per loop turn while started, and keeps the loop from waiting: for
// work that is polled rather than signalled (rings from the workers) while there is some.
class Spinner : public Handle<uv_idle_t> {
 public:
  Spinner() = default;
  void start();
  void stop();

 private:
  friend class EventLoop;
  Spinner(uv_loop_t* loop, std::function<void()> callback);
};

// Runs its callback whenever `fd` is readable (or writable, if asked).
class FdWatch : public Handle<uv_poll_t> {
 public:
  FdWatch() = default;

 private:
  friend class EventLoop;
  FdWatch(uv_loop_t* loop, int fd, int events, std::function<void()> callback);
};

// A uv_poll_t on a socket that is closed only after the Poll: unlike FdWatch, its events may
// change (connect, then read), and its callback hears libuv's status (an error the kernel
// reports stops the watch; start() again to go on) and the events seen.
class Poll {
 public:
  using Callback = std::function<void(int status, int events)>;
  Poll() = default;
  Poll(Poll&& other) noexcept : box_(std::exchange(other.box_, nullptr)) {}
  Poll& operator=(Poll&& other) noexcept;
  ~Poll() { close(); }

  // Takes `fd` under watch, not yet for any event: 0 or a libuv error.
  int open(uv_loop_t* loop, int fd, Callback callback);
  // Watches for `events` (UV_READABLE, UV_WRITABLE) from now on: 0 or a libuv error.
  int start(int events);
  bool is_open() const { return box_ != nullptr; }

 private:
  struct Box {
    uv_poll_t uv;
    Callback callback;
  };
  void close();
  Box* box_ = nullptr;
};

class EventLoop {
 public:
  EventLoop();
  ~EventLoop();  // closes the loop after every handle has been closed
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  Timer timer(std::function<void()> callback);
  Spinner spinner(std::function<void()> callback);
  // `events`: UV_READABLE and/or UV_WRITABLE.
  FdWatch watch(int fd, int events, std::function<void()> callback);

  // Runs handlers until stop() is called from one of them.
  void run();
  void stop();
  // One turn without waiting (tests and benchmarks).
  void run_once_nowait();
  uint64_t now_ms() const;  // the loop's cached monotonic clock, milliseconds
  void update_time();       // refreshes that clock after long work within a handler
  uv_loop_t* uv() { return &loop_; }

 private:
  uv_loop_t loop_;
};

}  // namespace sluice::control
