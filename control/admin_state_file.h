// The operator's run-time changes (sluicectl set server ... state/weight) kept across reloads
// and restarts of sluiced, in a file next to the control socket (sluiced.sock ->
// sluiced.state), never by rewriting the operator's configuration. JSON:
//   {"servers": [{"service": "web", "address": "198.18.0.21", "port": 0, "state": "drain",
//                 "weight": 5}, ...]}
// (port 0: the server has none; state and weight each only when overridden).
// Written to a temporary file and renamed over the old one, so a crash leaves the old or the
// new file, never half of one. It lives on /run (tmpfs) by default: a few hundred bytes per
// server, written without touching a disk, so the write does not stall the event loop.
// Thread safety: the event loop's thread only.
#pragma once

#include <string>

#include "common/result.h"
#include "control/compile/compile.h"

namespace sluice::control {

std::string admin_state_path(const std::string& control_socket);

// A missing file is no overrides. A malformed one is an error that says where; sluiced then
// starts without overrides (and says so) rather than not at all.
Result<Overrides> read_admin_state(const std::string& path);
Result<void> write_admin_state(const std::string& path, const Overrides& overrides);

}  // namespace sluice::control
