// GET /metrics: what the control API shows, in the Prometheus text format, under
// conventional names (docs/operations.md lists them): `sluice_` prefix, counters ending in
// `_total`, labels service, vip, port, protocol, server (and role: real or fallback) for a
// real server's series.
// Thread safety: pure functions over the views.
#pragma once

#include <string>

#include "control/http/reading.h"
#include "control/http/server.h"

namespace sluice::control::http {

// `http`: this endpoint's own counters.
std::string render_metrics(const ApiReading& in, const HttpCounters& http);

}  // namespace sluice::control::http
