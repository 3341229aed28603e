// Builds test frames: Ethernet + IPv4 + TCP/UDP (or ARP) with correct checksums, so tests can
// check what a stage did to them field by field.
#pragma once

#include <rte_mbuf.h>

#include <cstdint>
#include <string>
#include <vector>

#include "dataplane/neighbour_slots.h"

namespace sluice::test {

// src_ip and dst_ip with a ':' make an IPv6 frame (ttl is then the hop limit).
struct Frame {
  Mac src_mac{{0x02, 0, 0, 0, 0, 0x01}};
  Mac dst_mac{{0x02, 0, 0, 0, 0, 0xaa}};
  std::string src_ip = "198.18.0.2";
  std::string dst_ip = "198.18.0.10";
  uint8_t protocol = 6;  // IPPROTO_TCP
  uint16_t src_port = 40000;
  uint16_t dst_port = 80;
  uint8_t tcp_flags = 0x02;  // SYN
  uint8_t ttl = 64;
  uint16_t fragment = 0;  // host order flags+offset field
  bool udp_checksum = true;
  std::string payload = "hello";
};

// The frame's bytes.
std::vector<uint8_t> build(const Frame& f);
// An ARP request "who has target_ip, tell sender_ip".
std::vector<uint8_t> build_arp_request(const Mac& sender_mac, const std::string& sender_ip,
                                       const std::string& target_ip);
// An ICMP error from `outer` (its MACs, addresses and TTL) quoting the IP header and first
// 8 bytes of `quoted`'s packet; `rest` is the 32-bit word after the checksum (the MTU of
// "fragmentation needed" sits in its low 16 bits).
std::vector<uint8_t> build_icmp_error(const Frame& outer, uint8_t type, uint8_t code,
                                      const Frame& quoted, uint32_t rest = 0);
// The same quoting `quote` as it is: an IPv4 header (options allowed) and what follows; or
// any ICMP message with `quote` as its body (an echo request's data, for one).
std::vector<uint8_t> build_icmp_error(const Frame& outer, uint8_t type, uint8_t code,
                                      const std::vector<uint8_t>& quote, uint32_t rest = 0);
// The same for IPv6 (ICMPv6), quoting the whole of `quoted`'s packet; `rest` is the 32-bit
// word after the checksum (packet too big: the MTU).
std::vector<uint8_t> build_icmp6_error(const Frame& outer, uint8_t type, uint8_t code,
                                       const Frame& quoted, uint32_t rest = 0);
// Any ICMPv6 message: `body` after the 8-byte header (an echo request's data, for one).
std::vector<uint8_t> build_icmp6_error(const Frame& outer, uint8_t type, uint8_t code,
                                       const std::vector<uint8_t>& body, uint32_t rest = 0);
// An IPv6 neighbour solicitation for target_ip from sender_ip (to the solicited-node group),
// with a source link-layer option unless sender_ip is "::".
std::vector<uint8_t> build_neighbour_solicitation(const Mac& sender_mac,
                                                  const std::string& sender_ip,
                                                  const std::string& target_ip);
// An mbuf holding `bytes`, arrived on DPDK port `port`.
rte_mbuf* to_mbuf(const std::vector<uint8_t>& bytes, uint16_t port);

// Parsed view of an output frame, for assertions.
struct Seen {
  Mac src_mac, dst_mac;
  std::string src_ip, dst_ip;
  uint16_t src_port = 0, dst_port = 0;
  uint8_t ttl = 0;
  bool ip_checksum_ok = false;
  bool l4_checksum_ok = false;
  uint16_t udp_checksum = 0;
};
Seen inspect(rte_mbuf* m);

// Parsed view of an output ICMP error.
struct SeenIcmp {
  Mac src_mac, dst_mac;
  std::string src_ip, dst_ip;
  uint8_t ttl = 0, type = 0, code = 0;
  uint16_t mtu = 0;  // low 16 bits of the word after the checksum
  std::string quoted_src_ip, quoted_dst_ip;
  uint16_t quoted_src_port = 0, quoted_dst_port = 0;
  uint8_t quoted_protocol = 0;
  bool ip_checksum_ok = false, icmp_checksum_ok = false, quoted_ip_checksum_ok = false;
  uint16_t length = 0;  // IP total length
};
SeenIcmp inspect_icmp(rte_mbuf* m);
SeenIcmp inspect_icmp6(rte_mbuf* m);  // mtu: the low 16 bits of the 32-bit field

uint32_t ip_be(const std::string& dotted);              // network byte order
void ip6_bytes(const std::string& text, uint8_t* out);  // 16 bytes, network order

}  // namespace sluice::test
