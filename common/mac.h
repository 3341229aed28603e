// An Ethernet address, as the data plane writes it into frames and the control plane learns
// it from ARP and neighbour discovery.
#pragma once

#include <cstdint>

namespace sluice {

struct Mac {
  uint8_t bytes[6] = {};
  bool operator==(const Mac&) const = default;
};

}  // namespace sluice
