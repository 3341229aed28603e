// The running appliance: owns the ports, the workers and their tables, the published
// snapshot and everything the control thread keeps (overrides, neighbours, real-server ids).
// Everything here runs on the control thread (the EAL main lcore); workers are reached only
// through the snapshot, the neighbour slots and their request rings.
#pragma once

#include <rte_mempool.h>
#include <rte_ring.h>

#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "control/compile/compile.h"
#include "config/model.h"
#include "common/ip_text.h"
#include "common/result.h"
#include "control/server_ref.h"
#include "control/exception_path.h"
#include "control/flow_steering.h"
#include "control/neighbour_ctl.h"
#include "control/ports.h"
#include "control/publisher.h"
#include "control/server_counters.h"
#include "dataplane/conn_table.h"
#include "dataplane/worker.h"

namespace sluice::control {


class Appliance {
 public:
  // Call after rte_eal_init. Fails with what could not start. `restored`: the operator's
  // overrides kept from the last run (control/admin_state_file.h); those naming servers no
  // longer configured are dropped.
  static Result<std::unique_ptr<Appliance>> start(config::Config cfg, Overrides restored = {});
  ~Appliance();
  Appliance(const Appliance&) = delete;
  Appliance& operator=(const Appliance&) = delete;

  // The control thread's recurring work, each a handler on the event loop (sluiced.cc).
  // Moves packets between the workers and the TAP twins; returns how many (0: none waited).
  uint32_t poll_exception_path(uint64_t now_ms);
  // Resolves and refreshes next hops (every 100 ms).
  void tick_neighbours(uint64_t now_ms);
  // Frees snapshots no worker can still read.
  void reclaim_snapshots();

  // Re-reads the config file. Returns the generation and what changed; on failure the error
  // holds every error, one per line, and the running configuration is kept.
  Result<std::string> reload();
  // Applies a run-time override (state or weight) of one real server.
  struct OverrideChange {
    ServerKey key;
    std::string server;    // as show servers names it
    std::string from, to;  // the operator's state (or weight) before and after
    uint64_t generation = 0;
  };
  Result<OverrideChange> override_server(const ServerRef& server, const Override& change);
  // Takes what health checks and agents found; publishes a snapshot when what the workers
  // see changes (one publication for the whole batch).
  Result<void> set_run_states(const std::vector<std::pair<ServerKey, RunState>>& changes);
  // The HA instances' floating addresses: owned (master here: answered and forwarded) or
  // standby (backup: the peer's). All start standby. Publishes when that changes.
  Result<void> set_floating(const std::vector<IpAddress>& addresses, bool owned);
  bool owns(const IpAddress& address) const { return !standby_.contains(address); }
  // Tells the addresses' subnets that they are here now: a gratuitous ARP or an unsolicited
  // neighbour advertisement for each, from the port's MAC.
  void announce(const std::vector<IpAddress>& addresses);
  const Overrides& overrides() const { return overrides_; }
  const ServerIds& server_ids() const { return ids_; }
  // Real-server id `id`'s counters since its server got the id.
  ServerCounts server_counts(uint32_t id) const { return counters_.of(workers_, id); }
  // nullptr when nothing was reported for that server.
  const RunState* run_state(const ServerKey& key) const;

  const config::Config& config() const { return cfg_; }
  const dp::Snapshot& snapshot() const { return *publisher_->current(); }
  const std::vector<dp::WorkerCtx*>& workers() const { return workers_; }
  const std::vector<DataInterface>& interfaces() const { return interfaces_; }
  uint64_t exception_dropped() const { return exception_->dropped(); }
  dp::PersistenceTable& persistence() { return persistence_; }
  const NeighbourCtl& neighbours() const { return *neighbours_; }
  // The workers' clock (seconds since start), which persistence entries expire by.
  uint32_t worker_now() const;
  // Every worker's message rings: {to worker i, from worker i}.
  std::vector<std::pair<rte_ring*, rte_ring*>> worker_rings() const;

 private:
  Appliance() = default;
  Result<void> start_workers();
  // Owned by the appliance; pointer-sized elements unless told otherwise.
  rte_ring* make_ring(const std::string& name, unsigned count = kRingSize,
                      unsigned element_size = sizeof(void*));
  Result<void> connect_handoff_rings();
  void start_flow_steering();
  Result<void> publish(const config::Config& cfg);

  config::Config cfg_;
  rte_mempool* pool_ = nullptr;
  std::vector<DataInterface> interfaces_;
  dp::NeighbourSlots neighbour_slots_;
  dp::PersistenceTable persistence_;
  std::unique_ptr<NeighbourCtl> neighbours_;
  std::unique_ptr<Publisher> publisher_;
  control::ServerIds ids_;
  ServerCounters counters_;
  control::Overrides overrides_;
  control::RunStates run_states_;
  std::set<IpAddress> standby_;  // floating addresses of instances not master here
  uint64_t generation_ = 0;
  std::set<uint16_t> awaiting_neighbours_;  // slots of servers published as not reachable yet
  std::vector<std::unique_ptr<dp::ConnTable>> tables_;
  std::vector<std::unique_ptr<dp::ConnTable6>> tables6_;
  std::vector<dp::WorkerCtx*> workers_;
  std::vector<unsigned> lcores_;  // of workers_[i]
  std::vector<rte_ring*> rings_;
  std::unique_ptr<ExceptionPath> exception_;
  FlowSteering flows_;
  std::atomic<bool> stop_{false};
  uint64_t start_tsc_ = 0;
};

uint64_t monotonic_ms();
bool has_ipv6_address(const config::Config& cfg);

}  // namespace sluice::control
