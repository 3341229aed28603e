// Every reason a worker drops a packet, declared once. The list generates the enum, the names
// shown by `sluicectl show stats` and the per-worker counters (VPP foreach_*_error style).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace sluice::dp {

#define SLUICE_FOREACH_DROP(_)                                                             \
  _(truncated_ethernet, "frame shorter than an Ethernet header")                           \
  _(not_for_us, "unicast frame for another MAC, or TCP/UDP sent to a group address")       \
  _(truncated_arp, "ARP packet shorter than an IPv4-over-Ethernet ARP body")               \
  _(bad_ipv4_header, "IP version not 4 or IHL below 5")                                    \
  _(truncated_ipv4, "IPv4 header cut short")                                               \
  _(bad_ipv4_length, "IPv4 total length larger than the frame or below the header")        \
  _(bad_ip_options, "IPv4 option of length 0 or 1, or running past the header")            \
  _(bad_ipv4_checksum, "IPv4 header checksum wrong")                                       \
  _(ip_fragment, "fragment addressed to a virtual service address")                        \
  _(truncated_ipv6, "IPv6 header cut short")                                               \
  _(bad_ipv6_header, "IP version not 6 in an IPv6 frame")                                  \
  _(bad_ipv6_length, "IPv6 payload length larger than the frame")                          \
  _(ipv6_extension, "IPv6 extension header or fragment to a virtual service address")      \
  _(martian_source, "TCP/UDP from loopback, multicast, reserved or its own destination")   \
  _(standby_address, "to a floating address whose VRRP instance is not master here")      \
  _(truncated_l4, "TCP or UDP header cut short")                                           \
  _(bad_udp_length, "UDP length below 8 or beyond the IP payload")                         \
  _(bad_neighbour_solicitation, "solicitation for a VIP: bad options, or a MAC from ::")   \
  _(bad_icmp_checksum, "ICMP error about a connection with a wrong checksum")              \
  _(no_service, "to a virtual service address on a port or protocol it does not serve")    \
  _(tcp_no_conn, "TCP segment without SYN for no known connection")                        \
  _(no_server, "no real server can take a new connection")                                 \
  _(conn_table_full, "connection table full")                                              \
  _(nat_tuple_taken, "the real server's side of this nat connection is in use by another") \
  _(snat_no_free_port, "no free source port in the snat pool for this real server")        \
  _(server_halted, "connection to a halted or removed real server")                        \
  _(neighbour_unresolved, "next hop MAC not resolved yet")                                 \
  _(ttl_exceeded, "TTL would reach zero on a routed (NAT) packet")                         \
  _(too_big, "larger than the way out's MTU and not answered (no DF, or an ICMP error)")   \
  _(icmp_rate_limited, "answer to a too-big packet over the 1000 per second per worker")   \
  _(echo_rate_limited, "echo request to a VIP over 10000 per second per worker")          \
  _(exception_ring_full, "exception path to the kernel is full")                           \
  _(kernel_neighbour_over_budget, "ARP/ND for the kernel over 5000 per second per worker")   \
  _(kernel_icmp_over_budget, "ICMP for the kernel over 1000 per second per worker")        \
  _(kernel_other_over_budget, "other traffic for the kernel over 50000/s per worker")      \
  _(handoff_ring_full, "hand-off ring to the worker owning the connection is full")        \
  _(tx_full, "transmit queue full")

enum class Drop : uint8_t {
#define SLUICE_DROP_ENUM(name, text) name,
  SLUICE_FOREACH_DROP(SLUICE_DROP_ENUM)
#undef SLUICE_DROP_ENUM
};

inline constexpr std::array<std::string_view, 0
#define SLUICE_DROP_COUNT(name, text) +1
                            SLUICE_FOREACH_DROP(SLUICE_DROP_COUNT)
#undef SLUICE_DROP_COUNT
                            >
    kDropNames = {
#define SLUICE_DROP_NAME(name, text) #name,
        SLUICE_FOREACH_DROP(SLUICE_DROP_NAME)
#undef SLUICE_DROP_NAME
};

inline constexpr std::size_t kDropCount = kDropNames.size();

}  // namespace sluice::dp
