// Where sluiced's log lines go: stderr, one write(2) per line, so lines of several threads
// never interleave. Under systemd stderr is a stream socket to journald (JOURNAL_STREAM names
// it, sd-daemon(3)); then each line starts with its syslog priority, `<4>level=warning ...`,
// which journald strips and keeps as PRIORITY (`journalctl -p warning`), and is sent without
// waiting: a line journald cannot take at once is dropped and counted, and the count is
// reported as `event=log_lost` with the next line that goes through. The control thread never
// waits on a slow journal. On a terminal or a file, lines go as they are.
// Thread safety: any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <string_view>

#include "common/names.h"

namespace sluice::control {

// Whether fd is the stream JOURNAL_STREAM ("DEVICE:INODE", in decimal) names; false when it is
// unset or malformed.
bool is_journal_stream(const char* journal_stream, int fd);

class StderrSink {
 public:
  // fd: stderr, but for tests.
  StderrSink(int fd, bool journal) : fd_(fd), journal_(journal) {}
  void operator()(LogLevel level, std::string_view line);
  uint64_t lost() const { return lost_.load(std::memory_order_relaxed); }

 private:
  bool send_line(LogLevel level, std::string_view line);

  int fd_;
  bool journal_;
  std::atomic<uint64_t> lost_{0};
};

}  // namespace sluice::control
