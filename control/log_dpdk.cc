#include "control/log_dpdk.h"

#include <rte_lcore.h>
#include <rte_log.h>
#include <unistd.h>

#include <cstdio>
#include <string_view>

#include "control/log.h"

namespace sluice::control {
namespace {

// DPDK writes a message and flushes the stream at once (rte_vlog), so one call is one message,
// sometimes of several lines: each becomes a line of its own.
// A driver may log from a worker lcore (an RX or TX error): there the line goes to stderr as
// DPDK wrote it, one write(2) and nothing allocated; the control thread formats it as ours.
ssize_t write_dpdk(void*, const char* buf, size_t size) {
  if (rte_lcore_id() != rte_get_main_lcore()) {
    return ::write(STDERR_FILENO, buf, size) < 0 ? -1 : static_cast<ssize_t>(size);
  }
  const LogLevel level = from_dpdk_log_level(static_cast<int>(rte_log_cur_msg_loglevel()));
  std::string_view text(buf, size);
  while (!text.empty()) {
    const size_t end = std::min(text.find('\n'), text.size());
    if (end != 0) {
      const LogField fields[] = {{"message", text.substr(0, end)}};
      logger().pass(level, format_fields("dpdk", fields));
    }
    text.remove_prefix(std::min(end + 1, text.size()));
  }
  return static_cast<ssize_t>(size);
}

}  // namespace

void route_dpdk_log() {
  cookie_io_functions_t io{};
  io.write = write_dpdk;
  // Lives as long as the process: DPDK logs until its very end (rte_eal_cleanup).
  if (FILE* stream = fopencookie(nullptr, "w", io)) rte_openlog_stream(stream);
}

void set_log_level(LogLevel level) {
  logger().set_level(level);
  rte_log_set_global_level(static_cast<uint32_t>(dpdk_log_level(level)));
}

}  // namespace sluice::control
