// sluiced's log: one line per event, `level=LEVEL event=EVENT key=value ...`, keys stable and
// values quoted only when they must be, so that a line is read by eye and by a parser alike.
//   logger().warning("mtu_not_set", {{"interface", name}, {"mtu", mtu}, {"error", text}});
// Lines above the level set with --log-level are not written. Errors and warnings are limited
// per event name (each name is one call site, or a few saying the same thing): at most
// kLimitBurst lines in kLimitWindowMs, the rest counted and reported as one
// `event=log_suppressed` line before the next that passes, as the kernel's printk_ratelimit
// does; a flood of one warning cannot bury the others or stall the control thread.
// The data plane never logs (docs/architecture.md, Threads).
// Thread safety: log() and its shorthands on the control thread only; pass() and set_level()
// from any thread (DPDK's drivers may log from a worker lcore).
#pragma once

#include <atomic>
#include <concepts>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/names.h"

namespace sluice::control {

struct LogField {
  LogField(std::string_view k, std::string_view v) : key(k), value(v) {}
  LogField(std::string_view k, const std::string& v) : key(k), value(v) {}
  LogField(std::string_view k, const char* v) : key(k), value(v) {}
  template <std::integral T>
  LogField(std::string_view k, T v) : key(k), value(std::to_string(v)) {}
  std::string_view key;
  std::string value;
};

// The text as it stands after `key=`: bare when it is one plain word, else in double quotes
// with `"` and `\` escaped; control bytes as \xNN either way, so hostile text (an agent's
// reply, a file name) cannot start a line of its own or fake a key.
std::string log_value(std::string_view text);

// `event=EVENT key=value ...`; fields with an empty value are left out.
std::string format_fields(std::string_view event, std::span<const LogField> fields);

class Logger {
 public:
  static constexpr uint32_t kLimitBurst = 10;
  static constexpr uint64_t kLimitWindowMs = 60'000;

  // Takes one finished line (no newline) and its level.
  using Sink = std::function<void(LogLevel, std::string_view line)>;
  using Clock = std::function<uint64_t()>;  // monotonic milliseconds

  Logger(Sink sink, Clock clock) : sink_(std::move(sink)), clock_(std::move(clock)) {}

  void set_level(LogLevel level) { level_.store(level, std::memory_order_relaxed); }
  LogLevel level() const { return level_.load(std::memory_order_relaxed); }
  // Lower syslog priorities are the more severe: error (3) is within every level.
  bool enabled(LogLevel l) const { return l <= level(); }

  void log(LogLevel level, std::string_view event, std::initializer_list<LogField> fields = {});
  void error(std::string_view event, std::initializer_list<LogField> fields = {}) {
    log(LogLevel::error, event, fields);
  }
  void warning(std::string_view event, std::initializer_list<LogField> fields = {}) {
    log(LogLevel::warning, event, fields);
  }
  void notice(std::string_view event, std::initializer_list<LogField> fields = {}) {
    log(LogLevel::notice, event, fields);
  }
  void info(std::string_view event, std::initializer_list<LogField> fields = {}) {
    log(LogLevel::info, event, fields);
  }

  // A line whose `event=...` part was made elsewhere (an event's fields, DPDK's messages):
  // the level filter applies, the rate limit does not (it keeps no state, for any thread).
  void pass(LogLevel level, std::string_view fields_text);

 private:
  struct Budget {
    uint64_t window_start = 0;
    uint32_t lines = 0;
    uint64_t suppressed = 0;
  };
  bool within_budget(std::string_view event);

  Sink sink_;
  Clock clock_;
  std::atomic<LogLevel> level_{LogLevel::notice};
  std::unordered_map<std::string, Budget> budgets_;
};

// The process's log: stderr, with journald's priority prefixes under systemd (log_stderr.h).
Logger& logger();

}  // namespace sluice::control
