// VRRP's sockets (control/vrrp_socket.cc): which address adverts leave from, IPv4's header
// split, and, in a network namespace of the test's own (root only), adverts of both families
// between real raw sockets on the two ends of a veth pair: what read_vrrp says of them is what
// parse_advert needs, and IPv6 checksums are ours on both ends.
#include "control/vrrp_socket.h"

#include <gtest/gtest.h>
#include <net/if.h>
#include <sched.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <cstring>

#include "common/ip_text.h"
#include "control/ha/vrrp_packet.h"

namespace sluice::control {
namespace {

IpAddress ip(const char* text) { return parse_ip(text).value(); }

config::Interface dual_stack() {
  config::Interface ifc;
  ifc.addresses = {{ip("198.18.0.1"), 24}, {ip("2001:db8::1"), 64}, {ip("2001:db8::2"), 64}};
  return ifc;
}

config::HaInstance instance(std::vector<IpAddress> addresses, std::vector<IpAddress> peers = {}) {
  config::HaInstance in;
  in.addresses = std::move(addresses);
  in.peers = std::move(peers);
  return in;
}

TEST(VrrpSocket, AdvertsLeaveFromTheLinkLocalAddressOverIpv6) {
  const std::optional<IpAddress> link_local = ip("fe80::c6ff:fe12:1");
  const config::Interface ifc = dual_stack();
  EXPECT_EQ(advert_source(instance({ip("2001:db8::15")}), ifc, link_local), link_local);
  EXPECT_EQ(advert_source(instance({ip("2001:db8::15")}, {ip("fe80::6")}), ifc, link_local),
            link_local);
  // Global peers name the interface's address: link-local traffic may not cross a cloud's
  // network.
  EXPECT_EQ(advert_source(instance({ip("2001:db8::15")}, {ip("2001:db8::6")}), ifc, link_local),
            ip("2001:db8::1"));
  EXPECT_EQ(advert_source(instance({ip("2001:db8::15")}), ifc, std::nullopt), std::nullopt);
  // IPv4, mixed or not: the interface's first IPv4 address, whatever the twin has.
  EXPECT_EQ(advert_source(instance({ip("198.18.0.10"), ip("2001:db8::15")}), ifc, link_local),
            ip("198.18.0.1"));
  EXPECT_EQ(advert_source(instance({ip("198.18.0.10")}, {ip("198.18.0.6")}), ifc, link_local),
            ip("198.18.0.1"));
}

TEST(VrrpSocket, TheGroupsAreRfc5798s) {
  EXPECT_EQ(format_ip(vrrp_group(false)), "224.0.0.18");
  EXPECT_EQ(format_ip(vrrp_group(true)), "ff02::12");
}

TEST(VrrpSocket, AnIpv4PacketIsSplitAtItsHeader) {
  // An IPv4 header of 24 bytes (one option word), TTL 255, 198.18.0.5 -> 224.0.0.18, then 3
  // bytes of message.
  std::array<uint8_t, 27> packet{0x46, 0, 0, 27, 0, 0, 0, 0, 255, 112, 0, 0, 198, 18, 0, 5,
                                 224,  0, 0, 18, 1, 1, 1, 1, 0x31, 7,  100};
  const std::optional<VrrpDatagram> d = split_ipv4(packet);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->source, ip("198.18.0.5"));
  EXPECT_EQ(d->destination, ip("224.0.0.18"));
  EXPECT_EQ(d->ttl, 255);
  EXPECT_EQ(d->message.size(), 3u);
  EXPECT_EQ(d->message[0], 0x31);
  EXPECT_FALSE(split_ipv4(std::span(packet).first(19)));  // shorter than any header
  packet[0] = 0x48;                                         // 32 bytes of header in 27
  EXPECT_FALSE(split_ipv4(packet));
  packet[0] = 0x44;  // 16: less than the header's fixed part
  EXPECT_FALSE(split_ipv4(packet));
}

// The link-local address of `device` once the kernel gave it one (at carrier, within a second).
std::optional<IpAddress> await_link_local(const std::string& device) {
  for (int tries = 0; tries < 200; ++tries) {
    if (std::optional<IpAddress> a = link_local_address(device)) return a;
    usleep(10'000);
  }
  return std::nullopt;
}

// Moves this test's thread into a network namespace of its own holding a veth pair vrrp0 -
// vrrp1 (198.18.0.1 and .2), up, IPv6 without duplicate address detection as sluiced sets
// its TAP twins up (control/ports.cc); false where that cannot be had (not root): the test
// skips. vrrp1 takes packets from vrrp0's address, which is local too in this one namespace.
bool veth_pair() {
  if (unshare(CLONE_NEWNET) != 0) return false;
  return std::system(
             "ip link add vrrp0 address 02:00:c6:12:00:01 type veth peer name vrrp1 "
             "address 02:00:c6:12:00:02 && "
             "echo 0 >/proc/sys/net/ipv6/conf/vrrp0/accept_dad && "
             "echo 0 >/proc/sys/net/ipv6/conf/vrrp1/accept_dad && "
             "echo 1 >/proc/sys/net/ipv4/conf/vrrp1/accept_local && "
             "ip addr add 198.18.0.1/24 dev vrrp0 && ip addr add 198.18.0.2/24 dev vrrp1 && "
             "ip link set vrrp0 up && ip link set vrrp1 up") == 0 &&
         await_link_local("vrrp1");  // carrier on both ends
}

// A socket of VRRP on each end of the pair, as ha_instances opens them.
struct Pair {
  unsigned index0 = if_nametoindex("vrrp0");
  int fd0, fd1;
  explicit Pair(bool ipv6)
      : fd0(open_vrrp_socket("vrrp0", index0, ipv6)),
        fd1(open_vrrp_socket("vrrp1", if_nametoindex("vrrp1"), ipv6)) {}
  ~Pair() {
    close(fd0);
    close(fd1);
  }
};

// The next datagram on `fd`, waiting up to a second for it.
VrrpRead await(int fd, bool ipv6, std::span<uint8_t> buffer, VrrpDatagram& out) {
  VrrpRead r = VrrpRead::none;
  for (int tries = 0; tries < 100 && r == VrrpRead::none; ++tries) {
    r = read_vrrp(fd, ipv6, buffer, out);
    if (r == VrrpRead::none) usleep(10'000);
  }
  return r;
}

TEST(VrrpSocket, TheKernelsLinkLocalAddressIsFound) {
  if (!veth_pair()) GTEST_SKIP() << "no network namespace of our own (not root?)";
  // EUI-64 of the MAC (RFC 4291 appendix A).
  EXPECT_EQ(await_link_local("vrrp0"), ip("fe80::c6ff:fe12:1"));
  EXPECT_EQ(link_local_address("lo"), std::nullopt);  // ::1 only
  EXPECT_EQ(link_local_address("nosuch"), std::nullopt);
}

TEST(VrrpSocket, AnIpv6AdvertGoesToTheGroupFromTheLinkLocalAddress) {
  if (!veth_pair()) GTEST_SKIP() << "no network namespace of our own (not root?)";
  const std::optional<IpAddress> own = await_link_local("vrrp0");
  ASSERT_TRUE(own);
  const Pair pair(true);
  ASSERT_GE(pair.fd0, 0) << std::strerror(errno);
  ASSERT_GE(pair.fd1, 0) << std::strerror(errno);
  const IpAddress group = vrrp_group(true);
  const std::vector<uint8_t> sent = ha::build_advert({51, 100, 20, {ip("2001:db8::15")}}, *own, group);
  ASSERT_TRUE(send_vrrp(pair.fd0, sent, *own, group, pair.index0)) << std::strerror(errno);
  std::array<uint8_t, 4096> buffer{};
  VrrpDatagram d;
  ASSERT_EQ(await(pair.fd1, true, buffer, d), VrrpRead::datagram);
  EXPECT_EQ(d.source, *own);
  EXPECT_EQ(d.destination, group);
  EXPECT_EQ(d.ttl, 255) << "hop limit";
  EXPECT_EQ(std::vector(d.message.begin(), d.message.end()), sent);
  const ha::ParsedAdvert p = ha::parse_advert(d.message, d.source, d.destination, d.ttl);
  ASSERT_TRUE(p.advert) << ha::to_string(p.drop);
  EXPECT_EQ(p.advert->addresses, (std::vector{ip("2001:db8::15")}));
  EXPECT_EQ(read_vrrp(pair.fd0, true, buffer, d), VrrpRead::none) << "our own multicast came back";
}

TEST(VrrpSocket, ABadIpv6ChecksumReachesTheParserToBeCounted) {
  if (!veth_pair()) GTEST_SKIP() << "no network namespace of our own (not root?)";
  const std::optional<IpAddress> own = await_link_local("vrrp0");
  ASSERT_TRUE(own);
  const Pair pair(true);
  // With IPV6_CHECKSUM the kernel would mend ours on the way out, or drop it unseen on the way
  // in.
  std::vector<uint8_t> sent = ha::build_advert({51, 100, 20, {ip("2001:db8::15")}}, *own,
                                               vrrp_group(true));
  sent[6] ^= 0xff;
  ASSERT_TRUE(send_vrrp(pair.fd0, sent, *own, vrrp_group(true), pair.index0));
  std::array<uint8_t, 4096> buffer{};
  VrrpDatagram d;
  ASSERT_EQ(await(pair.fd1, true, buffer, d), VrrpRead::datagram);
  EXPECT_EQ(std::vector(d.message.begin(), d.message.end()), sent);
  EXPECT_EQ(ha::parse_advert(d.message, d.source, d.destination, d.ttl).drop,
            ha::VrrpDrop::bad_checksum);
}

TEST(VrrpSocket, AnIpv4AdvertGoesToTheGroupAsBefore) {
  if (!veth_pair()) GTEST_SKIP() << "no network namespace of our own (not root?)";
  const Pair pair(false);
  ASSERT_GE(pair.fd0, 0) << std::strerror(errno);
  const IpAddress own = ip("198.18.0.1"), group = vrrp_group(false);
  const std::vector<uint8_t> sent = ha::build_advert({51, 100, 20, {ip("198.18.0.15")}}, own, group);
  ASSERT_TRUE(send_vrrp(pair.fd0, sent, own, group, pair.index0)) << std::strerror(errno);
  std::array<uint8_t, 4096> buffer{};
  VrrpDatagram d;
  ASSERT_EQ(await(pair.fd1, false, buffer, d), VrrpRead::datagram);
  EXPECT_EQ(d.source, own);  // the kernel's choice: the device's first address
  EXPECT_EQ(d.destination, group);
  EXPECT_EQ(d.ttl, 255);
  EXPECT_TRUE(ha::parse_advert(d.message, d.source, d.destination, d.ttl).advert);
}

}  // namespace
}  // namespace sluice::control
