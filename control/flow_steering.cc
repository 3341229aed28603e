#include "control/flow_steering.h"

#include <netinet/in.h>
#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_ethdev.h>

#include <cstring>

namespace sluice::control {

RteFlowRule::RteFlowRule(const control::FlowRule& rule, bool ranked) {
  using Match = control::FlowRule::Match;
  attr.ingress = 1;
  // A real server may also be a client of a VIP: its packets to the VIP match both its
  // source rule and the VIP's destination rule. The VIP's rule wins (lower is first), as
  // the owner function decides for traffic to a VIP. On a NIC with one priority level the
  // overlap is left to the software path.
  attr.priority = ranked && rule.address_is == Match::source ? 1 : 0;
  const bool destination = rule.address_is == Match::destination;
  if (rule.address.is_v4()) {
    const rte_be32_t address = rte_cpu_to_be_32(rule.address.to_v4());
    (destination ? ip_spec.hdr.dst_addr : ip_spec.hdr.src_addr) = address;
    (destination ? ip_mask.hdr.dst_addr : ip_mask.hdr.src_addr) = RTE_BE32(0xffffffff);
    pattern[1] = {RTE_FLOW_ITEM_TYPE_IPV4, &ip_spec, nullptr, &ip_mask};
  } else {
    uint8_t* spec = destination ? ip6_spec.hdr.dst_addr : ip6_spec.hdr.src_addr;
    uint8_t* mask = destination ? ip6_mask.hdr.dst_addr : ip6_mask.hdr.src_addr;
    std::memcpy(spec, rule.address.bytes.data(), 16);
    std::memset(mask, 0xff, 16);
    pattern[1] = {RTE_FLOW_ITEM_TYPE_IPV6, &ip6_spec, nullptr, &ip6_mask};
  }
  const rte_be16_t value = rte_cpu_to_be_16(rule.port_value);
  const rte_be16_t mask = rte_cpu_to_be_16(rule.port_mask);
  const bool destination_port = rule.port_is == Match::destination;
  (destination_port ? tcp_spec.hdr.dst_port : tcp_spec.hdr.src_port) = value;
  (destination_port ? tcp_mask.hdr.dst_port : tcp_mask.hdr.src_port) = mask;
  (destination_port ? udp_spec.hdr.dst_port : udp_spec.hdr.src_port) = value;
  (destination_port ? udp_mask.hdr.dst_port : udp_mask.hdr.src_port) = mask;
  queue.index = rule.queue;

  pattern[0].type = RTE_FLOW_ITEM_TYPE_ETH;  // any Ethernet header
  if (rule.protocol == Protocol::tcp) {
    pattern[2] = {RTE_FLOW_ITEM_TYPE_TCP, &tcp_spec, nullptr, &tcp_mask};
  } else {
    pattern[2] = {RTE_FLOW_ITEM_TYPE_UDP, &udp_spec, nullptr, &udp_mask};
  }
  pattern[3].type = RTE_FLOW_ITEM_TYPE_END;
  actions[0] = {RTE_FLOW_ACTION_TYPE_QUEUE, &queue};
  actions[1].type = RTE_FLOW_ACTION_TYPE_END;
}

namespace {

std::string flow_error_text(int rc, const rte_flow_error& error) {
  std::string text = strerror(-rc);
  if (error.message != nullptr && text != error.message) text += std::string(", ") + error.message;
  return text;
}

// Stands for every rule of a plan when asking a port whether it takes such rules at all:
// on a destination address (priority 0), or on a source address (priority 1 when ranked).
control::FlowRule probe_rule(uint32_t workers, control::FlowRule::Match address_is) {
  using Match = control::FlowRule::Match;
  return {address_is,
          IpAddress::v4(0xc6120001),
          Protocol::tcp,
          address_is == Match::destination ? Match::source : Match::destination,
          0,
          static_cast<uint16_t>((workers - 1) << 1),
          0};
}

bool port_takes(uint16_t port, const RteFlowRule& rule, rte_flow_error& error, int& rc) {
  rc = rte_flow_validate(port, &rule.attr, rule.pattern.data(), rule.actions.data(), &error);
  return rc == 0;
}

}  // namespace

std::optional<std::string> FlowSteering::start(const std::vector<uint16_t>& ports,
                                               const std::vector<std::string>& names,
                                               const control::FlowPlan& plan, uint32_t workers) {
  ports_ = ports;
  if (workers == 1) return std::nullopt;
  const std::string software =
      "nat/snat return traffic is steered to its worker in software (owner function and "
      "hand-off rings)";
  if (!plan.not_expressible.empty())
    return "flow rules unusable: " + plan.not_expressible + "; " + software;
  const RteFlowRule destination(probe_rule(workers, control::FlowRule::Match::destination), true);
  const RteFlowRule source(probe_rule(workers, control::FlowRule::Match::source), true);
  ranked_ = true;
  for (size_t i = 0; i < ports.size(); ++i) {
    rte_flow_error error{};
    int rc = 0;
    if (!port_takes(ports[i], destination, error, rc)) {
      return "port " + names[i] +
             ": no flow API for these rules (rte_flow_validate: " + flow_error_text(rc, error) +
             "); " + software;
    }
    rte_flow_error ignored{};
    if (!port_takes(ports[i], source, ignored, rc)) ranked_ = false;  // one priority level
  }
  if (Result<void> installed = install(plan); !installed) {
    stop();
    return "flow rules refused (" + installed.error() + "); " + software;
  }
  in_use_ = true;
  return "nat/snat return traffic is steered by " + std::to_string(flows_.size()) +
         " rte_flow rules (the software path still covers any packet they miss)";
}

Result<void> FlowSteering::install(const control::FlowPlan& plan) {
  for (const control::FlowRule& rule : plan.rules) {
    const RteFlowRule r(rule, ranked_);
    for (uint16_t port : ports_) {
      rte_flow_error error{};
      const int rc = rte_flow_validate(port, &r.attr, r.pattern.data(), r.actions.data(), &error);
      rte_flow* flow =
          rc == 0 ? rte_flow_create(port, &r.attr, r.pattern.data(), r.actions.data(), &error)
                  : nullptr;
      if (flow == nullptr) {
        return Error{"port " + std::to_string(port) + ": " +
                     flow_error_text(rc != 0 ? rc : -rte_errno, error)};
      }
      flows_.emplace_back(port, flow);
    }
  }
  installed_ = plan.rules;
  return {};
}

Result<void> FlowSteering::update(const control::FlowPlan& plan) {
  if (!in_use_ || plan.rules == installed_) return {};
  stop();
  if (Result<void> installed = install(plan); !installed) {
    stop();  // no half-installed set: steering is the software path's from now on
    return Error{installed.error() + "; every rule removed, return traffic is steered in software"};
  }
  in_use_ = true;
  return {};
}

void FlowSteering::stop() {
  for (const auto& [port, flow] : flows_) {
    rte_flow_error error{};
    rte_flow_destroy(port, flow, &error);
  }
  flows_.clear();
  installed_.clear();
  in_use_ = false;
}

}  // namespace sluice::control
