// The status page's System Overview as an HTML fragment: each virtual service with its state,
// each real server with its colour, health, admin state, weights, agent and connections, the
// HA instances and the appliance's totals. Rendered here, escaped here (control/http/escape.h),
// and sent whole at each refresh: the page's script only swaps it in, so no name from the
// configuration ever passes through script code.
// Thread safety: pure functions over the views.
#pragma once

#include <map>
#include <string>

#include "control/http/reading.h"

namespace sluice::control::http {

struct OverviewInput {
  ApiReading api;
  // With actions: each service's name -> how `set server` names it ("198.18.0.11:80/tcp").
  // Without (empty): no buttons.
  std::map<std::string, std::string> action_refs;
  int64_t now = 0;  // seconds since the epoch
};

std::string render_overview(const OverviewInput& in);

}  // namespace sluice::control::http
