#include "config/ipv4.h"

#include <charconv>

namespace sluice::config {
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

std::optional<Prefix> parse_prefix(std::string_view text) {
  const size_t slash = text.find('/');
  const std::optional<Ipv4> address = parse_ipv4(text.substr(0, slash));
  if (!address) return std::nullopt;
  if (slash == std::string_view::npos) return Prefix{*address, 32};
  const std::optional<uint32_t> length = parse_decimal(text.substr(slash + 1), 32);
  if (!length) return std::nullopt;
  return Prefix{*address, static_cast<uint8_t>(*length)};
}

std::string format_ipv4(Ipv4 ip) {
  return std::to_string(ip >> 24) + '.' + std::to_string(ip >> 16 & 0xff) + '.' +
         std::to_string(ip >> 8 & 0xff) + '.' + std::to_string(ip & 0xff);
}

std::string format_prefix(const Prefix& p) {
  return format_ipv4(p.address) + '/' + std::to_string(p.length);
}

std::optional<Endpoint> parse_endpoint(std::string_view text) {
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  const std::optional<Ipv4> address = parse_ipv4(text.substr(0, colon));
  const std::optional<uint32_t> port = parse_decimal(text.substr(colon + 1), 65535);
  if (!address || !port || *port == 0) return std::nullopt;
  return Endpoint{*address, static_cast<uint16_t>(*port)};
}

}  // namespace sluice::config
