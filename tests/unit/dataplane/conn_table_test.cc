#include "dataplane/conn_table.h"

#include <gtest/gtest.h>
#include <rte_lcore.h>

#include <string>

namespace sluice::dp {
namespace {

std::unique_ptr<ConnTable> make_table(uint32_t capacity, uint32_t now = 0) {
  static int n = 0;
  return ConnTable::create(("unit_conns_" + std::to_string(n++)).c_str(), capacity,
                           static_cast<int>(rte_socket_id()), now);
}

Conn conn(uint16_t client_port, Mode mode, uint32_t expires) {
  Conn c{};
  c.client_ip = 0x0200c612;  // 198.18.0.2 in network order on little-endian
  c.vip_ip = 0x0a00c612;
  c.server_ip = 0x1501c612;
  c.client_port = client_port;
  c.vip_port = 80;
  c.server_port = 8080;
  c.backend_src_ip = c.client_ip;  // nat: the server sees the client
  c.backend_src_port = client_port;
  c.protocol = 6;
  c.mode = mode;
  c.expires = expires;
  return c;
}

TEST(ConnTable, FindsBothDirectionsOfANatConnection) {
  auto t = make_table(16);
  const uint32_t i = t->insert(conn(1000, Mode::nat, 100), true);
  ASSERT_NE(i, ConnTable::kNone);
  EXPECT_EQ(t->lookup(t->at(i).forward_key()), i << 1);
  EXPECT_EQ(t->lookup(t->at(i).return_key()), (i << 1) | 1);
}

// The half-open connection a full table gives up for a new one: due soonest, never an
// established one, and found within the budget or not at all.
TEST(ConnTable, TheHalfOpenConnectionDueSoonestIsFoundWithinTheBudget) {
  auto t = make_table(16);
  Conn established = conn(1000, Mode::nat, 3);
  established.state = ConnState::established;
  t->insert(established, true);
  Conn later = conn(1001, Mode::nat, 9);  // conn() leaves state syn_recv
  const uint32_t later_index = t->insert(later, true);
  const uint32_t sooner_index = t->insert(conn(1002, Mode::nat, 5), true);
  EXPECT_EQ(t->half_open_due_soonest(64), sooner_index);
  t->remove(sooner_index);
  EXPECT_EQ(t->half_open_due_soonest(64), later_index);
  // Slots 1..9 and the established entry (in slot 3) are 10 steps: 9 are not enough.
  EXPECT_EQ(t->half_open_due_soonest(9), ConnTable::kNone);
  t->remove(later_index);
  EXPECT_EQ(t->half_open_due_soonest(UINT32_MAX), ConnTable::kNone);  // only established left
}

// Within one second's slot the oldest half-open connection goes first: under a flood all of
// them share a slot, and the newest is a client whose ACK is still on its way.
TEST(ConnTable, TheOldestHalfOpenConnectionOfASecondGoesFirst) {
  auto t = make_table(16);
  const uint32_t oldest = t->insert(conn(1000, Mode::nat, 5), true);
  t->insert(conn(1001, Mode::nat, 5), true);
  t->insert(conn(1002, Mode::nat, 5), true);
  EXPECT_EQ(t->half_open_due_soonest(64), oldest);
}

TEST(ConnTable, DirectRoutingIndexesOnlyTheForwardDirection) {
  auto t = make_table(16);
  const uint32_t i = t->insert(conn(1000, Mode::dr, 100), false);
  EXPECT_EQ(t->lookup(t->at(i).return_key()), ConnTable::kNone);
}

TEST(ConnTable, BulkLookupReportsHitsAndMisses) {
  auto t = make_table(64);
  std::vector<FlowKey> keys;
  for (uint16_t p = 0; p < 40; ++p) {
    const Conn c = conn(p, Mode::nat, 100);
    if (p % 2 == 0) t->insert(c, true);
    keys.push_back(c.forward_key());
  }
  const FlowKey* ptrs[40];
  for (int i = 0; i < 40; ++i) ptrs[i] = &keys[i];
  uint32_t refs[40];
  const uint64_t hits = t->lookup_bulk(ptrs, 40, refs);
  for (int i = 0; i < 40; ++i) {
    EXPECT_EQ((hits >> i) & 1, i % 2 == 0 ? 1u : 0u) << i;
    if (i % 2 == 0) {
      EXPECT_EQ(t->at(refs[i] >> 1).client_port, i);
    }
  }
}

TEST(ConnTable, RefusesAConnectionWhoseReturnKeyIsTaken) {
  auto t = make_table(16);
  const Conn first = conn(1000, Mode::nat, 100);
  ASSERT_NE(t->insert(first, true), ConnTable::kNone);
  Conn second = first;
  second.vip_ip = 0x0c00c612;  // another VIP, same client tuple, same server tuple
  EXPECT_EQ(t->insert(second, true), ConnTable::kTaken);
  EXPECT_EQ(t->lookup(first.return_key()) & 1, 1u);
  EXPECT_EQ(t->size(), 1u);
}

TEST(ConnTable, RefusesBeyondCapacityAndReusesFreedEntries) {
  auto t = make_table(4);
  uint32_t first = ConnTable::kNone;
  for (uint16_t p = 0; p < 4; ++p) {
    const uint32_t i = t->insert(conn(p, Mode::nat, 100), true);
    ASSERT_NE(i, ConnTable::kNone);
    if (p == 0) first = i;
  }
  EXPECT_EQ(t->insert(conn(99, Mode::nat, 100), true), ConnTable::kNone);
  t->remove(first);
  EXPECT_EQ(t->lookup(conn(0, Mode::nat, 100).forward_key()), ConnTable::kNone);
  EXPECT_NE(t->insert(conn(99, Mode::nat, 100), true), ConnTable::kNone);
  EXPECT_EQ(t->size(), 4u);
}

TEST(ConnTable, ExpiresExactlyWhenDueAndNotBefore) {
  auto t = make_table(16);
  t->insert(conn(1, Mode::nat, 10), true);
  t->insert(conn(2, Mode::nat, 20), true);
  int expired = 0;
  const auto count = [&expired](const Conn&) { ++expired; };
  t->expire(9, 100, count);
  EXPECT_EQ(expired, 0);
  t->expire(10, 100, count);
  EXPECT_EQ(expired, 1);
  EXPECT_EQ(t->lookup(conn(1, Mode::nat, 0).return_key()), ConnTable::kNone);
  t->expire(25, 100, count);
  EXPECT_EQ(expired, 2);
  EXPECT_EQ(t->size(), 0u);
}

TEST(ConnTable, ALaterExpiryIsHonouredWhenTheOldSlotComesRound) {
  auto t = make_table(16);
  const uint32_t i = t->insert(conn(1, Mode::nat, 10), true);
  t->set_expiry(i, 50);  // touched: lazily stays filed at 10
  int expired = 0;
  t->expire(49, 100, [&expired](const Conn&) { ++expired; });
  EXPECT_EQ(expired, 0);
  t->expire(50, 100, [&expired](const Conn&) { ++expired; });
  EXPECT_EQ(expired, 1);
}

TEST(ConnTable, AnEarlierExpiryIsRefiled) {
  auto t = make_table(16);
  const uint32_t i = t->insert(conn(1, Mode::nat, 900), true);
  t->set_expiry(i, 10);  // RST: close timeout
  int expired = 0;
  t->expire(10, 100, [&expired](const Conn&) { ++expired; });
  EXPECT_EQ(expired, 1);
}

TEST(ConnTable, TimeoutsLongerThanTheWheelSurviveExtraTurns) {
  auto t = make_table(16);
  const uint32_t due = ConnTable::kWheelSlots * 2 + 5;
  t->insert(conn(1, Mode::dr, due), false);
  int expired = 0;
  for (uint32_t now = 1; now < due; now += 97) t->expire(now, 100, [&](const Conn&) { ++expired; });
  EXPECT_EQ(expired, 0);
  t->expire(due, 100, [&](const Conn&) { ++expired; });
  EXPECT_EQ(expired, 1);
}

TEST(ConnTable, ExpiryWorkIsBoundedPerCallAndResumes) {
  auto t = make_table(1024);
  for (uint16_t p = 0; p < 1000; ++p) t->insert(conn(p, Mode::nat, 5), true);
  int expired = 0;
  const auto count = [&expired](const Conn&) { ++expired; };
  EXPECT_EQ(t->expire(6, 300, count), 300u);
  EXPECT_EQ(expired, 300);
  while (t->expire(6, 300, count) != 0) {
  }
  EXPECT_EQ(expired, 1000);
  EXPECT_EQ(t->size(), 0u);
}

}  // namespace
}  // namespace sluice::dp

namespace sluice::dp {
namespace {

// The IPv6 table is the same template over 16-byte addresses: both directions indexed, keys
// compared on all 40 bytes, expiry by the same wheel.
TEST(ConnTable6, FindsBothDirectionsAndExpires) {
  static int n = 0;
  auto t = ConnTable6::create(("unit_conns6_" + std::to_string(n++)).c_str(), 16,
                              static_cast<int>(rte_socket_id()), 0);
  ASSERT_TRUE(t);
  Conn6 c{};
  c.client_ip.bytes[0] = 0x20;
  c.client_ip.bytes[15] = 2;
  c.vip_ip.bytes[0] = 0x20;
  c.vip_ip.bytes[15] = 0x11;
  c.server_ip.bytes[0] = 0x20;
  c.server_ip.bytes[15] = 0x21;
  c.backend_src_ip = c.client_ip;
  c.client_port = c.backend_src_port = 1000;
  c.vip_port = 80;
  c.server_port = 8080;
  c.protocol = 6;
  c.mode = Mode::nat;
  c.expires = 10;
  const uint32_t i = t->insert(c, true);
  ASSERT_LT(i, ConnTable6::kTaken);
  EXPECT_EQ(t->lookup(c.forward_key()), i << 1);
  EXPECT_EQ(t->lookup(c.return_key()), (i << 1) | 1);
  FlowKey6 other = c.forward_key();
  other.src_ip.bytes[1] = 1;  // another client: a byte in the middle of the address differs
  EXPECT_EQ(t->lookup(other), ConnTable6::kNone);
  t->expire(10, UINT32_MAX, [](const Conn6&) {});
  EXPECT_EQ(t->lookup(c.forward_key()), ConnTable6::kNone);
  EXPECT_EQ(t->size(), 0u);
}

}  // namespace
}  // namespace sluice::dp
