// What the metrics and the status page show: the control API's views, read at one moment.
// Thread safety: the event loop's thread (read_api); the struct is a plain value.
#pragma once

#include <optional>
#include <vector>

#include "control/api.h"

namespace sluice::control::http {

struct ApiReading {
  std::vector<VipView> vips;
  std::vector<ServerView> servers;
  StatsView stats;
  std::vector<HaView> ha;
  std::optional<SyncView> sync;
};

inline ApiReading read_api(const ControlApi& api) {
  return {.vips = api.vips(), .servers = api.servers(), .stats = api.stats(), .ha = api.ha(),
          .sync = api.sync()};
}

}  // namespace sluice::control::http
