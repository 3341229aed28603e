// Turns a validated Config into the immutable Snapshot the workers read.
// Real servers keep their id across compiles (ServerIds), so a reload neither resets their
// counters nor cuts their connections; run-time changes from the CLI (Overrides) are applied
// on top of the file's values.
// Thread safety: control thread only.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "common/result.h"
#include "config/model.h"
#include "control/health/agent_reply.h"
#include "control/health/combine.h"
#include "dataplane/snapshot.h"

namespace sluice::control {

// What identifies a real server of a virtual service across reloads: the service's name
// (so its ports, scheduler or mode may change without cutting connections; renaming a
// service replaces it) and the server's address and configured port.
struct ServerKey {
  std::string service;
  IpAddress address;
  uint16_t port = 0;      // as configured; 0 when absent
  bool fallback = false;  // the service's fallback server, not one of its real servers
  auto operator<=>(const ServerKey&) const = default;
};

ServerKey key_of(const config::VirtualService& vs, const config::RealServer& rs, bool fallback = false);

// Stable ids. An id no longer used goes to the back of the free queue, so it is reused as
// late as possible; an id that connections still carry (a removed server's, kept while they
// last) is passed over, or its connections would go on to the new server.
class ServerIds {
 public:
  ServerIds();
  // Returns nullopt when every free id is in use or `carried` (none when absent).
  std::optional<uint32_t> id_of(const ServerKey& key,
                                const std::function<bool(uint32_t id)>& carried = {});
  // Frees every id whose key is not in `keep`.
  void retain(const std::set<ServerKey>& keep);
  // Every server with an id (HA sync tells the peer which is which).
  const std::map<ServerKey, uint32_t>& all() const { return ids_; }

 private:
  std::map<ServerKey, uint32_t> ids_;
  std::deque<uint32_t> free_;
};

struct Override {
  std::optional<AdminState> state;
  std::optional<uint32_t> weight;
};
using Overrides = std::map<ServerKey, Override>;

// What the health check and the feedback agent last found about one real server
// (control/health_checks.cc keeps it current). The workers get its combination with the
// operator's state and weight (control/health/combine.h); the rest is for show servers.
struct RunState {
  Health health = Health::unchecked;
  std::string check_result;    // the last check's result ("HTTP 503"); empty before one ended
  int64_t health_since = 0;    // when health last changed: seconds since the epoch (0: never)
  bool has_agent = false;      // a feedback agent is polled
  std::optional<uint32_t> agent_percent;
  std::optional<health::AgentAdmin> agent_admin;
  std::optional<bool> agent_up;
  std::string agent_result;    // the last reply, or why there was none
};
using RunStates = std::map<ServerKey, RunState>;

// Where packets to an address leave: an interface index and the next hop on it.
struct NextHop {
  uint8_t interface = 0;
  IpAddress address;
};
// Connected subnets first, then the longest matching route. nullopt if unreachable.
std::optional<NextHop> route_to(const config::Config& cfg, const IpAddress& address);

// The persistence key of a service: from its name, so entries survive reloads; never 0.
uint32_t persistence_key_of(const std::string& service);

// The interface's address on the next hop's subnet (a hop from route_to always has one),
// else its first: the source of what the appliance itself sends that way (ARP requests,
// neighbour solicitations, tun's outer header).
IpAddress own_address_towards(const config::Interface& ifc, const IpAddress& next_hop);

// A next hop's slot in NeighbourSlots, and whether its MAC is known yet.
struct NeighbourSlot {
  uint16_t slot = 0;
  bool resolved = false;
};
// Hands out the slot for a next hop (control/neighbour_ctl owns them); nullopt when all are
// in use. A real server whose next hop is not resolved yet takes no new connections until a
// later snapshot says it is (control/appliance.cc republishes when it resolves): its first
// SYNs would otherwise be dropped and the clients wait a second for a retransmission.
using NeighbourSlotFor = std::function<std::optional<NeighbourSlot>(const NextHop&)>;

// The snapshot, or why it cannot be built (resources, not syntax: that's load).
using CompileResult = Result<std::unique_ptr<dp::Snapshot>>;

// What a compile takes over from the snapshot it replaces: the way to real servers that
// left the configuration, while their connections go on (`on_remove: keep`).
struct Previous {
  const dp::Snapshot* snapshot = nullptr;  // none at start
  // Does any worker still hold a connection to this real-server id?
  std::function<bool(uint32_t id)> has_connections;
};

// `ids` is updated even when compiling fails: callers that must not see a failed attempt
// pass a copy and keep it only on success. `standby`: the floating addresses of the HA
// instances that are not master here (nothing to them is answered or forwarded).
CompileResult compile(const config::Config& cfg, uint64_t generation, ServerIds& ids,
                      const Overrides& overrides, const NeighbourSlotFor& neighbour_slot,
                      const Previous& previous = {}, const RunStates& run_states = {},
                      const std::set<IpAddress>& standby = {});

// A real server's state and weight as the workers get them: the file's, the operator's
// override on top, combined with what its health check and agent found.
health::Effective effective(const config::RealServer& rs, const Override& by_operator,
                            const RunState* run, KeepOrCut on_failure);

}  // namespace sluice::control
