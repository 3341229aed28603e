// What a reload changes, in words for the log: sluiced logs one line per reload, so that a
// new generation never appears without a reason.
// Thread safety: pure functions.
#pragma once

#include <string>

#include "config/model.h"

namespace sluice::config {

// "web 198.18.1.21:8080", "web 198.18.1.21:*" (no port: the client's), "web
// 198.18.1.99:8080 (fallback)": a real server as the log names it.
std::string server_name(const VirtualService& vs, const RealServer& rs, bool fallback = false);

// "services: added web2; changed web-nat. real servers: removed web-nat 198.18.1.23:8080.
// also changed: routes", or "nothing changed". Each list names at most a few items and
// counts the rest.
std::string describe_changes(const Config& before, const Config& after);

}  // namespace sluice::config
