#include "control/ports.h"

#include <gtest/gtest.h>

#include "config/load.h"

namespace sluice::control {
namespace {

TEST(Ports, EalArgumentsComeFromTheConfig) {
  config::LoadResult r = config::load_string(R"(
eal: { lcores: "0-2", memory_mb: 1024, no_huge: true, file_prefix: lb1, extra_args: ["--no-pci"] }
workers: { count: 2 }
interfaces:
  - { name: a, device: "net_af_packet0,iface=veth0,qpairs=2", addresses: [198.18.0.1/24] }
  - { name: b, device: "0000:03:00.0", addresses: [198.18.1.1/24] }
)",
                                             "t.yaml");
  ASSERT_TRUE(r.config) << r.errors.front().format();
  EXPECT_EQ(
      eal_arguments(*r.config),
      (std::vector<std::string>{"sluiced", "--lcores", "0-2", "-m", "1024", "--file-prefix", "lb1",
                                "--no-huge", "--vdev", "net_af_packet0,iface=veth0,qpairs=2", "-a",
                                "0000:03:00.0", "--no-pci"}));
}

TEST(Ports, PortNamesAreTheDeviceNameWithoutArguments) {
  EXPECT_EQ(port_name_of("net_af_packet0,iface=veth0"), "net_af_packet0");
  EXPECT_EQ(port_name_of("0000:03:00.0"), "0000:03:00.0");
}

// Every place an mbuf can wait, summed (control/ports.cc): 8 workers, 2 interfaces.
TEST(Ports, ThePacketPoolHoldsEveryRingFullAtOnce) {
  const uint32_t descriptors = 2 * 8 * (1024 + 1024);
  const uint32_t taps = 2 * (512 + 512);
  const uint32_t handoff = 8 * 7 * 1023;
  const uint32_t kernel = 9 * 1023;
  const uint32_t in_hand = 9 * 512;
  const uint32_t caches = 9 * 384;
  EXPECT_EQ(packet_pool_size(8, 2), descriptors + taps + handoff + kernel + in_hand + caches);
  EXPECT_EQ(packet_pool_size(8, 2), 109375u);
  // One worker: no hand-off rings.
  EXPECT_EQ(packet_pool_size(1, 2), 2 * 2048u + 2048 + 2 * 1023 + 2 * 512 + 2 * 384);
}

}  // namespace
}  // namespace sluice::control
