#include "tests/support/packet_builder.h"

#include <arpa/inet.h>
#include <rte_arp.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include <cstring>
#include <stdexcept>

#include "dataplane/nd.h"
#include "tests/support/eal_env.h"

namespace sluice::test {

uint32_t ip_be(const std::string& dotted) {
  in_addr a{};
  if (inet_pton(AF_INET, dotted.c_str(), &a) != 1) throw std::invalid_argument(dotted);
  return a.s_addr;
}

static std::string ip_text(uint32_t be) {
  char text[INET_ADDRSTRLEN];
  in_addr a{be};
  inet_ntop(AF_INET, &a, text, sizeof text);
  return text;
}

static std::string ip6_text(const uint8_t* bytes) {
  char text[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, bytes, text, sizeof text);
  return text;
}

void ip6_bytes(const std::string& text, uint8_t* out) {
  if (inet_pton(AF_INET6, text.c_str(), out) != 1) throw std::invalid_argument(text);
}

namespace {

size_t l4_length(const Frame& f) {
  return (f.protocol == IPPROTO_TCP ? sizeof(rte_tcp_hdr) : sizeof(rte_udp_hdr)) + f.payload.size();
}

// The frame's bytes for an IP header of `l3_size`: Ethernet written, the rest zero.
std::vector<uint8_t> frame_of(const Frame& f, size_t l3_size, uint16_t ether_type) {
  rte_ether_hdr eth{};
  std::memcpy(eth.src_addr.addr_bytes, f.src_mac.bytes, 6);
  std::memcpy(eth.dst_addr.addr_bytes, f.dst_mac.bytes, 6);
  eth.ether_type = rte_cpu_to_be_16(ether_type);
  const auto* header = reinterpret_cast<const uint8_t*>(&eth);
  std::vector<uint8_t> bytes(header, header + sizeof eth);
  bytes.resize(sizeof eth + l3_size + l4_length(f));
  return bytes;
}

// The TCP or UDP header and payload at `l4`, the checksum from `checksum(l4)` (the family's
// pseudo-header); a UDP checksum only when the frame asks for one.
template <class Checksum>
void write_l4(const Frame& f, uint8_t* l4, Checksum&& checksum) {
  const size_t header = f.protocol == IPPROTO_TCP ? sizeof(rte_tcp_hdr) : sizeof(rte_udp_hdr);
  std::memcpy(l4 + header, f.payload.data(), f.payload.size());
  if (f.protocol == IPPROTO_TCP) {
    auto* tcp = reinterpret_cast<rte_tcp_hdr*>(l4);
    tcp->src_port = rte_cpu_to_be_16(f.src_port);
    tcp->dst_port = rte_cpu_to_be_16(f.dst_port);
    tcp->data_off = 5 << 4;
    tcp->tcp_flags = f.tcp_flags;
    tcp->rx_win = rte_cpu_to_be_16(65535);
    tcp->cksum = checksum(l4);
  } else {
    auto* udp = reinterpret_cast<rte_udp_hdr*>(l4);
    udp->src_port = rte_cpu_to_be_16(f.src_port);
    udp->dst_port = rte_cpu_to_be_16(f.dst_port);
    udp->dgram_len = rte_cpu_to_be_16(static_cast<uint16_t>(l4_length(f)));
    if (f.udp_checksum) udp->dgram_cksum = checksum(l4);
  }
}

// IPv6 frames: the same fields, an IPv6 header instead (no extension headers).
std::vector<uint8_t> build6(const Frame& f) {
  std::vector<uint8_t> bytes = frame_of(f, sizeof(rte_ipv6_hdr), RTE_ETHER_TYPE_IPV6);
  auto* ip = reinterpret_cast<rte_ipv6_hdr*>(bytes.data() + sizeof(rte_ether_hdr));
  ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
  ip->payload_len = rte_cpu_to_be_16(static_cast<uint16_t>(l4_length(f)));
  ip->proto = f.protocol;
  ip->hop_limits = f.ttl;
  ip6_bytes(f.src_ip, ip->src_addr);
  ip6_bytes(f.dst_ip, ip->dst_addr);
  write_l4(f, reinterpret_cast<uint8_t*>(ip + 1),
           [ip](const void* l4) { return rte_ipv6_udptcp_cksum(ip, l4); });
  return bytes;
}

}  // namespace

std::vector<uint8_t> build(const Frame& f) {
  if (f.src_ip.find(':') != std::string::npos) return build6(f);
  std::vector<uint8_t> bytes = frame_of(f, sizeof(rte_ipv4_hdr), RTE_ETHER_TYPE_IPV4);
  auto* ip = reinterpret_cast<rte_ipv4_hdr*>(bytes.data() + sizeof(rte_ether_hdr));
  ip->version_ihl = RTE_IPV4_VHL_DEF;
  ip->total_length = rte_cpu_to_be_16(static_cast<uint16_t>(bytes.size() - sizeof(rte_ether_hdr)));
  ip->fragment_offset = rte_cpu_to_be_16(f.fragment);
  ip->time_to_live = f.ttl;
  ip->next_proto_id = f.protocol;
  ip->src_addr = ip_be(f.src_ip);
  ip->dst_addr = ip_be(f.dst_ip);
  write_l4(f, reinterpret_cast<uint8_t*>(ip + 1),
           [ip](const void* l4) { return rte_ipv4_udptcp_cksum(ip, l4); });
  ip->hdr_checksum = rte_ipv4_cksum(ip);
  return bytes;
}

std::vector<uint8_t> build_neighbour_solicitation(const Mac& sender_mac,
                                                  const std::string& sender_ip,
                                                  const std::string& target_ip) {
  uint8_t source[16], target[16];
  ip6_bytes(sender_ip, source);
  ip6_bytes(target_ip, target);
  // Duplicate address detection (from ::) carries no source link-layer option.
  const bool with_option = !dp::is_unspecified(source);
  const uint16_t length = with_option ? 32 : 24;
  std::vector<uint8_t> bytes(sizeof(rte_ether_hdr) + sizeof(rte_ipv6_hdr) + length);
  auto* eth = reinterpret_cast<rte_ether_hdr*>(bytes.data());
  auto* ip = reinterpret_cast<rte_ipv6_hdr*>(eth + 1);
  uint8_t* icmp = reinterpret_cast<uint8_t*>(ip + 1);
  const uint8_t multicast[6] = {0x33, 0x33, 0xff, target[13], target[14], target[15]};
  std::memcpy(eth->dst_addr.addr_bytes, multicast, 6);
  std::memcpy(eth->src_addr.addr_bytes, sender_mac.bytes, 6);
  eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
  ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
  ip->payload_len = rte_cpu_to_be_16(length);
  ip->proto = IPPROTO_ICMPV6;
  ip->hop_limits = 255;
  std::memcpy(ip->src_addr, source, 16);
  const uint8_t solicited[16] = {0xff, 0x02, 0, 0, 0,    0,          0,          0,
                                 0,    0,    0, 1, 0xff, target[13], target[14], target[15]};
  std::memcpy(ip->dst_addr, solicited, 16);
  icmp[0] = 135;  // neighbour solicitation
  std::memcpy(icmp + 8, target, 16);
  if (with_option) {
    icmp[24] = 1;  // source link-layer address option, 8 bytes
    icmp[25] = 1;
    std::memcpy(icmp + 26, sender_mac.bytes, 6);
  }
  const uint16_t sum = rte_ipv6_udptcp_cksum(ip, icmp);
  std::memcpy(icmp + 2, &sum, 2);
  return bytes;
}

std::vector<uint8_t> build_arp_request(const Mac& sender_mac, const std::string& sender_ip,
                                       const std::string& target_ip) {
  std::vector<uint8_t> bytes(sizeof(rte_ether_hdr) + sizeof(rte_arp_hdr));
  auto* eth = reinterpret_cast<rte_ether_hdr*>(bytes.data());
  std::memset(eth->dst_addr.addr_bytes, 0xff, 6);
  std::memcpy(eth->src_addr.addr_bytes, sender_mac.bytes, 6);
  eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
  auto* arp = reinterpret_cast<rte_arp_hdr*>(eth + 1);
  arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
  arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
  arp->arp_hlen = 6;
  arp->arp_plen = 4;
  arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REQUEST);
  std::memcpy(arp->arp_data.arp_sha.addr_bytes, sender_mac.bytes, 6);
  arp->arp_data.arp_sip = ip_be(sender_ip);
  arp->arp_data.arp_tip = ip_be(target_ip);
  return bytes;
}

std::vector<uint8_t> build_icmp_error(const Frame& outer, uint8_t type, uint8_t code,
                                      const std::vector<uint8_t>& quote, uint32_t rest) {
  std::vector<uint8_t> bytes(sizeof(rte_ether_hdr) + sizeof(rte_ipv4_hdr) + sizeof(rte_icmp_hdr) +
                             quote.size());
  auto* eth = reinterpret_cast<rte_ether_hdr*>(bytes.data());
  std::memcpy(eth->src_addr.addr_bytes, outer.src_mac.bytes, 6);
  std::memcpy(eth->dst_addr.addr_bytes, outer.dst_mac.bytes, 6);
  eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
  auto* ip = reinterpret_cast<rte_ipv4_hdr*>(eth + 1);
  ip->version_ihl = RTE_IPV4_VHL_DEF;
  ip->total_length = rte_cpu_to_be_16(static_cast<uint16_t>(bytes.size() - sizeof(*eth)));
  ip->time_to_live = outer.ttl;
  ip->next_proto_id = IPPROTO_ICMP;
  ip->src_addr = ip_be(outer.src_ip);
  ip->dst_addr = ip_be(outer.dst_ip);
  ip->hdr_checksum = rte_ipv4_cksum(ip);
  auto* icmp = reinterpret_cast<rte_icmp_hdr*>(ip + 1);
  icmp->icmp_type = type;
  icmp->icmp_code = code;
  const uint32_t rest_be = rte_cpu_to_be_32(rest);
  std::memcpy(&icmp->icmp_ident, &rest_be, 4);
  std::memcpy(icmp + 1, quote.data(), quote.size());
  icmp->icmp_cksum = static_cast<uint16_t>(~rte_raw_cksum(icmp, sizeof(*icmp) + quote.size()));
  return bytes;
}

std::vector<uint8_t> build_icmp_error(const Frame& outer, uint8_t type, uint8_t code,
                                      const Frame& quoted, uint32_t rest) {
  const std::vector<uint8_t> original = build(quoted);
  const auto ip = original.begin() + sizeof(rte_ether_hdr);
  return build_icmp_error(outer, type, code,
                          std::vector<uint8_t>(ip, ip + sizeof(rte_ipv4_hdr) + 8), rest);
}

std::vector<uint8_t> build_icmp6_error(const Frame& outer, uint8_t type, uint8_t code,
                                       const Frame& quoted, uint32_t rest) {
  const std::vector<uint8_t> original = build6(quoted);
  return build_icmp6_error(outer, type, code,
                           std::vector<uint8_t>(original.begin() + sizeof(rte_ether_hdr),
                                                original.end()),
                           rest);
}

std::vector<uint8_t> build_icmp6_error(const Frame& outer, uint8_t type, uint8_t code,
                                       const std::vector<uint8_t>& body, uint32_t rest) {
  const size_t quote = body.size();
  std::vector<uint8_t> bytes(sizeof(rte_ether_hdr) + sizeof(rte_ipv6_hdr) + 8 + quote);
  auto* eth = reinterpret_cast<rte_ether_hdr*>(bytes.data());
  std::memcpy(eth->src_addr.addr_bytes, outer.src_mac.bytes, 6);
  std::memcpy(eth->dst_addr.addr_bytes, outer.dst_mac.bytes, 6);
  eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
  auto* ip = reinterpret_cast<rte_ipv6_hdr*>(eth + 1);
  ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
  ip->payload_len = rte_cpu_to_be_16(static_cast<uint16_t>(8 + quote));
  ip->proto = IPPROTO_ICMPV6;
  ip->hop_limits = outer.ttl;
  ip6_bytes(outer.src_ip, ip->src_addr);
  ip6_bytes(outer.dst_ip, ip->dst_addr);
  uint8_t* icmp = reinterpret_cast<uint8_t*>(ip + 1);
  icmp[0] = type;
  icmp[1] = code;
  const uint32_t rest_be = rte_cpu_to_be_32(rest);
  std::memcpy(icmp + 4, &rest_be, 4);
  std::memcpy(icmp + 8, body.data(), quote);
  const uint16_t sum = rte_ipv6_udptcp_cksum(ip, icmp);
  std::memcpy(icmp + 2, &sum, 2);
  return bytes;
}

SeenIcmp inspect_icmp6(rte_mbuf* m) {
  SeenIcmp s;
  const auto* eth = rte_pktmbuf_mtod(m, const rte_ether_hdr*);
  std::memcpy(s.src_mac.bytes, eth->src_addr.addr_bytes, 6);
  std::memcpy(s.dst_mac.bytes, eth->dst_addr.addr_bytes, 6);
  const auto* ip = reinterpret_cast<const rte_ipv6_hdr*>(eth + 1);
  if (ip->proto != IPPROTO_ICMPV6) return s;
  s.src_ip = ip6_text(ip->src_addr);
  s.dst_ip = ip6_text(ip->dst_addr);
  s.ttl = ip->hop_limits;
  s.length = static_cast<uint16_t>(rte_be_to_cpu_16(ip->payload_len) + sizeof(*ip));
  s.ip_checksum_ok = true;
  const auto* icmp = reinterpret_cast<const uint8_t*>(ip + 1);
  s.type = icmp[0];
  s.code = icmp[1];
  uint32_t rest;
  std::memcpy(&rest, icmp + 4, 4);
  s.mtu = static_cast<uint16_t>(rte_be_to_cpu_32(rest));
  s.icmp_checksum_ok = rte_ipv6_udptcp_cksum_verify(ip, icmp) == 0;
  const auto* quoted = reinterpret_cast<const rte_ipv6_hdr*>(icmp + 8);
  s.quoted_src_ip = ip6_text(quoted->src_addr);
  s.quoted_dst_ip = ip6_text(quoted->dst_addr);
  s.quoted_protocol = quoted->proto;
  s.quoted_ip_checksum_ok = true;
  uint16_t ports[2];
  std::memcpy(ports, quoted + 1, 4);
  s.quoted_src_port = rte_be_to_cpu_16(ports[0]);
  s.quoted_dst_port = rte_be_to_cpu_16(ports[1]);
  return s;
}

rte_mbuf* to_mbuf(const std::vector<uint8_t>& bytes, uint16_t port) {
  rte_mbuf* m = rte_pktmbuf_alloc(test_pool());
  if (m == nullptr) throw std::runtime_error("test pool empty");
  char* data = rte_pktmbuf_append(m, static_cast<uint16_t>(bytes.size()));
  if (data == nullptr) throw std::runtime_error("frame too large");
  std::memcpy(data, bytes.data(), bytes.size());
  m->port = port;
  return m;
}

Seen inspect(rte_mbuf* m) {
  Seen s;
  const auto* eth = rte_pktmbuf_mtod(m, const rte_ether_hdr*);
  std::memcpy(s.src_mac.bytes, eth->src_addr.addr_bytes, 6);
  std::memcpy(s.dst_mac.bytes, eth->dst_addr.addr_bytes, 6);
  if (eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6)) {
    const auto* ip6 = reinterpret_cast<const rte_ipv6_hdr*>(eth + 1);
    s.src_ip = ip6_text(ip6->src_addr);
    s.dst_ip = ip6_text(ip6->dst_addr);
    s.ttl = ip6->hop_limits;
    s.ip_checksum_ok = true;  // IPv6 has none
    const auto* l4 = reinterpret_cast<const uint8_t*>(ip6 + 1);
    uint16_t ports[2];
    std::memcpy(ports, l4, 4);
    s.src_port = rte_be_to_cpu_16(ports[0]);
    s.dst_port = rte_be_to_cpu_16(ports[1]);
    if (ip6->proto == IPPROTO_UDP) {
      s.udp_checksum = reinterpret_cast<const rte_udp_hdr*>(l4)->dgram_cksum;
    }
    s.l4_checksum_ok = rte_ipv6_udptcp_cksum_verify(ip6, l4) == 0;
    return s;
  }
  const auto* ip = reinterpret_cast<const rte_ipv4_hdr*>(eth + 1);
  s.src_ip = ip_text(ip->src_addr);
  s.dst_ip = ip_text(ip->dst_addr);
  s.ttl = ip->time_to_live;
  s.ip_checksum_ok = rte_ipv4_cksum(ip) == 0;  // summed over its own checksum
  const auto* l4 = reinterpret_cast<const uint8_t*>(ip + 1);
  uint16_t ports[2];
  std::memcpy(ports, l4, 4);
  s.src_port = rte_be_to_cpu_16(ports[0]);
  s.dst_port = rte_be_to_cpu_16(ports[1]);
  if (ip->next_proto_id == IPPROTO_UDP) {
    s.udp_checksum = reinterpret_cast<const rte_udp_hdr*>(l4)->dgram_cksum;
  }
  // A zero UDP checksum means "none"; anything else must verify.
  s.l4_checksum_ok = (ip->next_proto_id == IPPROTO_UDP && s.udp_checksum == 0) ||
                     rte_ipv4_udptcp_cksum_verify(ip, l4) == 0;
  return s;
}

SeenIcmp inspect_icmp(rte_mbuf* m) {
  SeenIcmp s;
  const auto* eth = rte_pktmbuf_mtod(m, const rte_ether_hdr*);
  std::memcpy(s.src_mac.bytes, eth->src_addr.addr_bytes, 6);
  std::memcpy(s.dst_mac.bytes, eth->dst_addr.addr_bytes, 6);
  const auto* ip = reinterpret_cast<const rte_ipv4_hdr*>(eth + 1);
  if (ip->next_proto_id != IPPROTO_ICMP) return s;
  s.src_ip = ip_text(ip->src_addr);
  s.dst_ip = ip_text(ip->dst_addr);
  s.ttl = ip->time_to_live;
  s.length = rte_be_to_cpu_16(ip->total_length);
  s.ip_checksum_ok = rte_ipv4_cksum(ip) == 0;
  const auto* icmp = reinterpret_cast<const rte_icmp_hdr*>(ip + 1);
  s.type = icmp->icmp_type;
  s.code = icmp->icmp_code;
  s.mtu = rte_be_to_cpu_16(icmp->icmp_seq_nb);
  s.icmp_checksum_ok = rte_raw_cksum(icmp, s.length - sizeof(*ip)) == 0xffff;
  const auto* quoted = reinterpret_cast<const rte_ipv4_hdr*>(icmp + 1);
  s.quoted_src_ip = ip_text(quoted->src_addr);
  s.quoted_dst_ip = ip_text(quoted->dst_addr);
  s.quoted_protocol = quoted->next_proto_id;
  const size_t quoted_ihl = (quoted->version_ihl & 0x0f) * 4u;
  s.quoted_ip_checksum_ok = rte_raw_cksum(quoted, quoted_ihl) == 0xffff;
  uint16_t ports[2];
  std::memcpy(ports, reinterpret_cast<const uint8_t*>(quoted) + quoted_ihl, 4);
  s.quoted_src_port = rte_be_to_cpu_16(ports[0]);
  s.quoted_dst_port = rte_be_to_cpu_16(ports[1]);
  return s;
}

}  // namespace sluice::test
