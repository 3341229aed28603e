#include "control/vrrp_socket.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "control/ha/vrrp_packet.h"

namespace sluice::control {
namespace {

constexpr uint32_t kVrrpGroup4 = 0xe0000012;  // 224.0.0.18, host order
constexpr size_t kIpv4Header = 20;

sockaddr_in ipv4_socket_address(const IpAddress& a) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(a.to_v4());
  return sa;
}

in6_addr in6(const IpAddress& a) {
  in6_addr out{};
  std::memcpy(out.s6_addr, a.bytes.data(), 16);
  return out;
}

IpAddress from_in6(const in6_addr& a) {
  IpAddress out;
  std::memcpy(out.bytes.data(), a.s6_addr, 16);
  return out;
}

bool configure_ipv4(int fd, unsigned ifindex) {
  const int ttl = ha::kVrrpTtl;
  const int off = 0;
  ip_mreqn group{};
  group.imr_multiaddr.s_addr = htonl(kVrrpGroup4);
  group.imr_ifindex = static_cast<int>(ifindex);
  ip_mreqn out{};
  out.imr_ifindex = static_cast<int>(ifindex);
  return setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof ttl) == 0 &&
         setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl) == 0 &&
         setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &off, sizeof off) == 0 &&
         setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &out, sizeof out) == 0 &&
         setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &group, sizeof group) == 0;
}

// The hop limit is checked on receipt (RFC 5798 7.1) and the destination is in the checksum:
// both come as control messages, since the kernel keeps the IPv6 header.
bool configure_ipv6(int fd, unsigned ifindex) {
  const int hops = ha::kVrrpTtl;
  const int off = 0;
  const int on = 1;
  const int index = static_cast<int>(ifindex);
  ipv6_mreq group{};
  group.ipv6mr_multiaddr = in6(vrrp_group(true));
  group.ipv6mr_interface = ifindex;
  return setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops, sizeof hops) == 0 &&
         setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof hops) == 0 &&
         setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &off, sizeof off) == 0 &&
         setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &index, sizeof index) == 0 &&
         setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &group, sizeof group) == 0 &&
         setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &on, sizeof on) == 0 &&
         setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof on) == 0;
}

bool send_ipv4(int fd, std::span<const uint8_t> message, const IpAddress& to) {
  const sockaddr_in sa = ipv4_socket_address(to);
  return sendto(fd, message.data(), message.size(), 0, reinterpret_cast<const sockaddr*>(&sa),
                sizeof sa) == static_cast<ssize_t>(message.size());
}

// The header of a message of one buffer to or from `peer`, with `control` for its control
// messages.
msghdr message_header(sockaddr_in6& peer, iovec& buffer, std::span<uint8_t> control) {
  msghdr m{};
  m.msg_name = &peer;
  m.msg_namelen = sizeof peer;
  m.msg_iov = &buffer;
  m.msg_iovlen = 1;
  m.msg_control = control.data();
  m.msg_controllen = control.size();
  return m;
}

bool send_ipv6(int fd, std::span<const uint8_t> message, const IpAddress& source,
               const IpAddress& to, unsigned ifindex) {
  sockaddr_in6 sa{};
  sa.sin6_family = AF_INET6;
  sa.sin6_addr = in6(to);
  sa.sin6_scope_id = ifindex;  // a link-local peer's zone; the kernel ignores it for others
  in6_pktinfo from{};
  from.ipi6_addr = in6(source);
  from.ipi6_ifindex = ifindex;
  alignas(cmsghdr) uint8_t control[CMSG_SPACE(sizeof from)]{};
  iovec iov{const_cast<uint8_t*>(message.data()), message.size()};
  msghdr m = message_header(sa, iov, control);
  cmsghdr* c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = IPPROTO_IPV6;
  c->cmsg_type = IPV6_PKTINFO;
  c->cmsg_len = CMSG_LEN(sizeof from);
  std::memcpy(CMSG_DATA(c), &from, sizeof from);
  return sendmsg(fd, &m, 0) == static_cast<ssize_t>(message.size());
}

VrrpRead read_ipv4(int fd, std::span<uint8_t> buffer, VrrpDatagram& out) {
  const ssize_t n = recv(fd, buffer.data(), buffer.size(), 0);
  if (n < 0) return VrrpRead::none;
  const std::optional<VrrpDatagram> d = split_ipv4(buffer.first(static_cast<size_t>(n)));
  if (!d) return VrrpRead::truncated;
  out = *d;
  return VrrpRead::datagram;
}

VrrpRead read_ipv6(int fd, std::span<uint8_t> buffer, VrrpDatagram& out) {
  sockaddr_in6 from{};
  alignas(cmsghdr) uint8_t control[CMSG_SPACE(sizeof(in6_pktinfo)) + CMSG_SPACE(sizeof(int))];
  iovec iov{buffer.data(), buffer.size()};
  msghdr m = message_header(from, iov, control);
  const ssize_t n = recvmsg(fd, &m, 0);
  if (n < 0) return VrrpRead::none;
  out = {.message = buffer.first(static_cast<size_t>(n)), .source = from_in6(from.sin6_addr),
         .destination = {}, .ttl = 0};
  for (cmsghdr* c = CMSG_FIRSTHDR(&m); c != nullptr; c = CMSG_NXTHDR(&m, c)) {
    if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT) {
      int hops = 0;
      std::memcpy(&hops, CMSG_DATA(c), sizeof hops);
      out.ttl = static_cast<uint8_t>(std::clamp(hops, 0, 255));
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
      in6_pktinfo to{};
      std::memcpy(&to, CMSG_DATA(c), sizeof to);
      out.destination = from_in6(to.ipi6_addr);
    }
  }
  return VrrpRead::datagram;
}

const Prefix* first_of_family(const config::Interface& ifc, bool ipv6) {
  const auto it = std::ranges::find_if(
      ifc.addresses, [ipv6](const Prefix& p) { return p.address.is_v4() != ipv6; });
  return it == ifc.addresses.end() ? nullptr : &*it;
}

}  // namespace

IpAddress vrrp_group(bool ipv6) {
  if (!ipv6) return IpAddress::v4(kVrrpGroup4);
  IpAddress group;
  group.bytes[0] = 0xff;
  group.bytes[1] = 0x02;
  group.bytes[15] = 0x12;
  return group;
}

std::optional<IpAddress> advert_source(const config::HaInstance& instance,
                                       const config::Interface& ifc,
                                       const std::optional<IpAddress>& link_local) {
  const bool global_peers = !instance.peers.empty() && !instance.peers.front().is_link_local();
  if (instance.ipv6() && !global_peers) return link_local;
  const Prefix* own = first_of_family(ifc, instance.ipv6());
  if (own == nullptr) return std::nullopt;
  return own->address;
}

std::optional<IpAddress> link_local_address(const std::string& device) {
  ifaddrs* all = nullptr;
  if (getifaddrs(&all) != 0) return std::nullopt;
  std::optional<IpAddress> found;
  for (const ifaddrs* a = all; a != nullptr && !found; a = a->ifa_next) {
    if (a->ifa_addr == nullptr || a->ifa_addr->sa_family != AF_INET6 || device != a->ifa_name) {
      continue;
    }
    const IpAddress ip = from_in6(reinterpret_cast<const sockaddr_in6*>(a->ifa_addr)->sin6_addr);
    if (ip.is_link_local()) found = ip;
  }
  freeifaddrs(all);
  return found;
}

int open_vrrp_socket(const std::string& device, unsigned ifindex, bool ipv6) {
  const int fd = socket(ipv6 ? AF_INET6 : AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
                        ha::kVrrpProtocol);
  if (fd < 0) return -1;
  const bool ok = setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, device.c_str(),
                             static_cast<socklen_t>(device.size())) == 0 &&
                  (ipv6 ? configure_ipv6(fd, ifindex) : configure_ipv4(fd, ifindex));
  if (!ok) {
    const int error = errno;
    close(fd);
    errno = error;
    return -1;
  }
  return fd;
}

bool send_vrrp(int fd, std::span<const uint8_t> message, const IpAddress& source,
               const IpAddress& to, unsigned ifindex) {
  return to.is_v4() ? send_ipv4(fd, message, to) : send_ipv6(fd, message, source, to, ifindex);
}

VrrpRead read_vrrp(int fd, bool ipv6, std::span<uint8_t> buffer, VrrpDatagram& out) {
  return ipv6 ? read_ipv6(fd, buffer, out) : read_ipv4(fd, buffer, out);
}

std::optional<VrrpDatagram> split_ipv4(std::span<const uint8_t> packet) {
  if (packet.size() < kIpv4Header) return std::nullopt;
  const size_t header = static_cast<size_t>(packet[0] & 0x0f) * 4;
  if (header < kIpv4Header || header > packet.size()) return std::nullopt;
  const auto address_at = [&packet](size_t at) {
    return IpAddress::v4(uint32_t{packet[at]} << 24 | uint32_t{packet[at + 1]} << 16 |
                         uint32_t{packet[at + 2]} << 8 | packet[at + 3]);
  };
  return VrrpDatagram{.message = packet.subspan(header), .source = address_at(12),
                      .destination = address_at(16), .ttl = packet[8]};
}

}  // namespace sluice::control
