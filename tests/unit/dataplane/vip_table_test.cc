#include "dataplane/vip_table.h"

#include <gtest/gtest.h>

namespace sluice::dp {
namespace {

TEST(VipTable, FindsEveryInsertedKeyAndNothingElse) {
  VipTable t;
  for (uint32_t i = 0; i < 500; ++i) {
    ASSERT_TRUE(t.insert(0xc6120000 + i, static_cast<uint16_t>(80 + i % 3), 6, i));
  }
  t.seal();
  for (uint32_t i = 0; i < 500; ++i) {
    EXPECT_EQ(t.find(0xc6120000 + i, static_cast<uint16_t>(80 + i % 3), 6), i);
    EXPECT_EQ(t.find(0xc6120000 + i, static_cast<uint16_t>(80 + i % 3), 17), VipTable::kNone);
    EXPECT_EQ(t.find(0xc6120000 + i, 443, 6), VipTable::kNone);
    EXPECT_TRUE(t.is_vip_address(0xc6120000 + i));
  }
  EXPECT_FALSE(t.is_vip_address(0xc6130000));
  EXPECT_FALSE(t.is_vip_address(0));  // 0 marks empty slots; it is never a VIP
}

TEST(VipTable, RefusesADuplicateKey) {
  VipTable t;
  EXPECT_TRUE(t.insert(1, 80, 6, 0));
  EXPECT_TRUE(t.insert(1, 80, 17, 1));
  EXPECT_FALSE(t.insert(1, 80, 6, 2));
  t.seal();
  EXPECT_EQ(t.find(1, 80, 6), 0u);
  EXPECT_EQ(t.find(1, 80, 17), 1u);
}

TEST(VipTable, EmptyTableFindsNothing) {
  VipTable t;
  EXPECT_EQ(t.find(1, 80, 6), VipTable::kNone);
  EXPECT_FALSE(t.is_vip_address(1));
  t.seal();
  EXPECT_EQ(t.find(1, 80, 6), VipTable::kNone);
}

constexpr uint32_t kVip = 0xc6120020;  // 198.18.0.32

TEST(VipTable, AllPortsKeyTakesEveryPortWithoutAKeyOfItsOwn) {
  VipTable t;
  ASSERT_TRUE(t.insert(kVip, VipTable::kAllPorts, 6, 1));
  ASSERT_TRUE(t.insert(kVip, 80, 6, 2));
  ASSERT_TRUE(t.insert(kVip, 53, 17, 3));
  t.seal();
  EXPECT_EQ(t.find(kVip, 12345, 6), 1u);
  EXPECT_EQ(t.find(kVip, 1, 6), 1u);
  EXPECT_EQ(t.find(kVip, 65535, 6), 1u);
  EXPECT_EQ(t.find(kVip, 80, 6), 2u);  // a listed port wins
  EXPECT_EQ(t.find(kVip, 53, 17), 3u);
  EXPECT_EQ(t.find(kVip, 12345, 17), VipTable::kNone);  // all ports of tcp only
  EXPECT_EQ(t.find(kVip, 0, 6), VipTable::kNone);       // port 0 is no port
  EXPECT_EQ(t.find(kVip + 1, 12345, 6), VipTable::kNone);
  EXPECT_TRUE(t.is_vip_address(kVip));
  EXPECT_FALSE(t.is_vip_address(kVip + 1));
}

TEST(VipTable, ExceptionsKeepPortsFromTheAllPortsKey) {
  VipTable t;
  ASSERT_TRUE(t.insert(kVip, VipTable::kAllPorts, 6, 1));
  for (uint16_t port = 20000; port <= 20003; ++port) t.insert_exception(kVip, port, 6);
  t.seal();
  EXPECT_EQ(t.find(kVip, 19999, 6), 1u);
  for (uint16_t port = 20000; port <= 20003; ++port) {
    EXPECT_EQ(t.find(kVip, port, 6), VipTable::kNone) << port;
  }
  EXPECT_EQ(t.find(kVip, 20004, 6), 1u);
}

TEST(VipTable, AKeyOfThePortsOwnOverridesAnExceptionInEitherOrder) {
  VipTable t;
  ASSERT_TRUE(t.insert(kVip, VipTable::kAllPorts, 6, 1));
  t.insert_exception(kVip, 20000, 6);
  EXPECT_TRUE(t.insert(kVip, 20000, 6, 2));
  EXPECT_TRUE(t.insert(kVip, 20001, 6, 3));
  t.insert_exception(kVip, 20001, 6);
  t.seal();
  EXPECT_EQ(t.find(kVip, 20000, 6), 2u);
  EXPECT_EQ(t.find(kVip, 20001, 6), 3u);
}

TEST(VipTable, RefusesASecondAllPortsKeyForTheSameAddressAndProtocol) {
  VipTable t;
  EXPECT_TRUE(t.insert(kVip, VipTable::kAllPorts, 6, 1));
  EXPECT_TRUE(t.insert(kVip, VipTable::kAllPorts, 17, 2));
  EXPECT_FALSE(t.insert(kVip, VipTable::kAllPorts, 6, 3));
  t.seal();
  EXPECT_EQ(t.find(kVip, 443, 6), 1u);
  EXPECT_EQ(t.find(kVip, 443, 17), 2u);
}

TEST(VipTable, AnExceptionAloneMakesAVipAddressWithoutAService) {
  VipTable t;
  t.insert_exception(kVip, 20000, 6);
  t.seal();
  EXPECT_EQ(t.find(kVip, 20000, 6), VipTable::kNone);
  EXPECT_TRUE(t.is_vip_address(kVip));
}

TEST(VipTable, ManyAllPortsAddressesAndListedPortsStayApart) {
  VipTable t;
  for (uint32_t i = 0; i < 300; ++i) {
    ASSERT_TRUE(t.insert(kVip + i, VipTable::kAllPorts, 6, i));
    t.insert_exception(kVip + i, static_cast<uint16_t>(1000 + i), 6);
    ASSERT_TRUE(t.insert(kVip + i, static_cast<uint16_t>(2000 + i), 6, 1000 + i));
  }
  t.seal();
  for (uint32_t i = 0; i < 300; ++i) {
    EXPECT_EQ(t.find(kVip + i, 5, 6), i);
    EXPECT_EQ(t.find(kVip + i, static_cast<uint16_t>(1000 + i), 6), VipTable::kNone);
    EXPECT_EQ(t.find(kVip + i, static_cast<uint16_t>(1001 + i), 6), i);
    EXPECT_EQ(t.find(kVip + i, static_cast<uint16_t>(2000 + i), 6), 1000 + i);
  }
}

}  // namespace
}  // namespace sluice::dp

namespace sluice::dp {
namespace {

TEST(VipTable, TellsServiceAddressesFromSnatAddresses) {
  VipTable t;
  ASSERT_TRUE(t.insert(kVip, 80, 6, 0));
  t.insert_snat_address(kVip + 5);
  t.seal();
  EXPECT_EQ(t.kind_of(kVip), AddressKind::service);
  EXPECT_EQ(t.kind_of(kVip + 5), AddressKind::snat_pool);
  EXPECT_EQ(t.kind_of(kVip + 6), AddressKind::none);
  EXPECT_TRUE(t.is_vip_address(kVip + 5));              // ARP is answered for both
  EXPECT_EQ(t.find(kVip + 5, 80, 6), VipTable::kNone);  // a pool address serves no port
}

TEST(VipTable, KnowsNatServersWithoutAnsweringForThem) {
  VipTable t;
  ASSERT_TRUE(t.insert(kVip, 80, 6, 0));
  t.insert_nat_server(kVip + 7);
  t.insert_nat_server(kVip);  // an address of ours wins
  t.seal();
  EXPECT_EQ(t.kind_of(kVip + 7), AddressKind::nat_server);
  EXPECT_FALSE(t.is_vip_address(kVip + 7));  // not ours: no ARP answer, not dropped
  EXPECT_EQ(t.kind_of(kVip), AddressKind::service);
}

Ip6 ip6(uint8_t last, uint8_t first = 0x20) {
  Ip6 a;
  a.bytes[0] = first;
  a.bytes[15] = last;
  return a;
}

TEST(VipTable6, FindsIpv6KeysWildcardsAndExceptions) {
  VipTable6 t;
  ASSERT_TRUE(t.insert(ip6(0x10), 80, 6, 1));
  ASSERT_TRUE(t.insert(ip6(0x11), VipTable6::kAllPorts, 17, 2));
  t.insert_exception(ip6(0x11), 53, 17);
  ASSERT_FALSE(t.insert(ip6(0x10), 80, 6, 3));
  t.insert_snat_address(ip6(0x05));
  t.seal();
  EXPECT_EQ(t.find(ip6(0x10), 80, 6), 1u);
  EXPECT_EQ(t.find(ip6(0x10), 81, 6), VipTable6::kNone);
  EXPECT_EQ(t.find(ip6(0x11), 4000, 17), 2u);
  EXPECT_EQ(t.find(ip6(0x11), 53, 17), VipTable6::kNone);
  // Addresses differing only in their first byte are different addresses.
  EXPECT_EQ(t.find(ip6(0x10, 0x30), 80, 6), VipTable6::kNone);
  EXPECT_EQ(t.kind_of(ip6(0x05)), AddressKind::snat_pool);
  EXPECT_EQ(t.kind_of(ip6(0x10)), AddressKind::service);
  EXPECT_EQ(t.kind_of(Ip6{}), AddressKind::none);  // "::" is never a VIP
}

TEST(VipTable, StandbyWinsOverEveryKindAndKeepsTheServiceKeys) {
  VipTable t;
  ASSERT_TRUE(t.insert(kVip, 80, 6, 7));
  t.insert_standby(kVip);          // a VIP of a backup instance
  t.insert_standby(kVip + 1);      // ... and its pool address, given before its kind
  t.insert_snat_address(kVip + 1);
  t.insert_gateway_address(kVip + 2);
  t.insert_nat_server(kVip + 2);   // ours wins over a server's
  t.seal();
  EXPECT_EQ(t.kind_of(kVip), AddressKind::standby);
  EXPECT_EQ(t.kind_of(kVip + 1), AddressKind::standby);
  EXPECT_FALSE(t.is_vip_address(kVip));  // not answered
  EXPECT_EQ(t.find(kVip, 80, 6), 7u);    // the service is there for when it is master again
  EXPECT_EQ(t.kind_of(kVip + 2), AddressKind::gateway);
  EXPECT_TRUE(t.is_vip_address(kVip + 2));
}

}  // namespace
}  // namespace sluice::dp
