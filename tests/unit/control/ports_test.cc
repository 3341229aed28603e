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

}  // namespace
}  // namespace sluice::control
