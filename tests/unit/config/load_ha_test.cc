// The loader's `ha` section: VRRP instances, and every way one can be wrong, with the line.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <fstream>

#include "tests/unit/config/load_support.h"

namespace sluice::config {
namespace {

// kOneService (web at 198.18.0.10, nat) with one real server, then `ha` text.
std::string with_ha(const std::string& ha) {
  return kOneService + "    real_servers: [{ address: 198.18.1.21, port: 8080 }]\n" + ha;
}

TEST(LoadHa, AnInstanceIsRead) {
  const Config c = load_valid(with_ha(
      "ha:\n  instances:\n"
      "    - { name: front, interface: front, vrid: 51, priority: 150, interval: 0.2,\n"
      "        preempt: false, preempt_delay: 30, peers: [198.18.0.3], addresses: [198.18.0.10] }\n"));
  ASSERT_EQ(c.ha.instances.size(), 1u);
  const HaInstance& in = c.ha.instances[0];
  EXPECT_EQ(in.name, "front");
  EXPECT_EQ(in.interface, "front");
  EXPECT_EQ(in.vrid, 51);
  EXPECT_EQ(in.priority, 150);
  EXPECT_EQ(in.interval_cs, 20);
  EXPECT_FALSE(in.preempt);
  EXPECT_EQ(in.preempt_delay_ms, 30000u);
  EXPECT_EQ(in.peers, (std::vector{ip("198.18.0.3")}));
  EXPECT_EQ(in.addresses, (std::vector{ip("198.18.0.10")}));
}

TEST(LoadHa, DefaultsAreKeepalivedsAndNoSectionIsNoInstance) {
  EXPECT_TRUE(load_valid(with_ha("")).ha.instances.empty());
  const HaInstance in = load_valid(with_ha("ha:\n  instances:\n    - { name: a, interface: front, "
                                           "vrid: 1, addresses: [198.18.0.10] }\n"))
                            .ha.instances.at(0);
  EXPECT_EQ(in.priority, 100);
  EXPECT_EQ(in.interval_cs, 100);
  EXPECT_TRUE(in.preempt);
  EXPECT_TRUE(in.peers.empty());
  EXPECT_EQ(in.garp, Garp{});
  EXPECT_EQ(in.garp.repeat, 5u);  // keepalived's garp_master_repeat
  EXPECT_EQ(in.garp.delay_ms, 5000u);
}

TEST(LoadHa, GarpTimingAndGatewayAddressesAreRead) {
  const HaInstance in = load_valid(with_ha(
      "ha:\n  instances:\n    - { name: a, interface: front, vrid: 1,\n"
      "        addresses: [198.18.0.10, 198.18.1.254],\n"
      "        garp: { repeat: 3, interval: 0.05, delay: 0, refresh: 60 } }\n")).ha.instances.at(0);
  EXPECT_EQ(in.addresses, (std::vector{ip("198.18.0.10"), ip("198.18.1.254")}));
  EXPECT_EQ(in.garp, (Garp{.repeat = 3, .interval_ms = 50, .delay_ms = 0, .refresh_ms = 60000}));
}

TEST(LoadHa, BadValuesAreNamed) {
  const Lines errors = errors_of(with_ha(
      "ha:\n  instances:\n"
      "    - { name: a, interface: front, vrid: 0, priority: 256, interval: 0.005,\n"
      "        peers: [\"2001:db8::1\"], addresses: [198.18.0.10], garp: { repeat: 0, colour: red } }\n"));
  ASSERT_EQ(errors.size(), 6u);
  EXPECT_NE(errors[0].find("instances[0].vrid: out of range: 0 (expected 1..255)"), std::string::npos) << errors[0];
  EXPECT_NE(errors[1].find("priority: out of range: 256"), std::string::npos) << errors[1];
  EXPECT_NE(errors[2].find("interval: out of range: 0.005"), std::string::npos) << errors[2];
  EXPECT_NE(errors[3].find("2001:db8::1 is IPv6 but the instance runs over IPv4 (it has IPv4 addresses)"), std::string::npos) << errors[3];
  EXPECT_NE(errors[4].find("garp.repeat: out of range: 0 (expected 1..100)"), std::string::npos) << errors[4];
  EXPECT_NE(errors[5].find("garp: unknown key 'colour'"), std::string::npos) << errors[5];
  const Lines cs = errors_of(with_ha("ha:\n  instances:\n    - { name: a, interface: front, vrid: 1, "
                                     "interval: 0.125, addresses: [198.18.0.10] }\n"));
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_NE(cs[0].find("hundredths of a second"), std::string::npos) << cs[0];
}

TEST(LoadHa, WhatNeedsTheWholeFileIsChecked) {
  const Lines errors = errors_of(with_ha(
      "ha:\n  instances:\n"
      "    - { name: a, interface: nowhere, vrid: 1, addresses: [198.18.9.99] }\n"
      "    - { name: a, interface: front, vrid: 2, addresses: [198.18.0.10] }\n"
      "    - { name: b, interface: front, vrid: 2, addresses: [198.18.0.10] }\n"));
  ASSERT_EQ(errors.size(), 5u);
  EXPECT_NE(errors[0].find("no interface named nowhere"), std::string::npos) << errors[0];
  EXPECT_NE(errors[1].find("198.18.9.99 is no virtual service or snat pool address, nor on a connected subnet"), std::string::npos) << errors[1];
  EXPECT_NE(errors[2].find("instance name a is used twice"), std::string::npos) << errors[2];
  EXPECT_NE(errors[3].find("vrid 2 is used twice on front"), std::string::npos) << errors[3];
  EXPECT_NE(errors[4].find("198.18.0.10 floats in two instances"), std::string::npos) << errors[4];
}

TEST(LoadHa, TrackingIsReadAndItsNamesChecked) {
  const HaInstance in = load_valid(with_ha(
      "ha:\n  instances:\n    - { name: a, interface: front, vrid: 1, addresses: [198.18.0.10],\n"
      "        track: { interfaces: [front, back], services: [web], workers: false, weight: 60 } }\n"))
                            .ha.instances.at(0);
  EXPECT_EQ(in.track, (Track{.interfaces = {"front", "back"}, .services = {"web"}, .workers = false,
                             .weight = 60}));
  EXPECT_EQ(Track{}.workers, true);  // a stuck worker is fault unless told otherwise
  const Lines errors = errors_of(with_ha(
      "ha:\n  instances:\n    - { name: a, interface: front, vrid: 1, addresses: [198.18.0.10],\n"
      "        track: { interfaces: [wan], services: [mail] } }\n"));
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_NE(errors[0].find("track: no interface named wan"), std::string::npos) << errors[0];
  EXPECT_NE(errors[1].find("track: no virtual service named mail"), std::string::npos) << errors[1];
  const Lines weight = errors_of(with_ha(
      "ha:\n  instances:\n    - { name: a, interface: front, vrid: 1, addresses: [198.18.0.10],\n"
      "        track: { weight: 255, workers: sometimes } }\n"));
  ASSERT_EQ(weight.size(), 2u);
  EXPECT_NE(weight[0].find("track.weight: out of range: 255 (expected 0..254)"), std::string::npos) << weight[0];
  EXPECT_NE(weight[1].find("track.workers"), std::string::npos) << weight[1];
}

// A key file in the test's temporary directory with `bytes` and `mode`.
std::string key_file(const std::string& name, const std::string& bytes, mode_t mode) {
  const std::string path = ::testing::TempDir() + name;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  chmod(path.c_str(), mode);
  return path;
}

std::string with_sync(const std::string& sync) {
  return with_ha("ha:\n  sync: " + sync + "\n  instances:\n"
                 "    - { name: a, interface: front, vrid: 1, addresses: [198.18.0.10] }\n");
}

TEST(LoadHa, SyncIsReadWithItsKey) {
  const std::string key = key_file("sync.key", "0123456789abcdef0123456789abcdef\n", 0600);
  const Config c = load_valid(with_sync("{ interface: back, peer: 198.18.1.6, port: 7790, key_file: " +
                                        key + ", refresh: 2.5 }"));
  ASSERT_TRUE(c.ha.sync);
  EXPECT_EQ(c.ha.sync->interface, "back");
  EXPECT_EQ(c.ha.sync->peer, ip("198.18.1.6"));
  EXPECT_EQ(c.ha.sync->port, 7790);
  EXPECT_EQ(c.ha.sync->refresh_ms, 2500u);
  EXPECT_EQ(std::string(c.ha.sync->key.begin(), c.ha.sync->key.end()),
            "0123456789abcdef0123456789abcdef");  // the newline is not part of it
  EXPECT_FALSE(load_valid(with_ha("")).ha.sync);
}

TEST(LoadHa, ABadKeyFileIsNamedAndItsBytesNeverShown) {
  const std::string good = key_file("good.key", std::string(32, 'k'), 0600);
  const struct {
    std::string path, expected;
  } cases[] = {
      {::testing::TempDir() + "missing.key", "cannot read key file"},
      {key_file("open.key", std::string(32, 'k'), 0644), "may be read by others (chmod 600 it)"},
      {key_file("short.key", "secret", 0600), "must hold 16 to 1024 bytes"},
      {key_file("long.key", std::string(4096, 'k'), 0600), "must hold 16 to 1024 bytes"},
  };
  for (const auto& c : cases) {
    const Lines errors = errors_of(with_sync("{ interface: back, peer: 198.18.1.6, key_file: " + c.path + " }"));
    ASSERT_EQ(errors.size(), 1u) << c.path;
    EXPECT_NE(errors[0].find("ha.sync.key_file: "), std::string::npos) << errors[0];
    EXPECT_NE(errors[0].find(c.expected), std::string::npos) << errors[0];
    EXPECT_EQ(errors[0].find("kkkk"), std::string::npos) << errors[0];
  }
  const Lines wrong = errors_of(with_sync("{ interface: wan, peer: 198.18.1.1, port: 0, key_file: " + good + " }"));
  ASSERT_EQ(wrong.size(), 1u);  // the port; the rest is judged once the item is whole
  EXPECT_NE(wrong[0].find("ha.sync.port: out of range: 0"), std::string::npos) << wrong[0];
  const Lines across = errors_of(with_sync("{ interface: wan, peer: 198.18.1.1, key_file: " + good + " }"));
  ASSERT_EQ(across.size(), 1u);
  EXPECT_NE(across[0].find("no interface named wan"), std::string::npos) << across[0];
  const Lines own = errors_of(with_sync("{ interface: back, peer: 198.18.1.1, key_file: " + good + " }"));
  ASSERT_EQ(own.size(), 1u);
  EXPECT_NE(own[0].find("198.18.1.1 is an address of this appliance (interface back)"), std::string::npos) << own[0];
  const Lines family = errors_of(with_sync("{ interface: back, peer: \"2001:db8::6\", key_file: " + good + " }"));
  ASSERT_EQ(family.size(), 1u);
  EXPECT_NE(family[0].find("interface back has no IPv6 address to sync from"), std::string::npos) << family[0];
}

TEST(LoadHa, AGatewayMustBeAnAddressOfItsOwnOnAConnectedSubnet) {
  const Lines errors = errors_of(with_ha(
      "ha:\n  instances:\n"
      "    - { name: a, interface: front, vrid: 1, addresses: [198.18.1.1, 198.18.1.21] }\n"));
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_NE(errors[0].find("198.18.1.1 is an address of interface back"), std::string::npos) << errors[0];
  EXPECT_NE(errors[1].find("198.18.1.21 is a real server of web"), std::string::npos) << errors[1];
}

// `yaml` has one error, and it says `expected`.
void expect_only_error(const std::string& yaml, const std::string& expected) {
  const Lines errors = errors_of(yaml);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find(expected), std::string::npos) << errors[0];
}

// with_ha's file with IPv6 on front (2001:db8::1/64) and a dr service at 2001:db8::15 on
// lines 11-12, then `ha` text from line 13 (its first instance on line 15).
std::string with_ha6(const std::string& ha) {
  std::string yaml = with_ha("");
  yaml.replace(yaml.find("[198.18.0.1/24]"), 15, "[198.18.0.1/24, \"2001:db8::1/64\"]");
  return yaml +
         "  - { name: web6, address: \"2001:db8::15\", ports: [80], protocol: tcp, mode: dr,\n"
         "      real_servers: [{ address: \"2001:db8::21\" }] }\n" + ha;
}

TEST(LoadHa, AnInstanceOfIpv6AddressesRunsOverIpv6) {
  const std::vector<HaInstance> read = load_valid(with_ha6(
      "ha:\n  instances:\n"
      "    - { name: v6, interface: front, vrid: 51, addresses: [\"2001:db8::15\", \"2001:db8::fe\"] }\n"
      "    - { name: both, interface: front, vrid: 52, addresses: [198.18.0.10, \"2001:db8::16\"] }\n"))
      .ha.instances;
  ASSERT_EQ(read.size(), 2u);
  EXPECT_TRUE(read[0].ipv6());
  EXPECT_EQ(read[0].addresses, (std::vector{ip("2001:db8::15"), ip("2001:db8::fe")}));
  // A mixed instance runs over IPv4, its IPv6 address moving with it.
  EXPECT_FALSE(read[1].ipv6());
  EXPECT_EQ(read[1].addresses, (std::vector{ip("198.18.0.10"), ip("2001:db8::16")}));
  EXPECT_FALSE(HaInstance{}.ipv6());
}

TEST(LoadHa, Ipv6PeersAreAllGlobalOrAllLinkLocal) {
  const Config c = load_valid(with_ha6(
      "ha:\n  instances:\n"
      "    - { name: a, interface: front, vrid: 1, peers: [\"2001:db8::6\", \"2001:db8::7\"],\n"
      "        addresses: [\"2001:db8::15\"] }\n"
      "    - { name: b, interface: front, vrid: 2, peers: [\"fe80::6\"], addresses: [\"2001:db8::16\"] }\n"));
  EXPECT_EQ(c.ha.instances.at(0).peers, (std::vector{ip("2001:db8::6"), ip("2001:db8::7")}));
  EXPECT_EQ(c.ha.instances.at(1).peers, (std::vector{ip("fe80::6")}));
}

TEST(LoadHa, TheSameVridMayRunOverEachFamilyOnce) {
  EXPECT_EQ(load_valid(with_ha6("ha:\n  instances:\n"
                                "    - { name: a, interface: front, vrid: 7, addresses: [198.18.0.10] }\n"
                                "    - { name: b, interface: front, vrid: 7, addresses: [\"2001:db8::15\"] }\n"))
                .ha.instances.size(),
            2u);
  expect_only_error(
      with_ha6("ha:\n  instances:\n"
               "    - { name: a, interface: front, vrid: 7, addresses: [\"2001:db8::15\"] }\n"
               "    - { name: b, interface: front, vrid: 7, addresses: [\"2001:db8::16\"] }\n"),
      "test.yaml:16:42: ha.instances[1].vrid: vrid 7 is used twice on front over IPv6");
}

TEST(LoadHa, AnIpv6InstanceNeedsIpv6OnItsInterface) {
  expect_only_error(
      with_ha6("ha:\n  instances:\n"
               "    - { name: a, interface: back, vrid: 1, addresses: [\"2001:db8::15\"] }\n"),
      "test.yaml:15:29: ha.instances[0].interface: interface back has no IPv6 address: an "
      "instance whose addresses are all IPv6 runs over IPv6");
}

TEST(LoadHa, HostileIpv6PeersAreNamedWithTheirLine) {
  const Lines errors = errors_of(with_ha6(
      "ha:\n  instances:\n"
      "    - { name: a, interface: front, vrid: 1, addresses: [\"2001:db8::15\"],\n"
      "        peers: [198.18.0.3, \"ff02::12\", \"::\", \"::1\", \"2001:db8::6\", \"fe80::6\"] }\n"
      "    - { name: b, interface: front, vrid: 2, addresses: [\"2001:db8::16\"],\n"
      "        peers: [\"fe80::6\", \"2001:db8::6\"] }\n"
      "    - { name: c, interface: front, vrid: 3, addresses: [198.18.0.10], peers: [169.254.0.6] }\n"));
  ASSERT_EQ(errors.size(), 7u);
  EXPECT_NE(errors[0].find("test.yaml:16:17: ha.instances[0].peers[0]: 198.18.0.3 is IPv4 but the "
                           "instance runs over IPv6 (its addresses are all IPv6)"),
            std::string::npos) << errors[0];
  EXPECT_NE(errors[1].find("peers[1]: ff02::12 is a multicast address"), std::string::npos) << errors[1];
  EXPECT_NE(errors[2].find("peers[2]: :: is the unspecified address"), std::string::npos) << errors[2];
  EXPECT_NE(errors[3].find("peers[3]: ::1 is a loopback address"), std::string::npos) << errors[3];
  EXPECT_NE(errors[4].find("peers[5]: fe80::6 is link-local and 2001:db8::6 is not: peers are all "
                           "link-local or all global"),
            std::string::npos) << errors[4];
  EXPECT_NE(errors[5].find("test.yaml:18:28: ha.instances[1].peers[1]: 2001:db8::6 is global and "
                           "fe80::6 is not"),
            std::string::npos) << errors[5];
  EXPECT_NE(errors[6].find("instances[2].peers[0]: 169.254.0.6 is a link-local address"),
            std::string::npos) << errors[6];
}

TEST(LoadHa, PeersAreNotJudgedAgainstAddressesInError) {
  // The family is the addresses': with one of them wrong it is unknown, and only that is said.
  expect_only_error(
      with_ha6("ha:\n  instances:\n"
               "    - { name: a, interface: front, vrid: 1,\n"
               "        addresses: [\"2001:db8::15\", 2001:db8::zz], peers: [198.18.0.3] }\n"),
      "ha.instances[0].addresses[1]: ");
}

}  // namespace
}  // namespace sluice::config
