#include "dataplane/rewrite.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace sluice::dp {
namespace {

struct Packet {
  std::vector<uint8_t> bytes = std::vector<uint8_t>(20 + 20 + 32);
  rte_ipv4_hdr& ip() { return *reinterpret_cast<rte_ipv4_hdr*>(bytes.data()); }
  uint8_t* l4() { return bytes.data() + 20; }
};

Packet random_packet(std::mt19937& rng, uint8_t protocol) {
  Packet p;
  for (auto& b : p.bytes) b = static_cast<uint8_t>(rng());
  rte_ipv4_hdr& ip = p.ip();
  ip.version_ihl = RTE_IPV4_VHL_DEF;
  ip.total_length = rte_cpu_to_be_16(static_cast<uint16_t>(p.bytes.size()));
  ip.next_proto_id = protocol;
  ip.time_to_live = 64;
  if (protocol == IPPROTO_UDP) {
    auto* udp = reinterpret_cast<rte_udp_hdr*>(p.l4());
    udp->dgram_len = rte_cpu_to_be_16(static_cast<uint16_t>(p.bytes.size() - 20));
    udp->dgram_cksum = 0;
    udp->dgram_cksum = rte_ipv4_udptcp_cksum(&ip, udp);
  } else {
    auto* tcp = reinterpret_cast<rte_tcp_hdr*>(p.l4());
    tcp->cksum = 0;
    tcp->cksum = rte_ipv4_udptcp_cksum(&ip, tcp);
  }
  ip.hdr_checksum = 0;
  ip.hdr_checksum = rte_ipv4_cksum(&ip);
  return p;
}

void expect_valid(Packet& p) {
  EXPECT_EQ(rte_ipv4_cksum(&p.ip()), 0);  // summed over its own checksum
  EXPECT_EQ(rte_ipv4_udptcp_cksum_verify(&p.ip(), p.l4()), 0);
}

// The incremental updates must agree with a full recomputation on any contents.
TEST(Rewrite, IncrementalChecksumsMatchFullRecomputation) {
  std::mt19937 rng(7);
  for (uint8_t protocol : {uint8_t{IPPROTO_TCP}, uint8_t{IPPROTO_UDP}}) {
    for (int i = 0; i < 2000; ++i) {
      Packet p = random_packet(rng, protocol);
      nat_rewrite_destination(p.ip(), p.l4(), static_cast<uint32_t>(rng()),
                              static_cast<uint16_t>(rng()));
      expect_valid(p);
      nat_rewrite_source(p.ip(), p.l4(), static_cast<uint32_t>(rng()),
                         static_cast<uint16_t>(rng()));
      expect_valid(p);
      ASSERT_TRUE(decrement_ttl(p.ip()));
      expect_valid(p);
    }
  }
}

TEST(Rewrite, UdpWithoutChecksumKeepsNone) {
  std::mt19937 rng(1);
  Packet p = random_packet(rng, IPPROTO_UDP);
  reinterpret_cast<rte_udp_hdr*>(p.l4())->dgram_cksum = 0;
  nat_rewrite_destination(p.ip(), p.l4(), 0x01020304, 5353);
  EXPECT_EQ(reinterpret_cast<rte_udp_hdr*>(p.l4())->dgram_cksum, 0);
  EXPECT_EQ(rte_ipv4_cksum(&p.ip()), 0);
}

TEST(Rewrite, TtlOfOneIsNotDecremented) {
  std::mt19937 rng(2);
  Packet p = random_packet(rng, IPPROTO_TCP);
  p.ip().time_to_live = 1;
  EXPECT_FALSE(decrement_ttl(p.ip()));
  EXPECT_EQ(p.ip().time_to_live, 1);
}

}  // namespace
}  // namespace sluice::dp
