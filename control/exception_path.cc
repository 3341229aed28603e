#include "control/exception_path.h"

#include <rte_arp.h>
#include <rte_ethdev.h>
#include <rte_ether.h>

#include <algorithm>
#include <cstring>

#include "common/bounds.h"
#include "dataplane/nd.h"
#include "dataplane/packet_meta.h"

namespace sluice::control {
namespace {

constexpr unsigned kBurst = 64;

// An ARP request for `target` from `sender` at `ours`, broadcast. With sender == target it is
// a gratuitous ARP (RFC 5227 3: the form that every stack updates its cache from).
void write_arp_request(rte_ether_hdr* eth, const Mac& ours, uint32_t sender, uint32_t target) {
  std::memset(eth->dst_addr.addr_bytes, 0xff, 6);
  std::memcpy(eth->src_addr.addr_bytes, ours.bytes, 6);
  eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
  auto* arp = reinterpret_cast<rte_arp_hdr*>(eth + 1);
  arp->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
  arp->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
  arp->arp_hlen = 6;
  arp->arp_plen = 4;
  arp->arp_opcode = RTE_BE16(RTE_ARP_OP_REQUEST);
  std::memcpy(arp->arp_data.arp_sha.addr_bytes, ours.bytes, 6);
  arp->arp_data.arp_sip = rte_cpu_to_be_32(sender);
  std::memset(arp->arp_data.arp_tha.addr_bytes, 0, 6);
  arp->arp_data.arp_tip = rte_cpu_to_be_32(target);
}

constexpr uint16_t kArpLength = sizeof(rte_ether_hdr) + sizeof(rte_arp_hdr);
constexpr uint16_t kNdFrameLength = sizeof(rte_ether_hdr) + sizeof(rte_ipv6_hdr) + dp::kNdLength;

}  // namespace

ExceptionPath::ExceptionPath(const std::vector<DataInterface>& interfaces,
                             std::vector<KernelRings> from_workers, rte_ring* to_wire,
                             rte_mempool* pool, NeighbourCtl& neighbours)
    : interfaces_(interfaces),
      from_workers_(std::move(from_workers)),
      to_wire_(to_wire),
      pool_(pool),
      neighbours_(neighbours) {}

uint32_t ExceptionPath::poll(uint64_t now_ms) {
  return workers_to_kernel(now_ms) + kernel_to_wire();
}

// Neighbour solicitations and advertisements on their way to the kernel tell the MACs of
// IPv6 next hops, as ARP does for IPv4.
void ExceptionPath::learn_if_nd(rte_mbuf* m, uint64_t now_ms) {
  const auto* eth = rte_pktmbuf_mtod(m, const rte_ether_hdr*);
  const uint32_t frame = rte_pktmbuf_data_len(m);
  if (frame < sizeof(rte_ether_hdr) + sizeof(rte_ipv6_hdr) + sizeof(dp::NdMessage)) return;
  const auto* ip = reinterpret_cast<const rte_ipv6_hdr*>(eth + 1);
  if (ip->proto != IPPROTO_ICMPV6 || ip->hop_limits != dp::kNdHopLimit) return;
  const auto* nd = reinterpret_cast<const dp::NdMessage*>(ip + 1);
  if (nd->type != dp::kIcmp6NeighbourSolicitation && nd->type != dp::kIcmp6NeighbourAdvertisement) {
    return;
  }
  const uint32_t length = rte_be_to_cpu_16(ip->payload_len);
  if (nd->code != 0 || length > frame - sizeof(rte_ether_hdr) - sizeof(rte_ipv6_hdr) ||
      dp::icmp6_checksum(*ip, nd, length) != 0) {
    return;  // learn only from well-formed messages
  }
  Ip6 address;
  Mac mac;
  if (!dp::neighbour_of(*ip, *nd, length, address, mac)) return;
  IpAddress sender;
  std::memcpy(sender.bytes.data(), address.bytes, 16);
  neighbours_.learn(dp::meta_of(m).interface, sender, mac, now_ms);
}

void ExceptionPath::learn_if_arp(rte_mbuf* m, uint64_t now_ms) {
  const auto* eth = rte_pktmbuf_mtod(m, const rte_ether_hdr*);
  if (eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_IPV6)) return learn_if_nd(m, now_ms);
  if (eth->ether_type != RTE_BE16(RTE_ETHER_TYPE_ARP)) return;
  // The parse stage checked the length; the body's fields are checked here.
  const auto* arp = reinterpret_cast<const rte_arp_hdr*>(eth + 1);
  if (arp->arp_hardware != RTE_BE16(RTE_ARP_HRD_ETHER) ||
      arp->arp_protocol != RTE_BE16(RTE_ETHER_TYPE_IPV4) || arp->arp_hlen != 6 ||
      arp->arp_plen != 4) {
    return;
  }
  Mac mac;
  std::memcpy(mac.bytes, arp->arp_data.arp_sha.addr_bytes, 6);
  neighbours_.learn(dp::meta_of(m).interface,
                    IpAddress::v4(rte_be_to_cpu_32(arp->arp_data.arp_sip)), mac, now_ms);
}

// Every worker's ARP and ND first, then a burst of the rest from each.
uint32_t ExceptionPath::workers_to_kernel(uint64_t now_ms) {
  uint32_t moved = 0;
  for (const KernelRings& rings : from_workers_) moved += ring_to_kernel(rings.neighbours, now_ms);
  for (const KernelRings& rings : from_workers_) moved += ring_to_kernel(rings.others, now_ms);
  return moved;
}

uint32_t ExceptionPath::ring_to_kernel(rte_ring* ring, uint64_t now_ms) {
  rte_mbuf* pkts[kBurst];
  const unsigned n =
      rte_ring_sc_dequeue_burst(ring, reinterpret_cast<void**>(pkts), kBurst, nullptr);
  for (unsigned i = 0; i < n; ++i) {
    rte_mbuf* m = pkts[i];
    learn_if_arp(m, now_ms);
    const uint16_t tap = interfaces_[dp::meta_of(m).interface].tap_port_id;
    if (rte_eth_tx_burst(tap, 0, &m, 1) != 1) {
      rte_pktmbuf_free(m);
      ++dropped_;
    }
  }
  return n;
}

uint32_t ExceptionPath::kernel_to_wire() {
  uint32_t moved = 0;
  for (size_t i = 0; i < interfaces_.size(); ++i) {
    rte_mbuf* pkts[kBurst];
    const uint16_t n = rte_eth_rx_burst(interfaces_[i].tap_port_id, 0, pkts, kBurst);
    for (uint16_t k = 0; k < n; ++k) dp::meta_of(pkts[k]).interface = static_cast<uint8_t>(i);
    const unsigned queued =
        rte_ring_sp_enqueue_burst(to_wire_, reinterpret_cast<void* const*>(pkts), n, nullptr);
    for (unsigned k = queued; k < n; ++k) rte_pktmbuf_free(pkts[k]);
    dropped_ += n - queued;
    moved += n;
  }
  return moved;
}

rte_mbuf* ExceptionPath::frame(uint16_t length) {
  rte_mbuf* m = rte_pktmbuf_alloc(pool_);
  if (m == nullptr || rte_pktmbuf_append(m, length) == nullptr) {
    rte_pktmbuf_free(m);
    ++dropped_;
    return nullptr;
  }
  return m;
}

void ExceptionPath::send_neighbour_request(const config::Config& cfg, const control::NextHop& hop) {
  const IpAddress sender =
      control::own_address_towards(cfg.interfaces[hop.interface], hop.address);
  const Mac& ours = interfaces_[hop.interface].mac;
  rte_mbuf* m = frame(hop.address.is_v4() ? kArpLength : kNdFrameLength);
  if (m == nullptr) return;
  auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
  if (hop.address.is_v4()) {
    write_arp_request(eth, ours, sender.to_v4(), hop.address.to_v4());
  } else {
    dp::write_neighbour_solicitation(reinterpret_cast<uint8_t*>(eth), ours, sender.bytes.data(),
                                     hop.address.bytes.data());
  }
  to_wire(m, hop.interface);
}

void ExceptionPath::send_announcement(uint8_t interface, const IpAddress& address) {
  const Mac& ours = interfaces_[interface].mac;
  rte_mbuf* m = frame(address.is_v4() ? kArpLength : kNdFrameLength);
  if (m == nullptr) return;
  auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
  if (address.is_v4()) {
    write_arp_request(eth, ours, address.to_v4(), address.to_v4());
  } else {
    dp::write_unsolicited_advertisement(reinterpret_cast<uint8_t*>(eth), ours,
                                        address.bytes.data());
  }
  to_wire(m, interface);
}

void ExceptionPath::to_wire(rte_mbuf* m, uint8_t interface) {
  dp::meta_of(m).interface = interface;
  if (rte_ring_sp_enqueue(to_wire_, m) != 0) {
    rte_pktmbuf_free(m);
    ++dropped_;
  }
}

}  // namespace sluice::control
