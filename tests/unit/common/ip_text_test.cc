#include "common/ip_text.h"

#include <gtest/gtest.h>

#include <optional>
#include <ostream>
#include <string>
#include <string_view>

namespace sluice::config {
namespace {

using namespace std::string_view_literals;

TEST(ParseIpv4, AcceptsDottedQuadsInHostOrder) {
  EXPECT_EQ(parse_ipv4("0.0.0.0"), 0u);
  EXPECT_EQ(parse_ipv4("255.255.255.255"), 0xffffffffu);
  EXPECT_EQ(parse_ipv4("198.18.0.1"), 0xc6120001u);
  EXPECT_EQ(parse_ipv4("198.19.0.0"), 0xc6130000u);
  EXPECT_EQ(parse_ipv4("1.2.3.4"), 0x01020304u);
}

TEST(ParseIpv4, RejectsEverythingElse) {
  for (std::string_view text :
       {""sv,          "1.2.3"sv,      "1.2.3.4.5"sv,  "01.2.3.4"sv,   "1.2.3.010"sv,
        "00.1.2.3"sv,  "256.0.0.0"sv,  "1.2.3.256"sv,  "1111.2.3.4"sv, "1.2.3.4 "sv,
        " 1.2.3.4"sv,  "1. 2.3.4"sv,   "1..3.4"sv,     "1.2.3."sv,     ".1.2.3"sv,
        "+1.2.3.4"sv,  "1.2.3.+4"sv,   "1.2.3.-4"sv,   "1.2.3.4x"sv,   "a.b.c.d"sv,
        "0x1.2.3.4"sv, "1.2.3.4/24"sv, "1.2.3.4:80"sv, "1.2.3.4\0"sv,  "1.2.3.99999999999"sv,
        "...."sv}) {
    SCOPED_TRACE(std::string(text));
    EXPECT_EQ(parse_ipv4(text), std::nullopt);
  }
}

// What a prefix ("address/length") or an endpoint ("address:port") parsed into: an IPv4
// address and a number, so each case is one line.
struct Parts {
  Ipv4 address = 0;
  int number = 0;
  bool operator==(const Parts&) const = default;
};
std::ostream& operator<<(std::ostream& os, const Parts& p) {
  return os << format_ipv4(p.address) << " " << p.number;
}
std::optional<Parts> parts(const std::optional<Prefix>& p) {
  if (!p || !p->address.is_v4()) return std::nullopt;
  return Parts{p->address.to_v4(), p->length};
}
std::optional<Parts> parts(const std::optional<Endpoint>& e) {
  if (!e || !e->address.is_v4()) return std::nullopt;
  return Parts{e->address.to_v4(), e->port};
}

TEST(ParsePrefix, AcceptsLengthsZeroToThirtyTwo) {
  EXPECT_EQ(parts(parse_prefix("198.18.0.0/15")), (Parts{0xc6120000u, 15}));
  EXPECT_EQ(parts(parse_prefix("0.0.0.0/0")), (Parts{0, 0}));
  EXPECT_EQ(parts(parse_prefix("198.18.0.1/32")), (Parts{0xc6120001u, 32}));
}

TEST(ParsePrefix, BareAddressIsAHostRoute) {
  EXPECT_EQ(parts(parse_prefix("1.2.3.4")), (Parts{0x01020304u, 32}));
}

TEST(ParsePrefix, RejectsBadLengthsAndAddresses) {
  for (std::string_view text :
       {"/8"sv, "1.2.3.4/"sv, "1.2.3.4/33"sv, "1.2.3.4/08"sv, "1.2.3.4/00"sv, "1.2.3.4/-1"sv,
        "1.2.3.4/+8"sv, "1.2.3.4/8/8"sv, "1.2.3.4/ 8"sv, "1.2.3.4 /8"sv, "1.2.3/8"sv,
        "1.2.3.4/8x"sv, "1.2.3.4/4294967304"sv, ""sv}) {
    SCOPED_TRACE(std::string(text));
    EXPECT_EQ(parse_prefix(text), std::nullopt);
  }
}

TEST(FormatIpv4, WritesDottedQuads) {
  EXPECT_EQ(format_ipv4(0), "0.0.0.0");
  EXPECT_EQ(format_ipv4(0xffffffff), "255.255.255.255");
  EXPECT_EQ(format_ipv4(0xc6120001), "198.18.0.1");
}

TEST(FormatPrefix, RoundTripsThroughParse) {
  for (std::string_view text :
       {"0.0.0.0/0"sv, "198.18.0.0/15"sv, "198.18.0.1/24"sv, "255.255.255.255/32"sv}) {
    const std::optional<Prefix> p = parse_prefix(text);
    ASSERT_TRUE(p) << text;
    EXPECT_EQ(format_prefix(*p), text);
  }
}

TEST(ParseEndpoint, AcceptsAddressAndPort) {
  EXPECT_EQ(parts(parse_endpoint("198.18.0.10:80")), (Parts{0xc612000au, 80}));
  EXPECT_EQ(parts(parse_endpoint("1.2.3.4:65535")), (Parts{0x01020304u, 65535}));
}

TEST(ParseEndpoint, RejectsPortZeroOutOfRangeAndGarbage) {
  for (std::string_view text :
       {"1.2.3.4:0"sv, "1.2.3.4:65536"sv, "1.2.3.4:99999999"sv, "1.2.3.4:080"sv, "1.2.3.4:"sv,
        ":80"sv, "1.2.3.4"sv, "1.2.3.4:80:90"sv, "1.2.3.4: 80"sv, "1.2.3.4:80 "sv, "1.2.3.4:-80"sv,
        "1.2.3.4:+80"sv, "1.2.3:80"sv, "01.2.3.4:80"sv, "1.2.3.4/32:80"sv}) {
    SCOPED_TRACE(std::string(text));
    EXPECT_FALSE(parse_endpoint(text).has_value());
  }
}

TEST(Prefix, ContainsAddressesOfItsNetwork) {
  const Prefix p = *parse_prefix("198.18.0.1/24");
  EXPECT_TRUE(p.contains(*parse_ip("198.18.0.0")));
  EXPECT_TRUE(p.contains(*parse_ip("198.18.0.255")));
  EXPECT_FALSE(p.contains(*parse_ip("198.18.1.0")));
  EXPECT_TRUE(parse_prefix("0.0.0.0/0")->contains(*parse_ip("8.8.8.8")));
}

TEST(Prefix, FamiliesNeverContainEachOther) {
  EXPECT_FALSE(parse_prefix("0.0.0.0/0")->contains(*parse_ip("2001:2::1")));
  EXPECT_FALSE(parse_prefix("::/0")->contains(*parse_ip("198.18.0.1")));
  const Prefix p = *parse_prefix("2001:2::1/64");
  EXPECT_TRUE(p.contains(*parse_ip("2001:2::ffff:1")));
  EXPECT_TRUE(p.contains(*parse_ip("2001:2:0:0:ffff:ffff:ffff:ffff")));
  EXPECT_FALSE(p.contains(*parse_ip("2001:2:0:1::1")));
}

TEST(IpAddress, LinkLocalIsEachFamilysOwnRange) {
  for (const char* text : {"fe80::1", "febf:ffff::1", "169.254.0.1", "169.254.255.255"}) {
    EXPECT_TRUE(parse_ip(text)->is_link_local()) << text;
  }
  for (const char* text : {"fec0::1", "fe7f::1", "2001:db8::1", "169.253.0.1", "169.255.0.1",
                           "::a9fe:1"}) {
    EXPECT_FALSE(parse_ip(text)->is_link_local()) << text;
  }
}

TEST(ParseIp, TakesBothFamiliesInTheirUsualForms) {
  EXPECT_EQ(parse_ip("198.18.0.1"), IpAddress::v4(0xc6120001));
  EXPECT_TRUE(parse_ip("198.18.0.1")->is_v4());
  const std::optional<IpAddress> v6 = parse_ip("2001:2::10");
  ASSERT_TRUE(v6);
  EXPECT_FALSE(v6->is_v4());
  EXPECT_EQ(v6->bytes[0], 0x20);
  EXPECT_EQ(v6->bytes[1], 0x01);
  EXPECT_EQ(v6->bytes[3], 0x02);
  EXPECT_EQ(v6->bytes[15], 0x10);
  EXPECT_EQ(format_ip(*v6), "2001:2::10");
  EXPECT_EQ(format_ip(*parse_ip("2001:0002:0000:0000:0000:0000:0000:0010")), "2001:2::10");
  EXPECT_EQ(format_ip(*parse_ip("::")), "::");
}

TEST(ParseIp, RefusesMalformedHostileAndAmbiguousText) {
  for (std::string_view text :
       {"2001:2::10::1"sv, "2001:2:::10"sv, "12345::1"sv, "2001:2::g"sv, "[2001:2::10]"sv,
        "2001:2::10%eth0"sv, "2001:2::10/64"sv, " 2001:2::1"sv, "::ffff:198.18.0.1"sv,
        "1:2:3:4:5:6:7:8:9"sv, ":"sv, ""sv,
        "0000000000000000000000000000000000000000000000000000000000:1"sv}) {
    SCOPED_TRACE(std::string(text));
    EXPECT_EQ(parse_ip(text), std::nullopt);
  }
}

TEST(ParsePrefix, TakesIpv6LengthsUpTo128) {
  EXPECT_EQ(parse_prefix("2001:2::1/64")->length, 64);
  EXPECT_EQ(parse_prefix("2001:2::1")->length, 128);
  EXPECT_EQ(format_prefix(*parse_prefix("2001:2::/48")), "2001:2::/48");
  EXPECT_EQ(parse_prefix("2001:2::1/129"), std::nullopt);
  EXPECT_EQ(parse_prefix("198.18.0.1/33"), std::nullopt);
}

TEST(ParseEndpoint, TakesBracketedIpv6) {
  const std::optional<Endpoint> e = parse_endpoint("[2001:2::10]:443");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->address, *parse_ip("2001:2::10"));
  EXPECT_EQ(e->port, 443);
  EXPECT_EQ(format_endpoint(e->address, e->port), "[2001:2::10]:443");
  for (std::string_view text : {"2001:2::10:443"sv, "[2001:2::10]443"sv, "[198.18.0.1]:80"sv,
                                "[2001:2::10]:0"sv, "[2001:2::10"sv, "[]:80"sv}) {
    SCOPED_TRACE(std::string(text));
    EXPECT_FALSE(parse_endpoint(text).has_value());
  }
}

TEST(MacText, ColonSeparatedLowercaseHex) {
  EXPECT_EQ(format_mac(Mac{{0x02, 0x00, 0xc6, 0x12, 0xab, 0xff}}), "02:00:c6:12:ab:ff");
}

}  // namespace
}  // namespace sluice::config
