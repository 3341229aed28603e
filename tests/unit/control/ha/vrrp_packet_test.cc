// VRRPv3 adverts on the wire (control/ha/vrrp_packet.cc): against packets another
// implementation built (scapy's VRRPv3 layer, which checksums over the pseudo-header as RFC
// 5798 5.2.8 says), and every way a hostile one can be wrong.
#include "control/ha/vrrp_packet.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/ip_text.h"
#include "tests/support/hex.h"

namespace sluice::control::ha {
namespace {

using test::hex;

IpAddress ip(const char* text) { return parse_ip(text).value(); }

// scapy: IP(src=198.18.0.2, dst=224.0.0.18, ttl=255)/VRRPv3(vrid=51, priority=150, adv=100,
// addrlist=[198.18.0.10, 198.18.0.11]), the VRRP message.
const std::vector<uint8_t> kScapyV4 = hex("3133960200640584c612000ac612000b");
// scapy: IPv6(src=fe80::2, dst=ff02::12, hlim=255)/VRRPv3(vrid=7, priority=100, adv=25,
// addrlist=[fe80::1, 2001:db8::10]).
const std::vector<uint8_t> kScapyV6 =
    hex("3107640200194062fe80000000000000000000000000000120010db8000000000000000000000010");

TEST(VrrpPacket, ReadsWhatAnotherImplementationWrote) {
  const ParsedAdvert v4 = parse_advert(kScapyV4, ip("198.18.0.2"), ip("224.0.0.18"), 255);
  ASSERT_TRUE(v4.advert) << to_string(v4.drop);
  EXPECT_EQ(v4.advert->vrid, 51);
  EXPECT_EQ(v4.advert->priority, 150);
  EXPECT_EQ(v4.advert->interval_cs, 100);
  EXPECT_EQ(v4.advert->addresses, (std::vector{ip("198.18.0.10"), ip("198.18.0.11")}));
  const ParsedAdvert v6 = parse_advert(kScapyV6, ip("fe80::2"), ip("ff02::12"), 255);
  ASSERT_TRUE(v6.advert) << to_string(v6.drop);
  EXPECT_EQ(v6.advert->vrid, 7);
  EXPECT_EQ(v6.advert->interval_cs, 25);
  EXPECT_EQ(v6.advert->addresses, (std::vector{ip("fe80::1"), ip("2001:db8::10")}));
}

TEST(VrrpPacket, WritesWhatAnotherImplementationWrites) {
  EXPECT_EQ(build_advert({51, 150, 100, {ip("198.18.0.10"), ip("198.18.0.11")}}, ip("198.18.0.2"),
                         ip("224.0.0.18")),
            kScapyV4);
  EXPECT_EQ(build_advert({7, 100, 25, {ip("fe80::1"), ip("2001:db8::10")}}, ip("fe80::2"),
                         ip("ff02::12")),
            kScapyV6);
}

TEST(VrrpPacket, UnicastPeersChecksumTheirOwnAddresses) {
  const std::vector<uint8_t> m =
      build_advert({9, 200, 4095, {ip("198.18.0.10")}}, ip("198.18.0.2"), ip("198.18.0.3"));
  EXPECT_TRUE(parse_advert(m, ip("198.18.0.2"), ip("198.18.0.3"), 255).advert);
  // The same message to another destination fails its checksum: the pseudo-header counts.
  EXPECT_EQ(parse_advert(m, ip("198.18.0.2"), ip("224.0.0.18"), 255).drop, VrrpDrop::bad_checksum);
  EXPECT_EQ(parse_advert(m, ip("198.18.0.2"), ip("198.18.0.3"), 255).advert->interval_cs, 4095);
}

// Found by the fuzz target: an IPv6 advert may carry an address that looks like a mapped IPv4
// one; it is written back in 16 bytes, as it came.
TEST(VrrpPacket, AnIpv6AdvertKeepsSixteenBytesPerAddress) {
  const Advert a{7, 100, 25, {IpAddress::v4(0xc612000a)}};  // ::ffff:198.18.0.10
  const std::vector<uint8_t> m = build_advert(a, ip("fe80::2"), ip("ff02::12"));
  EXPECT_EQ(m.size(), kVrrpHeader + 16);
  const ParsedAdvert back = parse_advert(m, ip("fe80::2"), ip("ff02::12"), 255);
  ASSERT_TRUE(back.advert) << to_string(back.drop);
  EXPECT_EQ(back.advert->addresses, a.addresses);
}

TEST(VrrpPacket, HostileAdvertsAreRefusedWithWhy) {
  const IpAddress src = ip("198.18.0.2"), dst = ip("224.0.0.18");
  const auto drop_of = [&](std::vector<uint8_t> m, uint8_t ttl = 255) {
    const ParsedAdvert p = parse_advert(m, src, dst, ttl);
    return p.advert ? std::string("accepted") : std::string(to_string(p.drop));
  };
  EXPECT_EQ(drop_of(kScapyV4, 254), "bad_ttl");  // it crossed a router
  EXPECT_EQ(drop_of(kScapyV4, 1), "bad_ttl");
  for (size_t size = 0; size < kVrrpHeader; ++size) {
    EXPECT_EQ(drop_of({kScapyV4.begin(), kScapyV4.begin() + static_cast<long>(size)}), "truncated");
  }
  // One address short, one byte more, a count of zero.
  EXPECT_EQ(drop_of({kScapyV4.begin(), kScapyV4.end() - 4}), "bad_length");
  std::vector<uint8_t> longer = kScapyV4;
  longer.push_back(0);
  EXPECT_EQ(drop_of(longer), "bad_length");
  std::vector<uint8_t> none = kScapyV4;
  none[3] = 0;
  EXPECT_EQ(drop_of({none.begin(), none.begin() + kVrrpHeader}), "bad_length");
  std::vector<uint8_t> v2 = kScapyV4;
  v2[0] = 0x21;  // VRRPv2
  EXPECT_EQ(drop_of(v2), "bad_version");
  std::vector<uint8_t> type = kScapyV4;
  type[0] = 0x32;
  EXPECT_EQ(drop_of(type), "bad_type");
  std::vector<uint8_t> forged = kScapyV4;
  forged[2] = 255;  // a priority changed in flight
  EXPECT_EQ(drop_of(forged), "bad_checksum");
  // A zero interval with a valid checksum: built, then refused.
  EXPECT_EQ(drop_of(build_advert({1, 100, 0, {ip("198.18.0.10")}}, src, dst)), "bad_interval");
}

TEST(VrrpPacket, EveryDropHasAName) {
  EXPECT_EQ(kVrrpDrops, 7u);
  for (size_t i = 0; i < kVrrpDrops; ++i) EXPECT_NE(to_string(static_cast<VrrpDrop>(i)), "?");
}

}  // namespace
}  // namespace sluice::control::ha
