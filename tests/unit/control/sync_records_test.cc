#include "control/sync_records.h"

#include <gtest/gtest.h>
#include <rte_byteorder.h>

#include "common/ip_text.h"

namespace sluice::control {
namespace {

dp::ConnRecord snat_connection() {
  dp::ConnRecord r;
  dp::Conn& c = r.conn;
  c.client_ip = rte_cpu_to_be_32(0xc6120002);       // 198.18.0.2
  c.vip_ip = rte_cpu_to_be_32(0xc612000c);          // 198.18.0.12
  c.server_ip = rte_cpu_to_be_32(0xc6120115);       // 198.18.1.21
  c.backend_src_ip = rte_cpu_to_be_32(0xc6120105);  // 198.18.1.5
  c.client_port = rte_cpu_to_be_16(40000);
  c.vip_port = rte_cpu_to_be_16(80);
  c.server_port = rte_cpu_to_be_16(8080);
  c.backend_src_port = rte_cpu_to_be_16(33302);
  c.protocol = 6;
  c.state = dp::ConnState::established;
  c.mode = Mode::snat;
  c.client_interface = 0;
  c.live = 1;
  c.client_mac = Mac{{0x02, 0, 0xc6, 0x12, 0, 0x02}};
  c.server_id = 7;
  c.expires = 1000;
  return r;
}

TEST(SyncRecords, AConnectionTravelsWithItsSecondsLeftAndComesBackWithTheLocalServer) {
  const ha::SyncConnection s = sync_record(snat_connection(), 100, ha::SyncEvent::updated);
  EXPECT_EQ(s.family, ha::Family::v4);
  EXPECT_EQ(format_ip(s.client), "198.18.0.2");
  EXPECT_EQ(format_ip(s.backend_source), "198.18.1.5");
  EXPECT_EQ(s.client_port, 40000);
  EXPECT_EQ(s.backend_source_port, 33302);
  EXPECT_EQ(s.seconds_left, 900u);
  EXPECT_EQ(s.server_id, 7u);
  const std::optional<dp::ConnRecord> back = learnt_record(s, 42);
  ASSERT_TRUE(back);
  dp::ConnRecord expected = snat_connection();
  expected.conn.server_id = 42;  // ours
  expected.conn.expires = 900;   // seconds left, as insert_connection takes it
  EXPECT_EQ(std::memcmp(&back->conn, &expected.conn, offsetof(dp::Conn, timer_prev)), 0);
}

TEST(SyncRecords, AnExpiredConnectionHasNoSecondsLeftNotAWrappedCount) {
  EXPECT_EQ(sync_record(snat_connection(), 5000, ha::SyncEvent::updated).seconds_left, 0u);
}

TEST(SyncRecords, AStateNoWorkerKnowsIsRefused) {
  ha::SyncConnection s = sync_record(snat_connection(), 100, ha::SyncEvent::created);
  s.tcp_state = static_cast<uint8_t>(dp::ConnState::udp);  // TCP in UDP's state
  EXPECT_FALSE(learnt_record(s, 1));
  s.tcp_state = 200;
  EXPECT_FALSE(learnt_record(s, 1));
  s.protocol = Protocol::udp;
  s.tcp_state = static_cast<uint8_t>(dp::ConnState::established);  // UDP in a TCP state
  EXPECT_FALSE(learnt_record(s, 1));
  s.tcp_state = static_cast<uint8_t>(dp::ConnState::udp);
  EXPECT_TRUE(learnt_record(s, 1));
}

TEST(SyncRecords, IPv6ConnectionsKeepTheirFamily) {
  dp::ConnRecord r;
  r.ipv6 = true;
  r.conn6.client_ip.bytes[0] = 0x20;
  r.conn6.client_ip.bytes[1] = 0x01;
  r.conn6.client_ip.bytes[2] = 0x0d;
  r.conn6.client_ip.bytes[3] = 0xb8;
  r.conn6.client_ip.bytes[15] = 2;
  r.conn6.protocol = 17;
  r.conn6.state = dp::ConnState::udp;
  r.conn6.mode = Mode::dr;
  const ha::SyncConnection s = sync_record(r, 0, ha::SyncEvent::created);
  EXPECT_EQ(s.family, ha::Family::v6);
  EXPECT_EQ(format_ip(s.client), "2001:db8::2");
  const std::optional<dp::ConnRecord> back = learnt_record(s, 3);
  ASSERT_TRUE(back && back->ipv6);
  EXPECT_EQ(std::memcmp(back->conn6.client_ip.bytes, r.conn6.client_ip.bytes, 16), 0);
}

TEST(SyncRecords, PersistenceEntriesTravelWithSecondsLeft) {
  const ha::SyncPersistence s = sync_record(dp::PersistenceTable::Entry{9, 0xc6120003, 4, 700}, 100);
  EXPECT_EQ(s.seconds_left, 600u);
  const dp::PersistenceTable::Entry e = learnt_entry(s, 11);
  EXPECT_EQ(e.service, 9u);
  EXPECT_EQ(e.client, 0xc6120003u);
  EXPECT_EQ(e.server_id, 11u);
  EXPECT_EQ(e.expires, 600u);
}

}  // namespace
}  // namespace sluice::control
