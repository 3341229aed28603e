#include "control/log_stderr.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>

#include "control/log.h"

namespace sluice::control {

bool is_journal_stream(const char* journal_stream, int fd) {
  if (journal_stream == nullptr) return false;
  const char* end = journal_stream + std::strlen(journal_stream);
  uint64_t device = 0;
  uint64_t inode = 0;
  auto [colon, ec] = std::from_chars(journal_stream, end, device);
  if (ec != std::errc() || colon == end || *colon != ':') return false;
  auto [last, ec2] = std::from_chars(colon + 1, end, inode);
  if (ec2 != std::errc() || last != end) return false;
  struct stat st {};
  return fstat(fd, &st) == 0 && st.st_dev == device && st.st_ino == inode;
}

void StderrSink::operator()(LogLevel level, std::string_view line) {
  if (!journal_) {
    const std::string out = std::string(line) + "\n";
    // Nowhere to report a failed write to (a cast to void does not quiet warn_unused_result).
    [[maybe_unused]] const ssize_t written = write(fd_, out.data(), out.size());
    return;
  }
  if (const uint64_t lost = lost_.load(std::memory_order_relaxed); lost != 0) {
    const LogField fields[] = {{"count", lost}};
    if (!send_line(LogLevel::warning, "level=warning " + format_fields("log_lost", fields))) {
      lost_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    lost_.fetch_sub(lost, std::memory_order_relaxed);
  }
  if (!send_line(level, line)) lost_.fetch_add(1, std::memory_order_relaxed);
}

// A unix stream socket queues a write of less than half its send buffer (100 KiB by
// default; our lines are a few hundred bytes) whole or not at all, so a line is never cut.
bool StderrSink::send_line(LogLevel level, std::string_view line) {
  std::string out = "<" + std::to_string(static_cast<int>(level)) + ">";
  out += line;
  out += '\n';
  return send(fd_, out.data(), out.size(), MSG_DONTWAIT | MSG_NOSIGNAL) > 0;
}

Logger& logger() {
  static StderrSink sink(STDERR_FILENO, is_journal_stream(std::getenv("JOURNAL_STREAM"), STDERR_FILENO));
  static Logger the_logger([](LogLevel level, std::string_view line) { sink(level, line); },
                           [] {
                             return static_cast<uint64_t>(
                                 std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::steady_clock::now().time_since_epoch())
                                     .count());
                           });
  return the_logger;
}

}  // namespace sluice::control
