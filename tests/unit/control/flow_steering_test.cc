#include "control/flow_steering.h"

#include <gtest/gtest.h>
#include <rte_bus_vdev.h>
#include <rte_ethdev.h>

#include <cstring>

namespace sluice::control {
namespace {

using Match = FlowRule::Match;

TEST(RteFlowRule, MatchesTheDestinationAddressAndSourcePortBits) {
  const RteFlowRule r(FlowRule{Match::destination, IpAddress::v4(0xc612000b),
                               Protocol::tcp, Match::source, 0x0004, 0x0006, 2},
                      true);
  EXPECT_EQ(r.attr.ingress, 1u);
  EXPECT_EQ(r.attr.priority, 0u);  // rules on a destination address come first
  ASSERT_EQ(r.pattern[0].type, RTE_FLOW_ITEM_TYPE_ETH);
  EXPECT_EQ(r.pattern[0].spec, nullptr);
  ASSERT_EQ(r.pattern[1].type, RTE_FLOW_ITEM_TYPE_IPV4);
  const auto* ip = static_cast<const rte_flow_item_ipv4*>(r.pattern[1].spec);
  const auto* ip_mask = static_cast<const rte_flow_item_ipv4*>(r.pattern[1].mask);
  EXPECT_EQ(ip->hdr.dst_addr, RTE_BE32(0xc612000b));
  EXPECT_EQ(ip_mask->hdr.dst_addr, RTE_BE32(0xffffffff));
  EXPECT_EQ(ip_mask->hdr.src_addr, 0u);
  ASSERT_EQ(r.pattern[2].type, RTE_FLOW_ITEM_TYPE_TCP);
  const auto* tcp = static_cast<const rte_flow_item_tcp*>(r.pattern[2].spec);
  const auto* tcp_mask = static_cast<const rte_flow_item_tcp*>(r.pattern[2].mask);
  EXPECT_EQ(tcp->hdr.src_port, RTE_BE16(0x0004));
  EXPECT_EQ(tcp_mask->hdr.src_port, RTE_BE16(0x0006));
  EXPECT_EQ(tcp_mask->hdr.dst_port, 0u);
  EXPECT_EQ(r.pattern[3].type, RTE_FLOW_ITEM_TYPE_END);
  ASSERT_EQ(r.actions[0].type, RTE_FLOW_ACTION_TYPE_QUEUE);
  EXPECT_EQ(static_cast<const rte_flow_action_queue*>(r.actions[0].conf)->index, 2u);
  EXPECT_EQ(r.actions[1].type, RTE_FLOW_ACTION_TYPE_END);
}

TEST(RteFlowRule, MatchesTheSourceAddressAndDestinationPortBitsOfUdp) {
  const RteFlowRule r(FlowRule{Match::source, IpAddress::v4(0xc6120115),
                               Protocol::udp, Match::destination, 0x0002, 0x0002, 1},
                      true);
  EXPECT_EQ(r.attr.priority, 1u);  // after a VIP's rule, should a server be a client too
  const auto* ip = static_cast<const rte_flow_item_ipv4*>(r.pattern[1].spec);
  const auto* ip_mask = static_cast<const rte_flow_item_ipv4*>(r.pattern[1].mask);
  EXPECT_EQ(ip->hdr.src_addr, RTE_BE32(0xc6120115));
  EXPECT_EQ(ip_mask->hdr.dst_addr, 0u);
  ASSERT_EQ(r.pattern[2].type, RTE_FLOW_ITEM_TYPE_UDP);
  const auto* udp = static_cast<const rte_flow_item_udp*>(r.pattern[2].spec);
  const auto* udp_mask = static_cast<const rte_flow_item_udp*>(r.pattern[2].mask);
  EXPECT_EQ(udp->hdr.dst_port, RTE_BE16(0x0002));
  EXPECT_EQ(udp_mask->hdr.dst_port, RTE_BE16(0x0002));
  EXPECT_EQ(udp_mask->hdr.src_port, 0u);
}

TEST(RteFlowRule, OnePriorityLevelWhenThePortHasNoOther) {
  const FlowRule server{Match::source,
                        IpAddress::v4(0xc6120115),
                        Protocol::tcp,
                        Match::destination,
                        2,
                        2,
                        1};
  EXPECT_EQ(RteFlowRule(server, true).attr.priority, 1u);
  EXPECT_EQ(RteFlowRule(server, false).attr.priority, 0u);
}

TEST(RteFlowRule, MatchesAnIpv6AddressWithTheIpv6Item) {
  IpAddress v6;
  v6.bytes = {0x20, 0x01, 0, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10};
  const RteFlowRule r(
      FlowRule{Match::destination, v6, Protocol::tcp, Match::source, 2, 6, 1}, true);
  ASSERT_EQ(r.pattern[1].type, RTE_FLOW_ITEM_TYPE_IPV6);
  const auto* ip = static_cast<const rte_flow_item_ipv6*>(r.pattern[1].spec);
  const auto* mask = static_cast<const rte_flow_item_ipv6*>(r.pattern[1].mask);
  EXPECT_EQ(0, std::memcmp(ip->hdr.dst_addr, v6.bytes.data(), 16));
  EXPECT_EQ(mask->hdr.dst_addr[0], 0xff);
  EXPECT_EQ(mask->hdr.dst_addr[15], 0xff);
  EXPECT_EQ(mask->hdr.src_addr[0], 0);
  EXPECT_EQ(r.pattern[2].type, RTE_FLOW_ITEM_TYPE_TCP);
}

class FlowSteeringOnNullPort : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(rte_vdev_init("net_null_flow", nullptr), 0);
    ASSERT_EQ(rte_eth_dev_get_port_by_name("net_null_flow", &port_), 0);
  }
  void TearDown() override {
    steering_.stop();
    rte_eth_dev_close(port_);
    rte_vdev_uninit("net_null_flow");
  }
  uint16_t port_ = 0;
  FlowSteering steering_;
};

TEST_F(FlowSteeringOnNullPort, APortWithoutFlowApiFallsBackToSoftwareAndSaysSo) {
  control::FlowPlan plan;
  plan.rules.push_back(FlowRule{Match::destination, IpAddress::v4(0xc612000b),
                                Protocol::tcp, Match::source, 0, 2, 0});
  const std::string how = steering_.start({port_}, {"front"}, plan, 2).value_or("");
  EXPECT_NE(how.find("port front: no flow API"), std::string::npos) << how;
  EXPECT_NE(how.find("in software (owner function and hand-off rings)"), std::string::npos);
  EXPECT_FALSE(steering_.in_use());
  EXPECT_TRUE(steering_.update(plan));  // nothing installed, nothing to replace
}

TEST_F(FlowSteeringOnNullPort, OneWorkerSteersNothingAndSaysNothing) {
  EXPECT_FALSE(steering_.start({port_}, {"front"}, control::FlowPlan{}, 1));
  EXPECT_FALSE(steering_.in_use());
}

TEST_F(FlowSteeringOnNullPort, AnInexpressiblePlanIsNamed) {
  control::FlowPlan plan;
  plan.not_expressible = "workers.count 3 is not a power of two, which port-bit masks need";
  const std::string how = steering_.start({port_}, {"front"}, plan, 3).value_or("");
  EXPECT_EQ(how.find("flow rules unusable: workers.count 3"), 0u) << how;
  EXPECT_FALSE(steering_.in_use());
}

}  // namespace
}  // namespace sluice::control
