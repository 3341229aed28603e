// DPDK's own messages (EAL, drivers) through sluice's log, one `event=dpdk message="..."` line
// each with DPDK's level mapped to ours; and DPDK's level set with ours (--log-level, or the
// file's log.level), so that what would not be written costs no formatting. Without this the EAL writes to stdout and to
// syslog(3) both: under systemd every line twice in the journal, the second by a call that
// may block on /dev/log.
// Thread safety: route_dpdk_log once, before rte_eal_init, on the main thread; the stream
// itself serves any thread, set_log_level any thread.
#pragma once

#include "common/names.h"

namespace sluice::control {

// DPDK's number for our level (RTE_LOG_ERR = 4 ... RTE_LOG_DEBUG = 8).
constexpr int dpdk_log_level(LogLevel level) { return static_cast<int>(level) + 1; }

// Ours for DPDK's: EMERG, ALERT and CRIT are errors too.
constexpr LogLevel from_dpdk_log_level(int level) {
  return level <= 4 ? LogLevel::error : level >= 8 ? LogLevel::debug : static_cast<LogLevel>(level - 1);
}

void route_dpdk_log();

// Our level and DPDK's global one together.
void set_log_level(LogLevel level);

}  // namespace sluice::control
