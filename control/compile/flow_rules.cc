#include "control/compile/flow_rules.h"

#include <bit>
#include <set>
#include <utility>

#include "dataplane/steering.h"

namespace sluice::control {

using namespace config;  // this file reads the config model throughout
namespace {

using Key = std::pair<IpAddress, Protocol>;

void add_rules(FlowPlan& plan, const std::set<Key>& addresses, FlowRule::Match address_is,
               FlowRule::Match port_is, uint16_t workers) {
  // owner_of_port(p) = (p >> 1) % workers, which for a power of two is these bits of p.
  const auto mask = static_cast<uint16_t>((workers - 1u) << 1);
  for (const auto& [address, protocol] : addresses) {
    for (uint16_t worker = 0; worker < workers; ++worker) {
      plan.rules.push_back({address_is, address, protocol, port_is,
                            static_cast<uint16_t>(worker << 1), mask, worker});
    }
  }
}

}  // namespace

FlowPlan plan_flow_rules(const Config& config) {
  FlowPlan plan;
  const uint32_t workers = config.workers.count;
  if (workers == 1) return plan;  // one queue: nothing to steer
  if (!std::has_single_bit(workers)) {
    plan.not_expressible = "workers.count " + std::to_string(workers) +
                           " is not a power of two, which port-bit masks need";
    return plan;
  }
  std::set<Key> service_addresses, server_addresses, pool_addresses;
  for (const VirtualService& vs : config.virtual_services) {
    if (!dp::steered(vs.mode)) continue;
    std::set<Protocol> protocols;
    for (const Listener& l : vs.listeners) {
      for (Protocol p : l.protocols) {
        service_addresses.insert({l.address, p});
        protocols.insert(p);
      }
    }
    for (Protocol p : protocols) {
      if (vs.mode == Mode::snat) {
        for (const IpAddress& a : vs.snat_pool) pool_addresses.insert({a, p});
        continue;
      }
      for (const RealServer& rs : vs.real_servers) server_addresses.insert({rs.address, p});
      if (vs.fallback) server_addresses.insert({vs.fallback->address, p});
    }
  }
  const auto n = static_cast<uint16_t>(workers);
  add_rules(plan, service_addresses, FlowRule::Match::destination, FlowRule::Match::source, n);
  add_rules(plan, server_addresses, FlowRule::Match::source, FlowRule::Match::destination, n);
  add_rules(plan, pool_addresses, FlowRule::Match::destination, FlowRule::Match::destination, n);
  return plan;
}

}  // namespace sluice::control
