// VRRP's raw sockets (IP protocol 112) on a TAP twin, of either family, and the address an
// instance's adverts leave from. An IPv4 raw socket hands over the IP header with the message,
// so TTL, source and destination are read from it; an IPv6 one hands over only the message,
// so the hop limit and the destination come as control messages (IPV6_RECVHOPLIMIT,
// IPV6_RECVPKTINFO) and the source as the sender's address.
//
// IPv6's checksum is ours, as IPv4's (vrrp_packet's builder and parser), not the kernel's
// (IPV6_CHECKSUM stays off): with it the kernel would drop a bad checksum unseen, where the
// parser counts it as bad_checksum. So every IPv6 send pins its source (IPV6_PKTINFO): the
// pseudo-header summed is the one on the wire.
// Thread safety: plain functions; a socket is used by one thread.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "common/ip_address.h"
#include "config/model.h"

namespace sluice::control {

// 224.0.0.18 or ff02::12: where adverts go without unicast peers.
IpAddress vrrp_group(bool ipv6);

// The address `instance`'s adverts leave from on `ifc`, which is also its tie-breaker
// (vrrp_state: the higher address stays master): over IPv4 the interface's first IPv4 address;
// over IPv6 the TAP twin's link-local address `link_local` (RFC 5798 5.1.2.1), or, with global
// unicast peers, the interface's first IPv6 address, so that each side's peers name the other
// (a cloud's network carries no link-local traffic between hosts). nullopt when it is missing.
std::optional<IpAddress> advert_source(const config::HaInstance& instance,
                                       const config::Interface& ifc,
                                       const std::optional<IpAddress>& link_local);

// The link-local address the kernel gave `device`, if it has one.
std::optional<IpAddress> link_local_address(const std::string& device);

// A raw socket of protocol 112 on `device` (index `ifindex`) of the family `ipv6` says: sends
// with TTL / hop limit 255 (multicast and unicast), hears the group on that device only, not
// its own multicast. -1 with errno set when it cannot be had.
int open_vrrp_socket(const std::string& device, unsigned ifindex, bool ipv6);

// Sends one VRRP message to `to`; true when the kernel took it whole. IPv6 sends it from
// `source` on `ifindex`; IPv4 leaves the source to the kernel, which takes the device's first
// address (what advert_source says).
bool send_vrrp(int fd, std::span<const uint8_t> message, const IpAddress& source,
               const IpAddress& to, unsigned ifindex);

// A packet read: its VRRP message (in the caller's buffer) and what its IP header said.
struct VrrpDatagram {
  std::span<const uint8_t> message;
  IpAddress source;
  IpAddress destination;
  uint8_t ttl = 0;  // TTL or hop limit; 0 when the kernel did not say
};

enum class VrrpRead : uint8_t {
  none,       // nothing waits (EAGAIN)
  truncated,  // an IPv4 packet too short for its header
  datagram,
};

// Reads the next packet waiting on `fd` (open_vrrp_socket's, of the family `ipv6` says) into
// `buffer`, and what it says into `out`.
VrrpRead read_vrrp(int fd, bool ipv6, std::span<uint8_t> buffer, VrrpDatagram& out);

// An IPv4 packet as a raw socket hands it over, split at its header; nullopt when the header
// does not fit.
std::optional<VrrpDatagram> split_ipv4(std::span<const uint8_t> packet);

}  // namespace sluice::control
