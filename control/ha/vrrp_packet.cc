#include "control/ha/vrrp_packet.h"

#include <cstring>

namespace sluice::control::ha {
namespace {

// The one's-complement sum of RFC 1071 over 16-bit big-endian words, folded.
uint32_t add_words(uint32_t sum, std::span<const uint8_t> bytes) {
  for (size_t i = 0; i + 1 < bytes.size(); i += 2) sum += uint32_t{bytes[i]} << 8 | bytes[i + 1];
  if (bytes.size() % 2 != 0) sum += uint32_t{bytes.back()} << 8;
  return sum;
}

uint16_t fold(uint32_t sum) {
  while (sum >> 16 != 0) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum & 0xffff);
}

// An address as a packet of the family carries it: IPv4 4 bytes, IPv6 16, even for an IPv6
// address that looks like a mapped IPv4 one (::ffff:a.b.c.d), which IpAddress cannot tell apart.
std::span<const uint8_t> address_bytes(const IpAddress& a, bool v4) {
  return v4 ? std::span<const uint8_t>(a.bytes.data() + 12, 4)
            : std::span<const uint8_t>(a.bytes.data(), 16);
}

// RFC 5798 5.2.8: the pseudo-header of RFC 768 (IPv4) or RFC 8200 8.1 (IPv6), then the
// message with its checksum field as it is (zero when computing, the sent value when checking).
uint16_t checksum(std::span<const uint8_t> message, const IpAddress& source,
                  const IpAddress& destination) {
  const bool v4 = source.is_v4();
  uint32_t sum = add_words(0, address_bytes(source, v4));
  sum = add_words(sum, address_bytes(destination, v4));
  sum += kVrrpProtocol;
  sum += static_cast<uint32_t>(message.size());  // IPv4 16 bits, IPv6 32: a VRRP message fits both
  return fold(add_words(sum, message));
}

size_t address_size(bool v4) { return v4 ? 4 : 16; }

}  // namespace

ParsedAdvert parse_advert(std::span<const uint8_t> message, const IpAddress& source,
                          const IpAddress& destination, uint8_t ttl) {
  // TTL first (RFC 5798 7.1): a packet that crossed a router did not come from this segment.
  if (ttl != kVrrpTtl) return {std::nullopt, VrrpDrop::bad_ttl};
  if (message.size() < kVrrpHeader) return {std::nullopt, VrrpDrop::truncated};
  if (message[0] >> 4 != kVrrpVersion) return {std::nullopt, VrrpDrop::bad_version};
  if ((message[0] & 0x0f) != kVrrpAdvertisement) return {std::nullopt, VrrpDrop::bad_type};
  const bool v4 = source.is_v4();
  const size_t count = message[3];
  // Exactly the addresses the count announces: trailing bytes are refused too, so that a
  // message is one thing only.
  if (count == 0 || message.size() != kVrrpHeader + count * address_size(v4)) {
    return {std::nullopt, VrrpDrop::bad_length};
  }
  if (checksum(message, source, destination) != 0) return {std::nullopt, VrrpDrop::bad_checksum};
  Advert a;
  a.vrid = message[1];
  a.priority = message[2];
  a.interval_cs = static_cast<uint16_t>((message[4] & 0x0f) << 8 | message[5]);
  if (a.interval_cs == 0) return {std::nullopt, VrrpDrop::bad_interval};
  for (size_t i = 0; i < count; ++i) {
    const uint8_t* at = message.data() + kVrrpHeader + i * address_size(v4);
    IpAddress ip;
    if (v4) {
      uint32_t host = 0;
      for (int k = 0; k < 4; ++k) host = host << 8 | at[k];
      ip = IpAddress::v4(host);
    } else {
      std::memcpy(ip.bytes.data(), at, 16);
    }
    a.addresses.push_back(ip);
  }
  return {std::move(a), VrrpDrop::truncated};
}

std::vector<uint8_t> build_advert(const Advert& advert, const IpAddress& source,
                                  const IpAddress& destination) {
  const bool v4 = source.is_v4();
  std::vector<uint8_t> m(kVrrpHeader);
  m[0] = kVrrpVersion << 4 | kVrrpAdvertisement;
  m[1] = advert.vrid;
  m[2] = advert.priority;
  m[3] = static_cast<uint8_t>(advert.addresses.size());
  m[4] = static_cast<uint8_t>(advert.interval_cs >> 8 & 0x0f);
  m[5] = static_cast<uint8_t>(advert.interval_cs & 0xff);
  for (const IpAddress& a : advert.addresses) {
    const std::span<const uint8_t> bytes = address_bytes(a, v4);
    m.insert(m.end(), bytes.begin(), bytes.end());
  }
  const uint16_t sum = checksum(m, source, destination);
  m[6] = static_cast<uint8_t>(sum >> 8);
  m[7] = static_cast<uint8_t>(sum & 0xff);
  return m;
}

}  // namespace sluice::control::ha
