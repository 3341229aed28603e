// IPv6 neighbour discovery (RFC 4861) as sluice speaks it: the data plane answers
// solicitations for virtual-service and snat addresses (as ARP for IPv4), the control plane
// solicits its next hops and learns from what passes to the kernel.
// Thread safety: pure functions on the packet they are given.
#pragma once

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include <cstdint>
#include <cstring>

#include "common/ip6.h"
#include "dataplane/neighbour_slots.h"

namespace sluice::dp {

inline constexpr uint8_t kIcmp6NeighbourSolicitation = 135;
inline constexpr uint8_t kIcmp6NeighbourAdvertisement = 136;
inline constexpr uint8_t kNdSourceLinkAddress = 1;  // option types
inline constexpr uint8_t kNdTargetLinkAddress = 2;
inline constexpr uint8_t kNdHopLimit = 255;  // anything else was forwarded: not from the link

// ICMPv6 header + reserved/flags word + target address: both NS and NA start so.
struct NdMessage {
  uint8_t type;
  uint8_t code;
  uint16_t checksum;
  uint8_t flags;  // NA: router 0x80, solicited 0x40, override 0x20
  uint8_t reserved[3];
  uint8_t target[16];
};
// Followed by one 8-byte link-layer address option when sluice sends it.
struct NdLinkOption {
  uint8_t type;
  uint8_t length;  // in units of 8 bytes
  uint8_t mac[6];
};
inline constexpr uint16_t kNdLength = sizeof(NdMessage) + sizeof(NdLinkOption);  // 32

// ICMPv6 checksum over the pseudo-header and `length` bytes of message (RFC 4443 2.3).
inline uint16_t icmp6_checksum(const rte_ipv6_hdr& ip, const void* message, uint32_t length) {
  uint32_t sum = rte_ipv6_phdr_cksum(&ip, 0);
  sum += rte_raw_cksum(message, length);
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

// The unspecified address "::", which duplicate address detection solicits from.
inline bool is_unspecified(const uint8_t* address) {
  static constexpr uint8_t kUnspecified[16] = {};
  return std::memcmp(address, kUnspecified, 16) == 0;
}

// The solicited-node multicast address of `target` (ff02::1:ffXX:XXXX) and its MAC.
inline void solicited_node(const uint8_t* target, uint8_t* address, uint8_t* mac) {
  static constexpr uint8_t kPrefix[13] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff};
  std::memcpy(address, kPrefix, 13);
  std::memcpy(address + 13, target + 13, 3);
  const uint8_t multicast[6] = {0x33, 0x33, address[12], address[13], address[14], address[15]};
  std::memcpy(mac, multicast, 6);
}

// Writes a neighbour message of `type` about `target` into `frame` (14 + 40 + 32 bytes): from
// `source` at our_mac to `dst` at dst_mac, with `flags` and one link-layer option of
// `option_type` giving our_mac. Returns the frame's length.
inline uint16_t write_nd_message(uint8_t* frame, const Mac& our_mac, const uint8_t* source,
                                 const uint8_t* dst_mac, const uint8_t* dst, uint8_t type,
                                 uint8_t flags, const uint8_t* target, uint8_t option_type) {
  auto* eth = reinterpret_cast<rte_ether_hdr*>(frame);
  auto* ip = reinterpret_cast<rte_ipv6_hdr*>(eth + 1);
  auto* nd = reinterpret_cast<NdMessage*>(ip + 1);
  auto* option = reinterpret_cast<NdLinkOption*>(nd + 1);
  std::memcpy(eth->dst_addr.addr_bytes, dst_mac, 6);
  std::memcpy(eth->src_addr.addr_bytes, our_mac.bytes, 6);
  eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV6);
  ip->vtc_flow = RTE_BE32(6u << 28);
  ip->payload_len = rte_cpu_to_be_16(kNdLength);
  ip->proto = IPPROTO_ICMPV6;
  ip->hop_limits = kNdHopLimit;
  std::memcpy(ip->src_addr, source, 16);
  std::memcpy(ip->dst_addr, dst, 16);
  *nd = NdMessage{type, 0, 0, flags, {}, {}};
  std::memcpy(nd->target, target, 16);
  *option = NdLinkOption{option_type, 1, {}};
  std::memcpy(option->mac, our_mac.bytes, 6);
  nd->checksum = icmp6_checksum(*ip, nd, kNdLength);
  return sizeof(rte_ether_hdr) + sizeof(rte_ipv6_hdr) + kNdLength;
}

// A neighbour solicitation for `target` from `source`, to its solicited-node group.
inline uint16_t write_neighbour_solicitation(uint8_t* frame, const Mac& our_mac,
                                             const uint8_t* source, const uint8_t* target) {
  uint8_t group[16], group_mac[6];
  solicited_node(target, group, group_mac);
  return write_nd_message(frame, our_mac, source, group_mac, group, kIcmp6NeighbourSolicitation,
                          0, target, kNdSourceLinkAddress);
}

inline constexpr uint8_t kAllNodes[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
inline constexpr uint8_t kAllNodesMac[6] = {0x33, 0x33, 0, 0, 0, 1};
inline constexpr uint8_t kNaSolicited = 0x40;  // NdMessage::flags of an advertisement
inline constexpr uint8_t kNaOverride = 0x20;

// The advertisement of `target` at our_mac, from `target` to dst (and dst_mac), with `flags`.
inline uint16_t write_advertisement(uint8_t* frame, const Mac& our_mac, const uint8_t* target,
                                    const uint8_t* dst_mac, const uint8_t* dst, uint8_t flags) {
  return write_nd_message(frame, our_mac, target, dst_mac, dst, kIcmp6NeighbourAdvertisement,
                          flags, target, kNdTargetLinkAddress);
}

// An unsolicited advertisement (RFC 4861 7.2.6) to all nodes: `target` is at our_mac now.
inline uint16_t write_unsolicited_advertisement(uint8_t* frame, const Mac& our_mac,
                                                const uint8_t* target) {
  return write_advertisement(frame, our_mac, target, kAllNodesMac, kAllNodes, kNaOverride);
}

// Turns a neighbour solicitation (checked by the caller: hop limit 255, code 0, checksum,
// at least sizeof(NdMessage)) into the solicited advertisement of its target, from `our_mac`, in
// place. The frame is trimmed or extended to exactly the advertisement. False if it cannot be.
inline bool answer_neighbour_solicitation(rte_mbuf* m, const Mac& our_mac) {
  if (!rte_pktmbuf_is_contiguous(m)) return false;
  auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
  auto* ip = reinterpret_cast<rte_ipv6_hdr*>(eth + 1);
  auto* nd = reinterpret_cast<NdMessage*>(ip + 1);
  const uint16_t length = sizeof(rte_ether_hdr) + sizeof(rte_ipv6_hdr) + kNdLength;
  if (rte_pktmbuf_pkt_len(m) < length) {
    if (rte_pktmbuf_append(m, static_cast<uint16_t>(length - rte_pktmbuf_pkt_len(m))) == nullptr) {
      return false;
    }
  } else if (rte_pktmbuf_trim(m, static_cast<uint16_t>(rte_pktmbuf_pkt_len(m) - length)) != 0) {
    return false;
  }
  // Duplicate address detection asks from "::": the answer goes to all nodes, unsolicited.
  const bool from_unspecified = is_unspecified(ip->src_addr);
  uint8_t asker_mac[6], asker[16];
  std::memcpy(asker_mac, eth->src_addr.addr_bytes, 6);
  std::memcpy(asker, ip->src_addr, 16);
  uint8_t target[16];
  std::memcpy(target, nd->target, 16);
  write_advertisement(reinterpret_cast<uint8_t*>(eth), our_mac, target,
                      from_unspecified ? kAllNodesMac : asker_mac,
                      from_unspecified ? kAllNodes : asker,
                      from_unspecified ? kNaOverride : kNaSolicited | kNaOverride);
  return true;
}

// The first option of `type` after a neighbour message's fixed part (`length`: the whole
// message), or null if it has none. `well_formed` tells whether every option has a non-zero
// length and ends within the message (RFC 4861 4.6 and 7.1.1: else the message is
// discarded; a zero length would also loop forever).
inline const NdLinkOption* nd_option(const NdMessage& nd, uint32_t length, uint8_t type,
                                     bool& well_formed) {
  const auto* options = reinterpret_cast<const uint8_t*>(&nd + 1);
  const NdLinkOption* found = nullptr;
  for (uint32_t at = sizeof(NdMessage); at < length;) {
    const uint8_t* option = options + (at - sizeof(NdMessage));
    if (at + 2 > length || option[1] == 0 || at + option[1] * 8u > length) {
      well_formed = false;
      return found;
    }
    if (option[0] == type && found == nullptr)
      found = reinterpret_cast<const NdLinkOption*>(option);
    at += option[1] * 8u;
  }
  well_formed = true;
  return found;
}

// What sluice answers (RFC 4861 7.1.1, beyond hop limit, code and checksum, which the caller
// checked): options well formed, and no source link-layer option from the unspecified
// address (duplicate address detection has no address to bind a MAC to).
inline bool solicitation_options_valid(const rte_ipv6_hdr& ip, const NdMessage& nd,
                                       uint32_t length) {
  bool well_formed = false;
  const bool source_link = nd_option(nd, length, kNdSourceLinkAddress, well_formed) != nullptr;
  return well_formed && !(source_link && is_unspecified(ip.src_addr));
}

// What a neighbour solicitation or advertisement tells about its sender: the address and
// MAC to learn (NA: the target and its target link-layer option; NS: the source and its
// source link-layer option). False when it carries no such option, or malformed ones.
inline bool neighbour_of(const rte_ipv6_hdr& ip, const NdMessage& nd, uint32_t length, Ip6& address,
                         Mac& mac) {
  const bool advert = nd.type == kIcmp6NeighbourAdvertisement;
  bool well_formed = false;
  const NdLinkOption* option =
      nd_option(nd, length, advert ? kNdTargetLinkAddress : kNdSourceLinkAddress, well_formed);
  if (!well_formed || option == nullptr) return false;
  std::memcpy(address.bytes, advert ? nd.target : ip.src_addr, 16);
  std::memcpy(mac.bytes, option->mac, 6);
  return true;
}

}  // namespace sluice::dp
