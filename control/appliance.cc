#include "control/appliance.h"

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <time.h>

#include <algorithm>
#include <set>
#include <tuple>

#include "config/changes.h"
#include "config/load.h"
#include "control/log.h"

namespace sluice::control {
// Every ring here has one producer thread and one consumer thread. Packet rings hold mbuf
// pointers (rte_ring_create is this with pointer-sized elements); message rings hold messages.
rte_ring* Appliance::make_ring(const std::string& name, unsigned count, unsigned element_size) {
  rte_ring* r = rte_ring_create_elem(name.c_str(), element_size, count,
                                     static_cast<int>(rte_socket_id()), RING_F_SP_ENQ | RING_F_SC_DEQ);
  if (r != nullptr) rings_.push_back(r);
  return r;
}

std::vector<std::pair<rte_ring*, rte_ring*>> Appliance::worker_rings() const {
  std::vector<std::pair<rte_ring*, rte_ring*>> rings;
  for (const dp::WorkerCtx* w : workers_) rings.emplace_back(w->to_worker, w->from_worker);
  return rings;
}

namespace {

// What a reload cannot change without restarting the process: it shapes ports, lcores and
// preallocated memory. Returns the first differing key.
std::optional<std::string> restart_only_change(const config::Config& running,
                                               const config::Config& next) {
  const auto same_interfaces = [&] {
    if (running.interfaces.size() != next.interfaces.size()) return false;
    for (size_t i = 0; i < running.interfaces.size(); ++i) {
      const config::Interface& a = running.interfaces[i];
      const config::Interface& b = next.interfaces[i];
      if (a.name != b.name || a.device != b.device || a.mtu != b.mtu || a.tap != b.tap ||
          a.addresses.size() != b.addresses.size()) {
        return false;
      }
      for (size_t k = 0; k < a.addresses.size(); ++k) {
        if (a.addresses[k].address != b.addresses[k].address ||
            a.addresses[k].length != b.addresses[k].length) {
          return false;
        }
      }
    }
    return true;
  };
  const config::Eal& ea = running.eal;
  const config::Eal& eb = next.eal;
  if (ea.lcores != eb.lcores || ea.memory_mb != eb.memory_mb || ea.no_huge != eb.no_huge ||
      ea.file_prefix != eb.file_prefix || ea.extra_args != eb.extra_args) {
    return "eal";
  }
  const config::Workers& wa = running.workers;
  const config::Workers& wb = next.workers;
  if (wa.count != wb.count || wa.burst != wb.burst || wa.idle_polls != wb.idle_polls ||
      wa.idle_sleep_us != wb.idle_sleep_us) {
    return "workers";
  }
  if (!same_interfaces()) return "interfaces";
  if (running.http != next.http) return "http";
  if (running.connections.capacity != next.connections.capacity) return "connections.capacity";
  if (running.control.socket != next.control.socket) return "control.socket";
  if (running.health.max_scripts != next.health.max_scripts) return "health.max_scripts";
  // VRRP instances and sync are set up at start (sockets, timers) until reloading them is built.
  if (!std::ranges::equal(running.ha.instances, next.ha.instances,
                          [](const auto& a, const auto& b) { return a.same_as(b); })) {
    return "ha";
  }
  if (running.ha.sync != next.ha.sync) return "ha.sync";
  return std::nullopt;
}

}  // namespace

bool has_ipv6_address(const config::Config& cfg) {
  for (const config::Interface& i : cfg.interfaces) {
    for (const Prefix& p : i.addresses) {
      if (!p.address.is_v4()) return true;
    }
  }
  return false;
}

uint64_t monotonic_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000 + static_cast<uint64_t>(ts.tv_nsec) / 1000000;
}

namespace {

// The entries of `all` whose server the configuration still has.
template <class Map>
Map of_configured_servers(const config::Config& cfg, const Map& all) {
  Map kept;
  for (const config::VirtualService& vs : cfg.virtual_services) {
    for (const config::RealServer& rs : vs.real_servers) {
      if (auto it = all.find(key_of(vs, rs)); it != all.end()) kept.insert(*it);
    }
  }
  return kept;
}

// Only the kernel's own sockets (health checks of routed servers) need the routes: a failure
// is worth a warning, not a refused start or reload.
void kernel_routes(const config::Config* running, const config::Config& next) {
  if (Result<void> r = set_kernel_routes(running, next); !r) {
    logger().warning("kernel_routes_not_set",
                     {{"error", r.error()}, {"effect", "health checks of routed servers may fail"}});
  }
}

}  // namespace

Result<std::unique_ptr<Appliance>> Appliance::start(config::Config cfg, Overrides restored) {
  std::unique_ptr<Appliance> a(new Appliance());
  a->cfg_ = std::move(cfg);
  a->overrides_ = of_configured_servers(a->cfg_, restored);
  if (rte_lcore_count() < a->cfg_.workers.count + 1) {
    return Error{"eal.lcores gives " + std::to_string(rte_lcore_count()) + " lcores; " +
                 std::to_string(a->cfg_.workers.count) + " workers need " +
                 std::to_string(a->cfg_.workers.count + 1) + " (one more runs the control plane)"};
  }
  a->pool_ = create_packet_pool(a->cfg_);
  if (a->pool_ == nullptr) {
    return Error{"cannot create the packet pool: " + std::string(rte_strerror(rte_errno)) +
                 " (raise eal.memory_mb)"};
  }
  if (Result<void> r = start_interfaces(a->cfg_, a->pool_, a->interfaces_); !r) return Error{r.error()};
  kernel_routes(nullptr, a->cfg_);
  a->neighbours_ = std::make_unique<NeighbourCtl>(a->neighbour_slots_, a->cfg_.neighbours.timeout);
  a->publisher_ = std::make_unique<Publisher>(a->cfg_.workers.count);
  // Every instance starts as backup: its addresses are the peer's until it is elected.
  for (const config::HaInstance& in : a->cfg_.ha.instances) {
    a->standby_.insert(in.addresses.begin(), in.addresses.end());
  }
  if (Result<void> r = a->publish(a->cfg_); !r) return Error{r.error()};
  if (Result<void> r = a->start_workers(); !r) return Error{r.error()};
  a->start_flow_steering();
  return a;
}

Result<void> Appliance::start_workers() {
  const uint32_t count = cfg_.workers.count;
  std::vector<KernelRings> to_kernel;
  rte_ring* to_wire = nullptr;
  uint16_t id = 0;
  unsigned lcore = 0;
  start_tsc_ = rte_rdtsc();  // one clock for all workers: persistence entries are shared
  RTE_LCORE_FOREACH_WORKER(lcore) {
    if (id == count) break;
    const std::string suffix = std::to_string(id);
    auto table =
        dp::ConnTable::create(("sluice_conns_" + suffix).c_str(), cfg_.connections.capacity,
                              static_cast<int>(rte_lcore_to_socket_id(lcore)), 0);
    if (!table) {
      return Error{"cannot allocate a connection table of " +
                   std::to_string(cfg_.connections.capacity) +
                   " entries (raise eal.memory_mb or lower connections.capacity)"};
    }
    auto* w = new dp::WorkerCtx();
    workers_.push_back(w);
    w->id = id;
    w->worker_count = static_cast<uint16_t>(count);
    w->queue = id;
    w->conns = table.get();
    tables_.push_back(std::move(table));
    // IPv6 connections get a table of their own (100-byte entries), only where an interface
    // has an IPv6 address: without one no IPv6 service can work.
    if (has_ipv6_address(cfg_)) {
      auto table6 =
          dp::ConnTable6::create(("sluice_conns6_" + suffix).c_str(), cfg_.connections.capacity,
                                 static_cast<int>(rte_lcore_to_socket_id(lcore)), 0);
      if (!table6) {
        return Error{"cannot allocate an IPv6 connection table of " +
                     std::to_string(cfg_.connections.capacity) +
                     " entries (raise eal.memory_mb or lower connections.capacity)"};
      }
      w->conns6 = table6.get();
      tables6_.push_back(std::move(table6));
    }
    w->neighbours = &neighbour_slots_;
    w->persistence = &persistence_;
    w->interface_count = static_cast<uint8_t>(interfaces_.size());
    for (size_t i = 0; i < interfaces_.size(); ++i) {
      w->interfaces[i] = {interfaces_[i].port_id, interfaces_[i].mac,
                          static_cast<uint16_t>(cfg_.interfaces[i].mtu)};
      w->interface_of_port[interfaces_[i].port_id] = static_cast<uint8_t>(i);
    }
    w->published = publisher_->slot();
    w->qsbr = publisher_->qsbr();
    w->kernel_ring = make_ring("sluice_kernel_" + suffix);
    w->neighbour_ring = make_ring("sluice_neighbours_" + suffix, kNeighbourRingSize);
    w->to_worker = make_ring("sluice_to_worker_" + suffix, dp::kToWorkerRingSize,
                             sizeof(dp::ControlMessage));
    w->from_worker = make_ring("sluice_from_worker_" + suffix, dp::kFromWorkerRingSize,
                               sizeof(dp::WorkerMessage));
    if (id == 0) {
      w->from_kernel = make_ring("sluice_from_kernel");
      to_wire = w->from_kernel;
    }
    if (w->kernel_ring == nullptr || w->neighbour_ring == nullptr || w->to_worker == nullptr || w->from_worker == nullptr ||
        to_wire == nullptr) {
      return Error{"cannot create worker rings: " + std::string(rte_strerror(rte_errno))};
    }
    to_kernel.push_back({w->neighbour_ring, w->kernel_ring});
    w->burst = cfg_.workers.burst;
    w->idle_polls = cfg_.workers.idle_polls;
    w->idle_sleep_us = cfg_.workers.idle_sleep_us;
    w->start_tsc = start_tsc_;
    w->tsc_hz = rte_get_tsc_hz();
    w->stop = &stop_;
    lcores_.push_back(lcore);
    ++id;
  }
  if (Result<void> r = connect_handoff_rings(); !r) return r;
  for (size_t i = 0; i < workers_.size(); ++i) {
    if (rte_eal_remote_launch(dp::worker_main, workers_[i], lcores_[i]) != 0) {
      return Error{"cannot launch worker on lcore " + std::to_string(lcores_[i])};
    }
  }
  exception_ = std::make_unique<ExceptionPath>(interfaces_, std::move(to_kernel), to_wire, pool_,
                                               *neighbours_);
  logger().notice("started", {{"workers", count},
                              {"interfaces", interfaces_.size()},
                              {"virtual_services", cfg_.virtual_services.size()}});
  return {};
}

void Appliance::start_flow_steering() {
  std::vector<uint16_t> ports;
  std::vector<std::string> names;
  for (size_t i = 0; i < interfaces_.size(); ++i) {
    ports.push_back(interfaces_[i].port_id);
    names.push_back(cfg_.interfaces[i].name);
  }
  const std::optional<std::string> how =
      flows_.start(ports, names, plan_flow_rules(cfg_), cfg_.workers.count);
  if (how) logger().notice("steering", {{"how", *how}});
}

// One ring per ordered pair of workers, so every ring has a single producer and consumer
// (an rte_ring with several producers would make one worker wait for another's enqueue).
Result<void> Appliance::connect_handoff_rings() {
  for (dp::WorkerCtx* from : workers_) {
    for (dp::WorkerCtx* to : workers_) {
      if (from == to) continue;
      rte_ring* r =
          make_ring("sluice_handoff_" + std::to_string(from->id) + "_" + std::to_string(to->id));
      if (r == nullptr)
        return Error{"cannot create hand-off rings: " + std::string(rte_strerror(rte_errno))};
      from->handoff_to[to->id] = r;
      to->handoff_from[from->id] = r;
    }
  }
  return {};
}

Appliance::~Appliance() {
  stop_.store(true, std::memory_order_relaxed);
  rte_eal_mp_wait_lcore();
  flows_.stop();
  stop_interfaces(interfaces_);
  for (dp::WorkerCtx* w : workers_) delete w;
  tables_.clear();
  tables6_.clear();
  for (rte_ring* r : rings_) rte_ring_free(r);
  publisher_.reset();
  rte_mempool_free(pool_);
}

namespace {

std::set<uint16_t> neighbour_slots_of(const dp::Snapshot* snap) {
  std::set<uint16_t> slots;
  if (snap != nullptr) {
    for (const dp::RealServerEntry& s : snap->servers)
      slots.insert(snap->fate_by_id[s.id].neighbour);
    // Removed servers whose connections are kept are still sent to.
    for (const dp::ServerFate& f : snap->fate_by_id) {
      if (f.forward) slots.insert(f.neighbour);
    }
  }
  return slots;
}

// The service a `set server` names by VIP:PORT[/PROTOCOL]. Without a protocol, tcp wins when
// both are served.
const config::VirtualService* service_of(const config::Config& cfg, const ServerRef& change) {
  const config::VirtualService* found = nullptr;
  for (const config::VirtualService& vs : cfg.virtual_services) {
    for (const config::Listener& l : vs.listeners) {
      if (!l.serves(change.service.address, change.service.port)) continue;
      for (const Protocol protocol : l.protocols) {
        if (change.protocol && protocol != *change.protocol) continue;
        if (found == nullptr || protocol == Protocol::tcp) found = &vs;
      }
    }
  }
  return found;
}

}  // namespace

Result<void> Appliance::publish(const config::Config& cfg) {
  const auto slot_for = [this](const NextHop& hop) -> std::optional<NeighbourSlot> {
    const std::optional<uint16_t> slot = neighbours_->slot_for(hop);
    if (!slot) return std::nullopt;
    return NeighbourSlot{.slot = *slot, .resolved = neighbours_->entries()[*slot].resolved};
  };
  control::ServerIds ids = ids_;  // a failed compile must leave the running ids untouched
  const auto has_connections = [this](uint32_t id) {
    return std::ranges::any_of(workers_,
                               [id](const dp::WorkerCtx* w) { return dp::holds_connections(*w, id); });
  };
  CompileResult r = compile(cfg, generation_ + 1, ids, overrides_, slot_for,
                            {publisher_->current(), has_connections}, run_states_, standby_);
  if (!r) {
    neighbours_->retain(neighbour_slots_of(publisher_->current()));
    return Error{r.error()};
  }
  ++generation_;
  counters_.renumbered(workers_, ids_.all(), ids.all());
  ids_ = std::move(ids);
  std::unique_ptr<dp::Snapshot> snapshot = std::move(r).value();
  neighbours_->retain(neighbour_slots_of(snapshot.get()));
  // Servers whose next hop is not resolved take no connections yet: ask for their MACs now
  // and publish again once one answers (tick_neighbours).
  awaiting_neighbours_.clear();
  for (const dp::RealServerEntry& s : snapshot->servers) {
    if (!s.reachable) awaiting_neighbours_.insert(snapshot->fate_by_id[s.id].neighbour);
  }
  publisher_->publish(std::move(snapshot));
  if (!awaiting_neighbours_.empty() && exception_ != nullptr) tick_neighbours(monotonic_ms());
  return {};
}

uint32_t Appliance::worker_now() const {
  return static_cast<uint32_t>((rte_rdtsc() - start_tsc_) / rte_get_tsc_hz());
}

uint32_t Appliance::poll_exception_path(uint64_t now_ms) { return exception_->poll(now_ms); }

void Appliance::tick_neighbours(uint64_t now_ms) {
  neighbours_->tick(now_ms, [this](const NextHop& hop) {
    exception_->send_neighbour_request(cfg_, hop);
  });
  const auto resolved = [this](uint16_t slot) { return neighbours_->entries()[slot].resolved; };
  if (std::ranges::any_of(awaiting_neighbours_, resolved)) {
    if (Result<void> r = publish(cfg_); !r) {
      logger().warning("reachable_not_published", {{"error", r.error()}});
    }
  }
}

void Appliance::reclaim_snapshots() { publisher_->reclaim(); }

Result<std::string> Appliance::reload() {
  config::LoadResult loaded = config::load_file(cfg_.file);
  if (!loaded.config) {
    std::string text;
    for (const config::Error& e : loaded.errors) text += e.format() + "\n";
    text.pop_back();
    return Error{text};
  }
  config::Config& next = *loaded.config;
  if (const std::optional<std::string> key = restart_only_change(cfg_, next)) {
    return Error{cfg_.file + ": " + *key + ": changing this needs a restart of sluiced"};
  }
  if (Result<void> published = publish(next); !published) {
    return Error{cfg_.file + ": " + published.error()};
  }
  // Overrides and health of real servers that left the file go with them.
  overrides_ = of_configured_servers(next, overrides_);
  run_states_ = of_configured_servers(next, run_states_);
  neighbours_->set_timeout(next.neighbours.timeout);
  kernel_routes(&cfg_, next);
  if (Result<void> r = flows_.update(plan_flow_rules(next)); !r) {
    logger().warning("flow_rules_not_replaced", {{"error", r.error()}});
  }
  const std::string changes = config::describe_changes(cfg_, next);
  cfg_ = std::move(next);
  return "generation " + std::to_string(generation_) + ": " + changes;
}

Result<Appliance::OverrideChange> Appliance::override_server(const ServerRef& change, const Override& what) {
  const config::VirtualService* service = service_of(cfg_, change);
  if (service == nullptr) return Error{"no virtual service serves that address and port"};
  const config::RealServer* server = nullptr;
  for (const config::RealServer& rs : service->real_servers) {
    if (names_server(change, rs)) server = &rs;
  }
  if (server == nullptr) {
    return Error{"virtual service " + service->name + " has no such real server"};
  }
  const Overrides before = overrides_;
  const ServerKey key = key_of(*service, *server);
  Override& o = overrides_[key];
  if (what.state) o.state = what.state;
  if (what.weight) o.weight = what.weight;
  Result<void> published = publish(cfg_);
  if (!published) {
    overrides_ = before;
    return Error{published.error()};
  }
  const auto text = [](const Override& o, const config::RealServer& rs, bool state) {
    return state ? std::string(to_string(o.state.value_or(rs.state)))
                 : std::to_string(o.weight.value_or(rs.weight));
  };
  const Override was = before.contains(key) ? before.at(key) : Override{};
  return OverrideChange{.key = key,
                        .server = server_label(*service, *server),
                        .from = text(was, *server, what.state.has_value()),
                        .to = text(o, *server, what.state.has_value()),
                        .generation = generation_};
}

const RunState* Appliance::run_state(const ServerKey& key) const {
  const auto it = run_states_.find(key);
  return it == run_states_.end() ? nullptr : &it->second;
}

Result<void> Appliance::set_floating(const std::vector<IpAddress>& addresses, bool owned) {
  const std::set<IpAddress> before = standby_;
  for (const IpAddress& a : addresses) {
    if (owned) {
      standby_.erase(a);
    } else {
      standby_.insert(a);
    }
  }
  if (standby_ == before) return {};
  Result<void> published = publish(cfg_);
  if (!published) standby_ = before;
  return published;
}

void Appliance::announce(const std::vector<IpAddress>& addresses) {
  for (const IpAddress& a : addresses) {
    // On its connected subnet; an address routed to the appliance has no neighbours to tell.
    const std::optional<NextHop> way = route_to(cfg_, a);
    if (way && way->address == a) exception_->send_announcement(way->interface, a);
  }
}

Result<void> Appliance::set_run_states(const std::vector<std::pair<ServerKey, RunState>>& changes) {
  bool workers_see_it = false;
  for (const auto& [key, state] : changes) {
    RunState& kept = run_states_[key];
    workers_see_it = workers_see_it || kept.health != state.health ||
                     kept.agent_percent != state.agent_percent ||
                     kept.agent_admin != state.agent_admin || kept.agent_up != state.agent_up;
    kept = state;
  }
  // Kept even when the publication fails: the next one that succeeds (any change, a
  // neighbour resolving) carries them.
  return workers_see_it ? publish(cfg_) : Result<void>{};
}

}  // namespace sluice::control
