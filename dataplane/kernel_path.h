// What a worker passes to the kernel (the appliance's own addresses, ARP, neighbour
// discovery, ICMP) goes by class, so that a flood of one cannot starve another:
//   neighbour  ARP and IPv6 neighbour discovery: its own ring, which the control thread drains
//              first, because without it next hops expire and all forwarding stops
//   icmp       ICMP and other ICMPv6 (ping of the appliance, errors about its own sockets)
//   other      everything else for the kernel (ssh, health-check replies, sync, VRRP)
// Each class has a budget of packets per second per worker; what exceeds it is dropped and
// counted under the class's own reason, before it takes ring space or control-thread time.
#pragma once

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include <array>
#include <cstdint>

#include "dataplane/budget.h"
#include "dataplane/drop_reasons.h"

namespace sluice::dp {

enum class KernelClass : uint8_t { neighbour, icmp, other };
inline constexpr size_t kKernelClasses = 3;

// Packets per second per worker. neighbour: ARP/ND of a few thousand hosts refreshing with
// room for bursts; icmp: Linux's own ICMP rate limit (1000/s); other: the sockets of health
// checks (thousands of servers every few seconds), sync and management, with a margin.
inline constexpr std::array<uint32_t, kKernelClasses> kKernelBudget{5000, 1000, 50000};
inline constexpr std::array<Drop, kKernelClasses> kKernelOverBudget{
    Drop::kernel_neighbour_over_budget, Drop::kernel_icmp_over_budget,
    Drop::kernel_other_over_budget};

// ICMPv6 types of neighbour discovery (RFC 4861): router solicitation .. redirect.
inline constexpr uint8_t kFirstNdType = 133;
inline constexpr uint8_t kLastNdType = 137;

// Classifies from the frame itself (parse checked the Ethernet and IP headers of anything
// it sends here; a frame too short to tell is "other").
inline KernelClass kernel_class_of(const rte_mbuf* m) {
  const auto* eth = rte_pktmbuf_mtod(m, const rte_ether_hdr*);
  const uint32_t length = rte_pktmbuf_data_len(m);
  if (length < sizeof(rte_ether_hdr)) return KernelClass::other;
  if (eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_ARP)) return KernelClass::neighbour;
  if (eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_IPV4) &&
      length >= sizeof(rte_ether_hdr) + sizeof(rte_ipv4_hdr)) {
    const auto* ip = reinterpret_cast<const rte_ipv4_hdr*>(eth + 1);
    return ip->next_proto_id == IPPROTO_ICMP ? KernelClass::icmp : KernelClass::other;
  }
  if (eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_IPV6) &&
      length >= sizeof(rte_ether_hdr) + sizeof(rte_ipv6_hdr) + 1) {
    const auto* ip = reinterpret_cast<const rte_ipv6_hdr*>(eth + 1);
    if (ip->proto != IPPROTO_ICMPV6) return KernelClass::other;
    const uint8_t type = *reinterpret_cast<const uint8_t*>(ip + 1);
    return type >= kFirstNdType && type <= kLastNdType ? KernelClass::neighbour
                                                       : KernelClass::icmp;
  }
  return KernelClass::other;
}

// A worker's spending of the budgets, one per class.
struct KernelBudget {
  std::array<SecondBudget, kKernelClasses> classes;

  // Takes one packet of `c` at worker time `now`; false when its budget is spent.
  bool take(KernelClass c, uint32_t now) {
    const size_t i = static_cast<size_t>(c);
    return classes[i].take(now, kKernelBudget[i]);
  }
};

}  // namespace sluice::dp
