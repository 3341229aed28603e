// An IPv6 address as headers carry it. Its own header so that the tables of both families
// (conn_table.h, vip_table.h) and the snapshot share it without including one another.
#pragma once

#include <cstdint>

namespace sluice {

struct Ip6 {
  uint8_t bytes[16] = {};
  bool operator==(const Ip6&) const = default;
};

}  // namespace sluice
