// The control-socket commands: parses a line, checks the client's access, calls the control
// API and renders its answer as one JSON document, {"ok":true,"result":...} or
// {"ok":false,"error":"one line"}. The shapes of "result" are the contract sluicectl and
// scripts rely on (docs/operations.md).
// Thread safety: the event loop's thread only.
#pragma once

#include <string_view>

#include "common/names.h"
#include "control/api.h"
#include "control/control_socket.h"

namespace sluice::control {

// Answers through `reply`, at once or (show conns) when the workers have answered.
void execute(ControlApi& api, uint64_t now_ms, std::string_view line, ControlAccess access,
             const Reply& reply);

}  // namespace sluice::control
