// Puts the flow rules of control/compile/flow_rules.h on the NICs, where they are accepted:
// then nat and snat packets arrive on their owner's queue and are rarely handed off. Where a
// port has no flow API (af_packet, tap, AWS ENA) or the plan cannot be expressed, nothing is
// installed and the owner function with hand-off rings does the steering (dataplane/
// steering.h); the log says which. The software path stays on either way, so a packet that
// arrives on another queue (a rule being replaced, a NIC's limits) is still handled right.
// Thread safety: control thread.
#pragma once

#include <rte_flow.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "control/compile/flow_rules.h"

namespace sluice::control {

// One FlowRule in rte_flow's terms. The pattern and actions point at the specs inside, so it
// is built in place and never copied.
struct RteFlowRule {
  rte_flow_attr attr{};
  rte_flow_item_ipv4 ip_spec{}, ip_mask{};
  rte_flow_item_ipv6 ip6_spec{}, ip6_mask{};
  rte_flow_item_tcp tcp_spec{}, tcp_mask{};
  rte_flow_item_udp udp_spec{}, udp_mask{};
  rte_flow_action_queue queue{};
  std::array<rte_flow_item, 4> pattern{};    // eth / ipv4 / tcp or udp / end
  std::array<rte_flow_action, 2> actions{};  // queue / end

  // ranked: rules on a source address get priority 1, below those on a destination.
  RteFlowRule(const control::FlowRule& rule, bool ranked);
  RteFlowRule(const RteFlowRule&) = delete;
  RteFlowRule& operator=(const RteFlowRule&) = delete;
};

class FlowSteering {
 public:
  // Checks with rte_flow_validate whether every port takes the plan's rules and installs them
  // if so. Returns the line for the log saying which way steering goes (none with one worker).
  std::optional<std::string> start(const std::vector<uint16_t>& ports,
                                   const std::vector<std::string>& names,
                                   const control::FlowPlan& plan, uint32_t workers);
  // After a reload: replaces the installed rules with the new plan's (nothing when software
  // steers). On failure no rule is left and software steers.
  Result<void> update(const control::FlowPlan& plan);
  // Removes what start() or update() installed.
  void stop();
  bool in_use() const { return in_use_; }

 private:
  Result<void> install(const control::FlowPlan& plan);

  bool in_use_ = false;
  bool ranked_ = true;  // the ports take two priority levels
  std::vector<uint16_t> ports_;
  std::vector<std::pair<uint16_t, rte_flow*>> flows_;
  std::vector<control::FlowRule> installed_;
};

}  // namespace sluice::control
