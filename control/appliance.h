// The running appliance: owns the ports, the workers and their tables, the published
// snapshot and everything the control thread keeps (overrides, neighbours, real-server ids).
// Everything here runs on the control thread (the EAL main lcore); workers are reached only
// through the snapshot, the neighbour slots and their request rings.
#pragma once

#include <rte_mempool.h>
#include <rte_ring.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "config/compile/compile.h"
#include "config/model.h"
#include "control/command_parse.h"
#include "control/exception_path.h"
#include "control/flow_steering.h"
#include "control/neighbour_ctl.h"
#include "control/ports.h"
#include "control/publisher.h"
#include "dataplane/conn_table.h"
#include "dataplane/worker.h"

namespace sluice::control {

struct ConnDump {
  uint16_t worker = 0;
  uint32_t worker_now = 0;
  std::vector<dp::ConnRecord> records;
};

// A request handed to a worker and the buffer it fills; owned by the control thread, which
// must not free it before the worker says done.
struct PendingDump {
  std::unique_ptr<dp::ConnDumpRequest> request;
  std::vector<dp::ConnRecord> out;
};

class Appliance {
 public:
  // Call after rte_eal_init. Sets `error` and returns null when something cannot start.
  static std::unique_ptr<Appliance> start(config::Config cfg, std::string& error);
  ~Appliance();
  Appliance(const Appliance&) = delete;
  Appliance& operator=(const Appliance&) = delete;

  // One turn of the control thread's housekeeping: exception path, neighbours, reclamation.
  // Returns the number of packets moved (0 means the caller may sleep a little).
  uint32_t poll();

  // Re-reads the config file. Returns "" on success, else every error, one per line; the
  // running configuration is kept then. Logs what changed, or the first error.
  std::string reload();
  // Applies a CLI override. Returns "" or a one-line error; logs the change.
  std::string set_server(const SetServer& change);

  const config::Config& config() const { return cfg_; }
  const dp::Snapshot& snapshot() const { return *publisher_->current(); }
  const std::vector<dp::WorkerCtx*>& workers() const { return workers_; }
  const std::vector<DataInterface>& interfaces() const { return interfaces_; }
  uint64_t exception_dropped() const { return exception_->dropped(); }
  dp::PersistenceTable& persistence() { return persistence_; }
  const NeighbourCtl& neighbours() const { return *neighbours_; }
  // The workers' clock (seconds since start), which persistence entries expire by.
  uint32_t worker_now() const;
  // Asks every worker for up to `limit` connections each; waits at most ~2 s.
  std::vector<ConnDump> dump_connections(uint32_t limit);

 private:
  Appliance() = default;
  std::string start_workers();
  rte_ring* make_ring(const std::string& name);  // owned by the appliance
  std::string connect_handoff_rings();
  void start_flow_steering();
  std::string publish(const config::Config& cfg);
  std::string reload_file();  // reload() without its log line

  config::Config cfg_;
  rte_mempool* pool_ = nullptr;
  std::vector<DataInterface> interfaces_;
  dp::NeighbourSlots neighbour_slots_;
  dp::PersistenceTable persistence_;
  std::unique_ptr<NeighbourCtl> neighbours_;
  std::unique_ptr<Publisher> publisher_;
  config::ServerIds ids_;
  config::Overrides overrides_;
  uint64_t generation_ = 0;
  std::vector<std::unique_ptr<dp::ConnTable>> tables_;
  std::vector<std::unique_ptr<dp::ConnTable6>> tables6_;
  std::vector<dp::WorkerCtx*> workers_;
  std::vector<unsigned> lcores_;  // of workers_[i]
  std::vector<rte_ring*> rings_;
  std::unique_ptr<ExceptionPath> exception_;
  FlowSteering flows_;
  std::vector<PendingDump> abandoned_dumps_;  // timed out; freed by poll() once done
  std::atomic<bool> stop_{false};
  uint64_t last_neighbour_tick_ms_ = 0;
  uint64_t start_tsc_ = 0;
};

uint64_t monotonic_ms();
bool has_ipv6_address(const config::Config& cfg);

}  // namespace sluice::control
