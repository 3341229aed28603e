// Text forms of IPv4 addresses, prefixes and address:port pairs.
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "config/model.h"

namespace sluice::config {

// Dotted quad, exactly four decimal octets 0..255, no leading '+', no spaces. Host byte order.
std::optional<Ipv4> parse_ipv4(std::string_view text);
// "a.b.c.d/len", len 0..32; a bare address means /32.
std::optional<Prefix> parse_prefix(std::string_view text);
std::string format_ipv4(Ipv4 ip);
std::string format_prefix(const Prefix& p);

struct Endpoint {
  Ipv4 address = 0;
  uint16_t port = 0;
};
// "a.b.c.d:port", port 1..65535.
std::optional<Endpoint> parse_endpoint(std::string_view text);

}  // namespace sluice::config
