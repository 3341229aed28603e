// Text forms of IP addresses (IPv4 and IPv6), prefixes and address:port pairs.
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/ip_address.h"
#include "common/mac.h"

namespace sluice {

// Dotted quad, exactly four decimal octets 0..255, no leading '+', no spaces. Host byte order.
std::optional<Ipv4> parse_ipv4(std::string_view text);
// A dotted quad as above, or an IPv6 address in RFC 4291 text form ("2001:2::10"; no zone,
// no prefix). An IPv4-mapped IPv6 text ("::ffff:1.2.3.4") is refused: write the IPv4 form.
std::optional<IpAddress> parse_ip(std::string_view text);
// "address/len", len 0..32 (IPv4) or 0..128 (IPv6); a bare address is a host prefix.
std::optional<Prefix> parse_prefix(std::string_view text);
std::string format_ipv4(Ipv4 ip);
// Dotted quad for IPv4, RFC 5952 for IPv6 ("2001:2::10").
std::string format_ip(const IpAddress& ip);
std::string format_prefix(const Prefix& p);

struct Endpoint {
  IpAddress address;
  uint16_t port = 0;
};
// An address as it stands before ":port": "a.b.c.d" or "[v6]".
std::string format_host(const IpAddress& ip);
// "02:00:c6:12:00:01".
std::string format_mac(const Mac& mac);
// "a.b.c.d:port" or "[v6]:port", port 1..65535.
std::optional<Endpoint> parse_endpoint(std::string_view text);
// The same forms back.
std::string format_endpoint(const IpAddress& ip, uint16_t port);

}  // namespace sluice
