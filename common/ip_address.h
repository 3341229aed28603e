// Addresses as every layer holds them: the config model, the snapshot the workers read, the
// control API and the CLI. Plain values, no DPDK types.
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>

namespace sluice {

// An IPv4 address in host byte order.
using Ipv4 = uint32_t;

// An IPv4 or IPv6 address. IPv4 is held as an IPv4-mapped IPv6 address (::ffff:a.b.c.d,
// RFC 4291 2.5.5.2), so one type orders, hashes and masks both families alike; the family
// shows in is_v4(). Bytes in network order.
struct IpAddress {
  std::array<uint8_t, 16> bytes{};

  static IpAddress v4(Ipv4 host_order) {
    IpAddress a;
    a.bytes[10] = a.bytes[11] = 0xff;
    for (int i = 0; i < 4; ++i) a.bytes[12 + i] = static_cast<uint8_t>(host_order >> (24 - 8 * i));
    return a;
  }
  bool is_v4() const {
    for (int i = 0; i < 10; ++i) {
      if (bytes[i] != 0) return false;
    }
    return bytes[10] == 0xff && bytes[11] == 0xff;
  }
  Ipv4 to_v4() const {  // host order; meaningful when is_v4()
    return Ipv4{bytes[12]} << 24 | Ipv4{bytes[13]} << 16 | Ipv4{bytes[14]} << 8 | bytes[15];
  }
  // Prefix lengths as the family counts them (0..32 or 0..128).
  int bits() const { return is_v4() ? 32 : 128; }
  // The first `length` bits of the family's address kept, the rest zero.
  IpAddress masked(int length) const {
    IpAddress m = *this;
    const int from = (is_v4() ? 96 : 0) + length;  // bit index in the 128-bit form
    for (int bit = from; bit < 128; ++bit)
      m.bytes[bit / 8] &= static_cast<uint8_t>(~(0x80 >> (bit % 8)));
    return m;
  }
  // fe80::/10 or 169.254.0.0/16: scoped to one link.
  bool is_link_local() const {
    return is_v4() ? to_v4() >> 16 == 0xa9fe : bytes[0] == 0xfe && (bytes[1] & 0xc0) == 0x80;
  }
  // 127.0.0.0/8 or ::1: never leaves the host (the HTTP endpoint allows actions only there).
  bool is_loopback() const {
    if (is_v4()) return to_v4() >> 24 == 127;
    IpAddress loopback;
    loopback.bytes[15] = 1;
    return *this == loopback;
  }
  // Why this is no address a host or a service can own, or nullptr: unspecified, loopback,
  // multicast (and IPv4 broadcast), or link-local (scoped to one link: not routable, and
  // ambiguous without a zone).
  const char* not_unicast() const {
    if (is_v4()) {
      const Ipv4 a = to_v4();
      if (a == 0) return "the unspecified address";
      if (a >> 24 == 0) return "in 0.0.0.0/8 (this network)";
      if (is_loopback()) return "a loopback address";
      if (a >> 28 == 0xe) return "a multicast address";
      if (a >> 28 == 0xf) return "reserved (240.0.0.0/4, broadcast)";
      return is_link_local() ? "a link-local address" : nullptr;
    }
    if (*this == IpAddress{}) return "the unspecified address";
    if (is_loopback()) return "a loopback address";
    if (bytes[0] == 0xff) return "a multicast address";
    return is_link_local() ? "a link-local address" : nullptr;
  }
  auto operator<=>(const IpAddress&) const = default;
};

struct IpAddressHash {
  size_t operator()(const IpAddress& a) const {
    uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a
    for (uint8_t b : a.bytes) h = (h ^ b) * 0x100000001b3ull;
    return h;
  }
};

struct Prefix {
  IpAddress address;
  uint8_t length = 32;  // in the address's family
  bool contains(const IpAddress& ip) const {
    return ip.is_v4() == address.is_v4() && ip.masked(length) == address.masked(length);
  }
  bool operator==(const Prefix&) const = default;
};

}  // namespace sluice
