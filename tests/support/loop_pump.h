// Running the event loop in a test until something has happened, turn by turn: the bound is a
// guard against a test that would hang, not a timing goal.
// Thread safety: the thread that runs the loop.
#pragma once

#include <chrono>
#include <functional>
#include <thread>

#include "control/event_loop.h"

namespace sluice::control {

// Runs `loop` until `done` or `bound`, sleeping 200 µs between turns.
inline void pump_until(EventLoop& loop, const std::function<bool()>& done,
                       std::chrono::milliseconds bound = std::chrono::seconds(10)) {
  const auto end = std::chrono::steady_clock::now() + bound;
  while (!done() && std::chrono::steady_clock::now() < end) {
    loop.run_once_nowait();
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}

// Runs `loop` for `span`.
inline void pump_for(EventLoop& loop, std::chrono::milliseconds span) {
  const auto end = std::chrono::steady_clock::now() + span;
  pump_until(
      loop, [&] { return std::chrono::steady_clock::now() >= end; }, span * 2);
}

}  // namespace sluice::control
