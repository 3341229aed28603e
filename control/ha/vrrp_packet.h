// VRRP version 3 advertisements on the wire (RFC 5798 section 5, as RFC 9568 keeps it): the
// VRRP message of an IPv4 packet of protocol 112 to 224.0.0.18, or of an IPv6 packet with
// next header 112 to ff02::12 (or to a unicast peer, as clouds need), TTL / hop limit 255.
//
//    0                   1                   2                   3
//   |Version| Type  | Virtual Rtr ID|   Priority    |Count IPvX Addr|
//   |(rsvd) |     Max Adver Int     |          Checksum             |
//   |                       IPvX Address(es)                        |
//
// The checksum covers the message and the IP pseudo-header (RFC 5798 5.2.8). Parsing is
// strict and says why it refused, in the names of the drop counters show ha prints: an
// advert from the network is hostile until checked.
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "common/ip_address.h"
#include "common/named_enum.h"

namespace sluice::control::ha {

inline constexpr uint8_t kVrrpProtocol = 112;
inline constexpr uint8_t kVrrpTtl = 255;
inline constexpr uint8_t kVrrpVersion = 3;
inline constexpr uint8_t kVrrpAdvertisement = 1;
inline constexpr size_t kVrrpHeader = 8;
// 255 addresses at most (an 8-bit count); a larger instance is refused by the loader.
inline constexpr size_t kMaxVrrpAddresses = 255;

struct Advert {
  uint8_t vrid = 0;
  uint8_t priority = 0;        // 0: the master is leaving; 255: it owns the addresses
  uint16_t interval_cs = 100;  // Max Adver Int, centiseconds, 12 bits
  std::vector<IpAddress> addresses;  // all of the packet's family
};

// Why an advert was refused; each is a drop counter ("vrrp_" + name).
#define SLUICE_VRRP_DROPS(X)                                                                 \
  X(truncated) X(bad_ttl) X(bad_version) X(bad_type) X(bad_length) X(bad_checksum)         \
      X(bad_interval)
SLUICE_NAMED_ENUM(VrrpDrop, kVrrpDrops, SLUICE_VRRP_DROPS)

struct ParsedAdvert {
  std::optional<Advert> advert;  // set when accepted
  VrrpDrop drop = VrrpDrop::truncated;  // why not, otherwise
};

// `message`: the VRRP message (the IP payload, without IP header); `source`, `destination`
// and `ttl` from its IP header, of the same family.
ParsedAdvert parse_advert(std::span<const uint8_t> message, const IpAddress& source,
                          const IpAddress& destination, uint8_t ttl);

// The VRRP message of `advert` from `source` to `destination` (the IP header is the
// sender's: a raw socket with IP_TTL / IPV6_MULTICAST_HOPS 255 and protocol 112).
std::vector<uint8_t> build_advert(const Advert& advert, const IpAddress& source,
                                  const IpAddress& destination);

}  // namespace sluice::control::ha
