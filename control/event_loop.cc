#include "control/event_loop.h"

#include <stdexcept>
#include <string>

namespace sluice::control {
namespace {

// libuv fails here only on programming errors or when the process is out of descriptors:
// both are bugs or start-time failures, reported by exception (docs/architecture.md, errors).
void check(int rc, const char* what) {
  if (rc != 0) throw std::runtime_error(std::string(what) + ": " + uv_strerror(rc));
}

}  // namespace

Timer::Timer(uv_loop_t* loop, std::function<void()> callback) : Handle(std::move(callback)) {
  check(uv_timer_init(loop, uv()), "uv_timer_init");
}

void Timer::start(uint64_t first_ms, uint64_t repeat_ms) {
  check(uv_timer_start(uv(), [](uv_timer_t* t) { call(t); }, first_ms, repeat_ms),
        "uv_timer_start");
}

void Timer::stop() { uv_timer_stop(uv()); }

Spinner::Spinner(uv_loop_t* loop, std::function<void()> callback) : Handle(std::move(callback)) {
  check(uv_idle_init(loop, uv()), "uv_idle_init");
}

void Spinner::start() { check(uv_idle_start(uv(), [](uv_idle_t* h) { call(h); }), "uv_idle_start"); }

void Spinner::stop() { uv_idle_stop(uv()); }

FdWatch::FdWatch(uv_loop_t* loop, int fd, int events, std::function<void()> callback)
    : Handle(std::move(callback)) {
  check(uv_poll_init(loop, uv(), fd), "uv_poll_init");
  check(uv_poll_start(uv(), events, [](uv_poll_t* h, int, int) { call(h); }), "uv_poll_start");
}

Poll& Poll::operator=(Poll&& other) noexcept {
  if (this != &other) {
    close();
    box_ = std::exchange(other.box_, nullptr);
  }
  return *this;
}

int Poll::open(uv_loop_t* loop, int fd, Callback callback) {
  close();
  auto* box = new Box{{}, std::move(callback)};
  // A failed init registers nothing with the loop: the box is ours to free.
  if (const int rc = uv_poll_init_socket(loop, &box->uv, fd); rc != 0) {
    delete box;
    return rc;
  }
  box->uv.data = box;
  box_ = box;
  return 0;
}

int Poll::start(int events) {
  return uv_poll_start(&box_->uv, events, [](uv_poll_t* h, int status, int seen) {
    static_cast<Box*>(h->data)->callback(status, seen);
  });
}

// libuv takes the descriptor out of its epoll set here, so the socket may be closed right
// after; the box (and the callback, which may be running now) goes on a later loop turn.
void Poll::close() {
  if (box_ == nullptr) return;
  uv_close(reinterpret_cast<uv_handle_t*>(&box_->uv),
           [](uv_handle_t* h) { delete static_cast<Box*>(h->data); });
  box_ = nullptr;
}

EventLoop::EventLoop() { check(uv_loop_init(&loop_), "uv_loop_init"); }

EventLoop::~EventLoop() {
  // Handles closed by their owners are freed in close callbacks, which run on a loop turn.
  while (uv_loop_close(&loop_) == UV_EBUSY) uv_run(&loop_, UV_RUN_NOWAIT);
}

Timer EventLoop::timer(std::function<void()> callback) { return Timer(&loop_, std::move(callback)); }

Spinner EventLoop::spinner(std::function<void()> callback) {
  return Spinner(&loop_, std::move(callback));
}

FdWatch EventLoop::watch(int fd, int events, std::function<void()> callback) {
  return FdWatch(&loop_, fd, events, std::move(callback));
}

void EventLoop::run() { uv_run(&loop_, UV_RUN_DEFAULT); }
void EventLoop::stop() { uv_stop(&loop_); }
void EventLoop::run_once_nowait() { uv_run(&loop_, UV_RUN_NOWAIT); }
uint64_t EventLoop::now_ms() const { return uv_now(&loop_); }

void EventLoop::update_time() { uv_update_time(&loop_); }

}  // namespace sluice::control
