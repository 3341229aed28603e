#include "common/ip_text.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstdio>
#include <cstring>

namespace sluice {
namespace {

// A decimal number in 0..max: digits only, no sign, no spaces, and no leading zero except
// "0" itself, since some tools read "010" as octal 8 and others as decimal 10.
std::optional<uint32_t> parse_decimal(std::string_view text, uint32_t max) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  if (text.size() > 1 && text.front() == '0') return std::nullopt;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  uint32_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  if (value > max) return std::nullopt;
  return value;
}

}  // namespace

std::optional<Ipv4> parse_ipv4(std::string_view text) {
  Ipv4 ip = 0;
  for (int octet = 0; octet < 4; ++octet) {
    const size_t dot = text.find('.');
    const bool last = octet == 3;
    if (last != (dot == std::string_view::npos)) return std::nullopt;
    const std::optional<uint32_t> value = parse_decimal(text.substr(0, dot), 255);
    if (!value) return std::nullopt;
    ip = ip << 8 | *value;
    text.remove_prefix(last ? text.size() : dot + 1);
  }
  return ip;
}

std::optional<IpAddress> parse_ip(std::string_view text) {
  if (text.find(':') == std::string_view::npos) {
    const std::optional<Ipv4> v4 = parse_ipv4(text);
    if (!v4) return std::nullopt;
    return IpAddress::v4(*v4);
  }
  // inet_pton takes no zone ("%eth0") and no brackets; the longest form is 45 characters.
  if (text.size() > 45) return std::nullopt;
  const std::string copy(text);
  IpAddress a;
  if (inet_pton(AF_INET6, copy.c_str(), a.bytes.data()) != 1) return std::nullopt;
  if (a.is_v4()) return std::nullopt;  // ::ffff:a.b.c.d: one address, one spelling
  return a;
}

std::optional<Prefix> parse_prefix(std::string_view text) {
  const size_t slash = text.find('/');
  const std::optional<IpAddress> address = parse_ip(text.substr(0, slash));
  if (!address) return std::nullopt;
  const auto bits = static_cast<uint32_t>(address->bits());
  if (slash == std::string_view::npos) return Prefix{*address, static_cast<uint8_t>(bits)};
  const std::optional<uint32_t> length = parse_decimal(text.substr(slash + 1), bits);
  if (!length) return std::nullopt;
  return Prefix{*address, static_cast<uint8_t>(*length)};
}

std::string format_ipv4(Ipv4 ip) {
  return std::to_string(ip >> 24) + '.' + std::to_string(ip >> 16 & 0xff) + '.' +
         std::to_string(ip >> 8 & 0xff) + '.' + std::to_string(ip & 0xff);
}

std::string format_ip(const IpAddress& ip) {
  if (ip.is_v4()) return format_ipv4(ip.to_v4());
  char text[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, ip.bytes.data(), text, sizeof text);
  return text;
}

std::string format_prefix(const Prefix& p) {
  return format_ip(p.address) + '/' + std::to_string(p.length);
}

std::optional<Endpoint> parse_endpoint(std::string_view text) {
  std::string_view address_text, port_text;
  if (text.starts_with('[')) {  // [v6]:port
    const size_t close = text.find("]:");
    if (close == std::string_view::npos) return std::nullopt;
    address_text = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
    if (address_text.find(':') == std::string_view::npos) return std::nullopt;
  } else {
    const size_t colon = text.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    address_text = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  const std::optional<IpAddress> address = parse_ip(address_text);
  const std::optional<uint32_t> port = parse_decimal(port_text, 65535);
  if (!address || !port || *port == 0) return std::nullopt;
  return Endpoint{*address, static_cast<uint16_t>(*port)};
}

std::string format_host(const IpAddress& ip) {
  return ip.is_v4() ? format_ip(ip) : '[' + format_ip(ip) + ']';
}

std::string format_endpoint(const IpAddress& ip, uint16_t port) {
  return format_host(ip) + ':' + std::to_string(port);
}

std::string format_mac(const Mac& mac) {
  char text[18];
  std::snprintf(text, sizeof text, "%02x:%02x:%02x:%02x:%02x:%02x", mac.bytes[0], mac.bytes[1],
                mac.bytes[2], mac.bytes[3], mac.bytes[4], mac.bytes[5]);
  return text;
}

}  // namespace sluice
