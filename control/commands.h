// Executes a control-socket command line against the appliance and renders the answer as one
// JSON document: {"ok":true,"result":...} or {"ok":false,"error":"one line"}.
// The shapes of "result" are the contract sluicectl and scripts rely on (docs/operations.md).
// Thread safety: control thread only.
#pragma once

#include <string>
#include <string_view>

#include "control/appliance.h"

namespace sluice::control {

std::string execute(Appliance& appliance, std::string_view line);

}  // namespace sluice::control
