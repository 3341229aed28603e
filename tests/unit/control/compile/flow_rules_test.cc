#include "control/compile/flow_rules.h"

#include <gtest/gtest.h>

#include <set>

#include "common/ip_text.h"
#include "config/load.h"
#include "dataplane/steering.h"

namespace sluice::control {
using namespace config;
namespace {

using Match = FlowRule::Match;

Config load(const std::string& yaml) {
  LoadResult r = load_string(yaml, "test.yaml");
  if (!r.config) ADD_FAILURE() << r.errors.front().format();
  return std::move(*r.config);
}

std::string with_workers(uint32_t workers) {
  // The first lcore runs the control plane: lcores 0..workers.
  return "workers: { count: " + std::to_string(workers) + " }\neal: { lcores: \"0-" +
         std::to_string(workers) + R"(" }
interfaces:
  - { name: front, device: net_null0, addresses: [198.18.0.1/24] }
  - { name: back, device: net_null1, addresses: [198.18.1.1/24] }
virtual_services:
  - name: web-nat
    address: 198.18.0.11
    ports: [80, 443]
    protocol: both
    mode: nat
    real_servers:
      - { address: 198.18.1.21, port: 8080 }
      - { address: 198.18.1.22, port: 8080 }
    fallback: { address: 198.18.1.99, port: 8080 }
  - name: web-snat
    address: 198.18.0.12
    ports: [80]
    protocol: tcp
    mode: snat
    snat_pool: [198.18.1.5, 198.18.1.6]
    real_servers:
      - { address: 198.18.1.21, port: 8080 }
  - name: web-dr
    address: 198.18.0.10
    ports: [80]
    protocol: tcp
    mode: dr
    real_servers:
      - { address: 198.18.0.21 }
)";
}

IpAddress ip(const char* dotted) { return *parse_ip(dotted); }

TEST(FlowRules, OneWorkerNeedsNone) {
  const FlowPlan plan = plan_flow_rules(load(with_workers(1)));
  EXPECT_TRUE(plan.rules.empty());
  EXPECT_EQ(plan.not_expressible, "");
}

TEST(FlowRules, AWorkerCountThatIsNoPowerOfTwoCannotBeExpressed) {
  const FlowPlan plan = plan_flow_rules(load(with_workers(3)));
  EXPECT_TRUE(plan.rules.empty());
  EXPECT_EQ(plan.not_expressible,
            "workers.count 3 is not a power of two, which port-bit masks need");
}

TEST(FlowRules, EverySteeredAddressGetsOneRulePerProtocolAndWorker) {
  const FlowPlan plan = plan_flow_rules(load(with_workers(4)));
  EXPECT_EQ(plan.not_expressible, "");
  // Client side: nat VIP tcp+udp, snat VIP tcp. nat replies: 3 servers (fallback included)
  // x tcp+udp. snat replies: 2 pool addresses x tcp. dr: none. Each x 4 workers.
  EXPECT_EQ(plan.rules.size(), (3u + 6u + 2u) * 4u);
  std::set<IpAddress> addresses;
  for (const FlowRule& r : plan.rules) addresses.insert(r.address);
  EXPECT_EQ(addresses, (std::set<IpAddress>{ip("198.18.0.11"), ip("198.18.0.12"), ip("198.18.1.21"),
                                            ip("198.18.1.22"), ip("198.18.1.99"), ip("198.18.1.5"),
                                            ip("198.18.1.6")}));
  const FlowRule client{
      Match::destination, ip("198.18.0.11"), Protocol::udp, Match::source, 2 << 1, 3 << 1, 2};
  const FlowRule reply{
      Match::source, ip("198.18.1.99"), Protocol::tcp, Match::destination, 1 << 1, 3 << 1, 1};
  const FlowRule pool{
      Match::destination, ip("198.18.1.6"), Protocol::tcp, Match::destination, 3 << 1, 3 << 1, 3};
  for (const FlowRule& expected : {client, reply, pool}) {
    EXPECT_NE(std::find(plan.rules.begin(), plan.rules.end(), expected), plan.rules.end());
  }
}

// A rule's queue must be the worker the software owner function names, for every port.
TEST(FlowRules, RulesAgreeWithTheOwnerFunction) {
  for (uint32_t workers : {2u, 4u, 8u, 64u}) {
    const FlowPlan plan = plan_flow_rules(load(with_workers(workers)));
    for (uint32_t port = 1; port <= 65535; port += 7) {
      uint32_t matching = 0;
      for (const FlowRule& r : plan.rules) {
        if (r.address != ip("198.18.1.5")) continue;
        if ((port & r.port_mask) != r.port_value) continue;
        ++matching;
        EXPECT_EQ(r.queue,
                  dp::owner_of_port(static_cast<uint16_t>(port), static_cast<uint16_t>(workers)));
      }
      EXPECT_EQ(matching, 1u) << "port " << port << " with " << workers << " workers";
    }
  }
}

}  // namespace
}  // namespace sluice::control
