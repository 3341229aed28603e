#include "control/http/status_rules.h"

namespace sluice::control::http {

Colour colour_of(const ServerView& s) {
  if (s.state != AdminState::online) return Colour::blue;
  if (s.run.health == Health::down || s.run.health == Health::rising) return Colour::red;
  if (s.run.agent_up == false) return Colour::red;
  if (!s.decided_by.empty() || s.effective_state != AdminState::online || s.weight == 0 ||
      !s.reachable || s.run.health == Health::falling) {
    return Colour::amber;
  }
  return Colour::green;
}

ServiceState state_of(std::span<const ServerView> servers) {
  size_t real = 0, green = 0, blue = 0;
  for (const ServerView& s : servers) {
    if (s.fallback) continue;
    ++real;
    const Colour c = colour_of(s);
    green += c == Colour::green;
    blue += c == Colour::blue;
  }
  if (real > 0 && green == real) return ServiceState::up;
  if (green > 0) return ServiceState::degraded;
  if (real > 0 && blue == real) return ServiceState::offline;
  return ServiceState::down;
}

std::vector<ServiceGroup> by_service(std::span<const VipView> vips,
                                     std::span<const ServerView> servers) {
  std::vector<ServiceGroup> out;
  size_t next = 0;
  for (const VipView& v : vips) {
    if (!out.empty() && out.back().service->name == v.name) continue;  // a further listener
    size_t end = next;
    while (end < servers.size() && servers[end].service == v.name) ++end;
    out.push_back({&v, servers.subspan(next, end - next)});
    next = end;
  }
  return out;
}

std::string_view name_of(Colour c) {
  constexpr std::array<std::string_view, 4> kNames{"green", "amber", "red", "blue"};
  return kNames[static_cast<size_t>(c)];
}

std::string_view name_of(ServiceState s) {
  constexpr std::array<std::string_view, 4> kNames{"up", "degraded", "down", "offline"};
  return kNames[static_cast<size_t>(s)];
}

}  // namespace sluice::control::http
