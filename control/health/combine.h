// How the operator, the health check and the feedback agent together decide what the workers
// do with a real server. Written rules, first match wins:
//   1. operator halt: no traffic; established connections cut.
//   2. health down (or rising: not yet back): no new connections; established ones continue,
//      or are cut when the service says `on_failure: cut` (IPVS expire_nodest_conn).
//   3. agent down (its last reply said down, fail or stopped): as health down.
//   4. operator drain: no new connections; established ones continue.
//   5. agent maint or drain (its last reply said so): as operator drain.
//   6. otherwise online, with the operator's weight scaled by the agent's percentage
//      (floor(weight * percent / 100), the seeds' formula; 0% takes no new connections).
// Health down beats agent up, and the operator's halt beats everything. Only the operator
// undoes the operator's state; the agent's words last until its next usable reply
// (control/health_checks.cc reads each reply as the agent's whole word).
// Thread safety: pure function.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "common/names.h"
#include "control/health/agent_reply.h"

namespace sluice::control::health {

struct ServerSources {
  AdminState admin = AdminState::online;  // the config's, or sluicectl's on top of it
  uint32_t weight = 1;                    // likewise
  Health health = Health::unchecked;
  std::optional<uint32_t> agent_percent;  // nullopt: no agent, or no percentage reported yet
  std::optional<AgentAdmin> agent_admin;  // its last usable reply's administrative word
  std::optional<bool> agent_up;           // its last usable reply's operational word
  KeepOrCut on_failure = KeepOrCut::keep;  // what a failed server's connections become
};

struct Effective {
  // What the workers are given: online (takes new connections when weight > 0), drain (takes
  // none, established continue) or halt (established cut).
  AdminState state = AdminState::online;
  uint32_t weight = 0;
  // The rule that decided, for show servers and logs: "operator halt", "health down",
  // "health rising", "agent down", "operator drain", "agent maint", "agent drain",
  // "agent 0%", or "" when the server takes new connections. A view of a literal, so that ==
  // compares the words (a const char* would compare where they happen to be stored).
  std::string_view decided_by = "";
  bool operator==(const Effective&) const = default;
};

Effective combine(const ServerSources& sources);

}  // namespace sluice::control::health
