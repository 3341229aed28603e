// The one internal API of the control plane. The control-socket commands are an adapter over
// it (control/commands.cc turns its values into JSON), and so are health checks, VRRP and the
// status page as they arrive: none of them reads worker internals or the config directly.
// Changes are published as a new snapshot; reads sum the workers' single-writer counters.
// Thread safety: the event loop's thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/ip_address.h"
#include "common/ip_text.h"
#include "common/names.h"
#include "common/result.h"
#include "control/appliance.h"
#include "control/events.h"
#include "control/ha_command.h"
#include "control/rate_window.h"
#include "control/server_counters.h"
#include "control/worker_channels.h"

namespace sluice::control {

struct VipView {
  std::string name;
  IpAddress address;
  std::string ports;  // as the YAML spells them
  const char* protocol = "";
  Mode mode = Mode::nat;
  Scheduler scheduler = Scheduler::wlc;
  size_t servers = 0;
};

struct ServerView {
  std::string service;
  bool fallback = false;
  IpAddress vip;
  std::string ports;
  const char* protocol = "";
  std::string server;  // ADDRESS:PORT as `set server` takes it (ADDRESS:* for any port)
  // Each source apart (health/combine.h says how they combine):
  AdminState state = AdminState::online;  // the operator's: the file's, or sluicectl's
  uint32_t configured_weight = 0;         // likewise
  std::optional<CheckType> check;         // none: unchecked
  RunState run;                           // what the check and the agent found
  // ...and what the workers do with it:
  AdminState effective_state = AdminState::online;
  uint32_t weight = 0;                 // the weight the scheduler uses
  std::string decided_by;              // the rule that keeps it from new connections, if any
  bool reachable = true;  // its next hop's MAC is known (else it takes no new connections)
  ServerCounts counts;
  Rates rates;
};

using Drops = std::vector<std::pair<std::string_view, uint64_t>>;  // every reason, in list order

struct WorkerView {
  uint16_t id = 0;
  uint64_t rx_packets = 0, tx_packets = 0, conns_created = 0, handed_off = 0, taken_over = 0;
  uint64_t events_dropped = 0;
  uint64_t loops = 0, idle_loops = 0;  // polls, and those that found nothing
  double idle_share = 0;               // idle_loops / loops over the rate window: the headroom
  double rx_per_second = 0, tx_per_second = 0;
  Drops drops;
};

// A data port: what the workers counted, and the driver's own counters (rte_eth_stats and
// rte_eth_xstats).
struct PortView {
  std::string name;
  uint64_t rx_packets = 0, tx_packets = 0;  // by the workers
  uint64_t rx_bytes = 0, tx_bytes = 0, rx_missed = 0, rx_errors = 0, tx_errors = 0,
           rx_no_mbuf = 0;                  // by the driver
  double rx_per_second = 0, tx_per_second = 0, rx_bytes_per_second = 0, tx_bytes_per_second = 0;
  std::vector<std::pair<std::string, uint64_t>> xstats;  // the driver's extended counters
};

// A real server in its service's statistics.
struct ServerStatsView {
  std::string server;  // ADDRESS:PORT as show servers names it (ADDRESS:* for any port)
  IpAddress address;
  uint16_t port = 0;   // 0: the client's destination port (a port-less server)
  bool fallback = false;
  uint32_t weight = 0;  // the weight the scheduler uses
  ServerCounts counts;
  Rates rates;
};

struct ListenerView {
  IpAddress address;
  config::PortSet ports;
  std::vector<Protocol> protocols;
};

// A virtual service: its servers' counters summed (removed servers' kept connections are
// counted in the totals of StatsView, not here).
struct ServiceStatsView {
  std::string name;
  Mode mode = Mode::nat;
  Scheduler scheduler = Scheduler::wlc;
  std::vector<ListenerView> listeners;
  std::optional<config::Persistence> persistence;
  ServerCounts counts;
  Rates rates;
  std::vector<ServerStatsView> servers;  // in file order, the fallback last
  bool fallback_in_use = false;          // no real server can take a new connection
};

struct StatsView {
  uint64_t rx_packets = 0, tx_packets = 0, to_kernel = 0, conns_created = 0, handed_off = 0;
  uint64_t icmp_translated = 0, icmp_sent = 0, echo_replied = 0, half_open_evicted = 0;
  uint64_t active_conns = 0, inactive_conns = 0;
  uint64_t exception_dropped = 0, events_dropped = 0;
  double conns_per_second = 0, rx_per_second = 0, tx_per_second = 0;
  uint32_t rate_window_s = 0;  // the seconds the rates span (fewer just after start)
  Drops drops;
  std::vector<PortView> ports;
  std::vector<WorkerView> workers;
  std::vector<ServiceStatsView> services;
};

struct ConnView {
  uint16_t worker = 0;
  bool ipv6 = false;
  Protocol protocol = Protocol::tcp;
  std::string client, vip, server, server_sees;  // ADDRESS:PORT
  Mode mode = Mode::nat;
  const char* state = "";
  int64_t expires_in = 0;
};

struct ConnList {
  std::vector<ConnView> conns;
  std::vector<uint16_t> unanswered;  // workers that did not answer in time
};

struct PersistenceView {
  std::string service;  // "-" when the service left
  std::string client;   // an IPv4 address, or "ipv6:" and the 32-bit digest of one
  std::string server;   // "-" when the server left
  int64_t expires_in = 0;
};

// Connection sync with the peer as show ha shows it (control/ha_sync.h fills it).
struct SyncView {
  std::string peer;                 // ADDRESS:PORT
  uint64_t datagrams_sent = 0, records_sent = 0, datagrams_received = 0, records_received = 0;
  uint64_t send_failed = 0;         // the socket refused, or the outbox was full
  uint64_t outbox = 0;              // datagrams waiting to leave: the sender's lag
  uint64_t lost = 0;                // sequence numbers never received from the peer
  uint64_t unknown_server = 0;      // records naming a server the peer's directory did not
  uint64_t not_ours = 0;            // records of addresses we are master of (ours decide)
  uint64_t bad_state = 0;           // connections in a state no worker knows
  uint64_t not_from_peer = 0;       // datagrams from another address or port than the peer's
  uint64_t learnt_refused = 0;      // learnt connections a worker could not take in time
  int64_t last_heard_ms = -1;       // since the peer's last accepted datagram (-1: never)
  std::vector<std::pair<std::string_view, uint64_t>> drops;  // sync_* counters, every reason
};

// An instance's AWS mode (control/ha/aws_mover.h): EC2 and metadata requests since start.
struct AwsView {
  uint64_t calls = 0, retries = 0, failures = 0;
  bool moving = false;  // a take-over is under way
};

// One VRRP instance as show ha shows it (control/ha_instances.h fills it).
struct HaView {
  std::string name;
  std::string interface;
  uint8_t vrid = 0;
  const char* state = "";          // initialize, backup, master, fault
  uint8_t priority = 0;            // in force now
  uint8_t configured_priority = 0;
  uint16_t interval_cs = 0;        // ours
  uint16_t master_interval_cs = 0; // the master's, as last heard
  std::string master;              // the address of the master last heard ("" before any)
  uint8_t master_priority = 0;
  std::string last_change;         // why the state last changed
  bool maintenance = false;        // the operator keeps it backup
  std::vector<std::string> tracked_down;  // tracked items down now ("interface back: link down")
  std::optional<AwsView> aws;             // with an `aws` mapping
  int64_t since = 0;               // when: seconds since the epoch (0: never)
  std::vector<IpAddress> addresses;
  uint64_t adverts_sent = 0, adverts_received = 0;
  std::vector<std::pair<std::string_view, uint64_t>> drops;  // vrrp_* counters, every reason
};

struct NeighbourView {
  IpAddress address;
  std::string interface;
  std::optional<Mac> mac;  // when resolved
  int64_t expires_in = 0;
};

class ControlApi {
 public:
  // Connections listed per worker at most.
  static constexpr uint32_t kConnListLimit = 10000;

  // `state_file`: where the operator's changes are kept (admin_state_file.h); empty: nowhere.
  ControlApi(Appliance& appliance, WorkerChannels& channels, std::string state_file = {});

  // Every state change is told to `sink` (control/event_log.h), once.
  void on_event(std::function<void(const Event&)> sink) { sink_ = std::move(sink); }
  // Runs after every reload that was taken (the health checker takes the new servers, HA
  // sync tells the peer its directory); hooks run in the order they were added.
  void on_reload(std::function<void()> hook) { reloaded_.push_back(std::move(hook)); }

  std::vector<VipView> vips() const;
  std::vector<ServerView> servers() const;
  // Everything, or (`vip`) only the services with a listener on that address.
  StatsView stats(const std::optional<IpAddress>& vip = std::nullopt) const;
  // Samples every counter the rates are made of; the event loop calls it once a second.
  void sample_rates(uint64_t now_ms);
  std::vector<PersistenceView> persistence() const;
  std::vector<NeighbourView> neighbours() const;
  // Asynchronous: `done` runs on the loop when every worker has answered (or 2 s passed).
  void connections(uint64_t now_ms, std::function<void(Result<ConnList>)> done);

  // `origin` says who asked, in the change's event ("sluicectl", "status page ADDRESS:PORT").
  Result<void> set_admin_state(const ServerRef& server, AdminState state,
                               const std::string& origin = "sluicectl");
  Result<void> set_weight(const ServerRef& server, uint32_t weight,
                          const std::string& origin = "sluicectl");
  Result<void> reload();
  uint32_t clear_persistence();
  const std::string& config_file() const;
  const config::Config& config() const { return appliance_.config(); }
  // What health checks and agents found (control/health_checks.h), as one batch: the
  // workers hear of it by one snapshot publication.
  Result<void> report_health(const std::vector<std::pair<ServerKey, RunState>>& changes);
  // Tells the sink of the events the checker saw (health and agent changes).
  void announce(const Event& e) const;
  // Connection sync (control/ha_sync.h registers where it is read from); none without it.
  std::optional<SyncView> sync() const { return sync_source_ ? sync_source_() : std::nullopt; }
  void on_sync_view(std::function<std::optional<SyncView>()> source) { sync_source_ = std::move(source); }
  // Is this appliance master of `address` (no HA instance holds it standby)?
  bool owns(const IpAddress& address) const { return appliance_.owns(address); }
  // The VRRP instances (control/ha_instances.h registers where they are read from).
  std::vector<HaView> ha() const { return ha_source_ ? ha_source_() : std::vector<HaView>{}; }
  void on_ha_view(std::function<std::vector<HaView>()> source) { ha_source_ = std::move(source); }
  Result<void> ha_command(const HaCommand& c) {
    return ha_control_ ? ha_control_(c) : Result<void>{Error{"no VRRP instance is configured"}};
  }
  void on_ha_command(std::function<Result<void>(const HaCommand&)> control) {
    ha_control_ = std::move(control);
  }
  // An HA instance became master (owned) or left it: its floating addresses are answered and
  // forwarded here, or left to the peer. One snapshot publication.
  Result<void> set_floating(const std::vector<IpAddress>& addresses, bool owned) {
    return appliance_.set_floating(addresses, owned);
  }
  // What HA tracking watches: an interface's link (by name; false when unknown), each
  // worker's loop counter, and whether a virtual service has a real server that may take a
  // new connection (by name; false when unknown).
  bool link_up(const std::string& interface) const;
  std::vector<uint64_t> worker_loops() const;
  bool serving(const std::string& service) const;
  // sluicectl ha push: the virtual services of our file (config/services_block.h; reload
  // first to push what runs) go to the HA peer, which applies them or says why not; `done`
  // runs with its answer (or a timeout).
  using PushDone = std::function<void(Result<std::string>)>;
  void ha_push(PushDone done) {
    if (!pusher_) return done(Error{"no ha.sync is configured: there is no peer to push to"});
    pusher_(std::move(done));
  }
  void on_ha_push(std::function<void(PushDone)> pusher) { pusher_ = std::move(pusher); }
  // This appliance's virtual_services block, as its file has it.
  Result<std::string> services_text() const;
  // The peer's block in place of ours: validated whole, then written to our file and reloaded;
  // or refused with every error, and nothing changed.
  Result<std::string> apply_services(const std::string& block);
  // HA connection sync (control/ha_sync.h): the workers' connection events, whole tables,
  // and connections and persistence entries learnt from the peer.
  void on_connection_event(std::function<void(const dp::WorkerMessage&)> sink) {
    channels_.on_event(std::move(sink));
  }
  // Takes what the workers reported and the loop has not polled yet (a clean stop's last).
  void drain_connection_events() { channels_.poll(monotonic_ms()); }
  Result<void> dump_connection_records(uint64_t now_ms, WorkerChannels::DumpDone done) {
    return channels_.dump_connections(UINT32_MAX, now_ms, std::move(done));
  }
  // To the worker that owns it (dataplane/steering.h); fails when its ring is full.
  Result<void> learn_connection(const dp::ConnRecord& record);
  uint32_t worker_now() const { return appliance_.worker_now(); }
  std::vector<dp::PersistenceTable::Entry> persistence_entries() const {
    return appliance_.persistence().entries(appliance_.worker_now());
  }
  // `e.expires` in seconds left; false when the table had no room.
  bool learn_persistence(dp::PersistenceTable::Entry e);
  const std::map<ServerKey, uint32_t>& server_ids() const { return appliance_.server_ids().all(); }
  // Gratuitous ARP / unsolicited NA for each address, on its subnet's interface.
  void announce_addresses(const std::vector<IpAddress>& addresses) {
    appliance_.announce(addresses);
  }

 private:
  Result<void> change_server(const ServerRef& server, const Override& what, const char* kind,
                             const std::string& origin);
  void after_change();  // fallbacks taken or given back
  bool serving_at(size_t service_index) const;
  void keep_admin_state() const;
  Rates server_rates(uint32_t id) const;

  Appliance& appliance_;
  WorkerChannels& channels_;
  std::string state_file_;
  std::function<void(const Event&)> sink_;
  std::vector<std::function<void()>> reloaded_;
  std::function<std::vector<HaView>()> ha_source_;
  std::function<std::optional<SyncView>()> sync_source_;
  std::function<void(PushDone)> pusher_;
  std::function<Result<void>(const HaCommand&)> ha_control_;
  // Per service name: could one of its real servers take a new connection at the last look?
  std::map<std::string, bool> serving_;
  // control/api_stats.cc lays the counters out in each.
  RateWindow server_rates_, worker_rates_, port_rates_, total_rates_;
};

}  // namespace sluice::control
