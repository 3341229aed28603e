// libFuzzer target: VRRPv3 adverts from the network, as any bytes, over IPv4 and IPv6. Must
// never crash; whatever is accepted must come back the same when built again.
// Run: scripts/fuzz (docs/performance.md).
#include <cstddef>
#include <cstdint>
#include <span>

#include "common/ip_text.h"
#include "control/ha/vrrp_packet.h"

namespace {

using namespace sluice;
using namespace sluice::control::ha;

void round_trip(std::span<const uint8_t> message, const IpAddress& src, const IpAddress& dst,
                uint8_t ttl) {
  const ParsedAdvert p = parse_advert(message, src, dst, ttl);
  if (!p.advert) return;
  const std::vector<uint8_t> again = build_advert(*p.advert, src, dst);
  // The reserved bits and the checksum may be written differently; the meaning may not.
  const ParsedAdvert q = parse_advert(again, src, dst, kVrrpTtl);
  if (!q.advert || q.advert->vrid != p.advert->vrid || q.advert->priority != p.advert->priority ||
      q.advert->interval_cs != p.advert->interval_cs || q.advert->addresses != p.advert->addresses) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  // The first byte picks the TTL's correctness and the family; the rest is the message.
  const uint8_t ttl = (data[0] & 1) ? kVrrpTtl : data[0];
  const std::span<const uint8_t> message(data + 1, size - 1);
  static const IpAddress v4_src = parse_ip("198.18.0.2").value();
  static const IpAddress v4_dst = parse_ip("224.0.0.18").value();
  static const IpAddress v6_src = parse_ip("fe80::2").value();
  static const IpAddress v6_dst = parse_ip("ff02::12").value();
  if (data[0] & 2) {
    round_trip(message, v6_src, v6_dst, ttl);
  } else {
    round_trip(message, v4_src, v4_dst, ttl);
  }
  return 0;
}
