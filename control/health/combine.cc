#include "control/health/combine.h"

namespace sluice::control::health {

Effective combine(const ServerSources& s) {
  const AdminState failed = s.on_failure == KeepOrCut::cut ? AdminState::halt : AdminState::drain;
  if (s.admin == AdminState::halt) return {AdminState::halt, s.weight, "operator halt"};
  if (s.health == Health::down) return {failed, s.weight, "health down"};
  if (s.health == Health::rising) return {failed, s.weight, "health rising"};
  if (s.agent_up == false) return {failed, s.weight, "agent down"};
  if (s.admin == AdminState::drain) return {AdminState::drain, s.weight, "operator drain"};
  if (s.agent_admin == AgentAdmin::maint) return {AdminState::drain, s.weight, "agent maint"};
  if (s.agent_admin == AgentAdmin::drain) return {AdminState::drain, s.weight, "agent drain"};
  if (!s.agent_percent) return {AdminState::online, s.weight, ""};
  // 64-bit: weight (<= 65535) times a percentage (<= 100) fits either way, but says so.
  const auto scaled = static_cast<uint32_t>(uint64_t{s.weight} * *s.agent_percent / 100);
  return {AdminState::online, scaled, scaled == 0 && s.weight != 0 ? "agent 0%" : ""};
}

}  // namespace sluice::control::health
