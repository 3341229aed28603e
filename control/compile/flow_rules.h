// The rte_flow rules that would steer nat and snat traffic to the queue of the worker owning
// its connection, as plain data: the same owner function as the software path
// (dataplane/steering.h, bits 1.. of one port), so a rule and a worker never disagree.
// Installing them is control/flow_steering.h's job; this part is pure and unit-tested.
//
// Per steered service address, real server address (nat) and snat pool address, per protocol
// and per worker, one rule:
//   client side   ip dst = service address, l4 src port & mask = value -> queue
//   nat replies   ip src = real server,        l4 dst port & mask = value -> queue
//   snat replies  ip dst = pool address,      l4 dst port & mask = value -> queue
// An rte_flow mask selects bits, so the worker count must be a power of two.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/model.h"

namespace sluice::control {

struct FlowRule {
  enum class Match : uint8_t { destination, source };
  Match address_is = Match::destination;  // which address must equal `address`
  IpAddress address;                      // its family picks the ipv4 or ipv6 item
  Protocol protocol = Protocol::tcp;
  Match port_is = Match::source;  // which L4 port's bits name the owner
  uint16_t port_value = 0;        // host byte order
  uint16_t port_mask = 0;
  uint16_t queue = 0;  // the worker's RX queue (worker i polls queue i)
  bool operator==(const FlowRule&) const = default;
};

struct FlowPlan {
  std::vector<FlowRule> rules;
  std::string not_expressible;  // non-empty: why rules cannot steer (then rules is empty)
};

FlowPlan plan_flow_rules(const config::Config& config);

}  // namespace sluice::control
