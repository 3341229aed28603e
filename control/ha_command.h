// The operator's HA commands (sluicectl ha failover [INSTANCE], ha maintenance on|off
// [INSTANCE]), as the command parser reads them and the control API takes them.
// Thread safety: plain values.
#pragma once

#include <string>

namespace sluice::control {

struct HaCommand {
  bool failover = false;     // else maintenance
  bool maintenance = false;  // on or off
  std::string instance;      // "" all
};

}  // namespace sluice::control
