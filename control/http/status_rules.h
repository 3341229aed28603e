// What the status page and the metrics say of a real server and of a virtual service, in the
// seeds' System Overview colours (../shared/research/seed-000-aws.md 2.11): a real server is
// green (normal), blue (the operator halted or drained it), red (failed its health check:
// down, or rising towards `rise`; or its agent says down) or amber (up, but out of rotation
// for another reason: its agent drains or maintains it or reports 0%, a weight of 0, its
// next hop unresolved, or failing checks not yet `fall` times). A service is up (every real
// server green), degraded (some green), down (none green: the fallback or nothing serves)
// or offline (every real server deliberately halted or drained: blue). Fallback servers show
// their own colour and count for no service state.
// Thread safety: pure functions.
#pragma once

#include <array>
#include <span>
#include <string_view>
#include <vector>

#include "control/api.h"

namespace sluice::control::http {

enum class Colour { green, amber, red, blue };
enum class ServiceState { up, degraded, down, offline };

inline constexpr std::array kServiceStates{ServiceState::up, ServiceState::degraded,
                                           ServiceState::down, ServiceState::offline};

Colour colour_of(const ServerView& s);
// Over a service's servers (fallback ones are passed over).
ServiceState state_of(std::span<const ServerView> servers);

// Each service (its first listener, as ControlApi::vips() lists it first) with its servers
// (ControlApi::servers() lists them service by service, in the same order); a service without
// real servers comes with none, and is down.
struct ServiceGroup {
  const VipView* service;
  std::span<const ServerView> servers;
};
std::vector<ServiceGroup> by_service(std::span<const VipView> vips,
                                     std::span<const ServerView> servers);

std::string_view name_of(Colour c);
std::string_view name_of(ServiceState s);

}  // namespace sluice::control::http
