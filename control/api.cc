#include "control/api.h"

#include <rte_byteorder.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "config/load.h"
#include "config/services_block.h"
#include "control/admin_state_file.h"
#include "control/compile/compile.h"
#include "control/log.h"
#include "dataplane/drop_reasons.h"
#include "dataplane/steering.h"

namespace sluice::control {
namespace {

// An address and port as packets carry them, in the CLI's form ("a.b.c.d:p", "[v6]:p").
std::string endpoint_be(uint32_t address_be, uint16_t port_be) {
  return format_endpoint(IpAddress::v4(rte_be_to_cpu_32(address_be)), rte_be_to_cpu_16(port_be));
}

std::string endpoint_be(const Ip6& address, uint16_t port_be) {
  IpAddress a;
  std::memcpy(a.bytes.data(), address.bytes, 16);
  return format_endpoint(a, rte_be_to_cpu_16(port_be));
}

template <class C>
ConnView conn_view(const C& c, uint16_t worker, uint32_t worker_now, bool ipv6) {
  return {.worker = worker,
          .ipv6 = ipv6,
          .protocol = static_cast<Protocol>(c.protocol),
          .client = endpoint_be(c.client_ip, c.client_port),
          .vip = endpoint_be(c.vip_ip, c.vip_port),
          .server = endpoint_be(c.server_ip, c.server_port),
          .server_sees = endpoint_be(c.backend_src_ip, c.backend_src_port),
          .mode = c.mode,
          .state = dp::to_string(c.state),
          .expires_in = static_cast<int64_t>(c.expires) - worker_now};
}

}  // namespace

ControlApi::ControlApi(Appliance& appliance, WorkerChannels& channels, std::string state_file)
    : appliance_(appliance), channels_(channels), state_file_(std::move(state_file)) {
  after_change();  // what serves at start is the baseline, not an event
}

const std::string& ControlApi::config_file() const { return appliance_.config().file; }

// One entry per listener: a service grouping several shows each of them.
std::vector<VipView> ControlApi::vips() const {
  std::vector<VipView> out;
  for (const config::VirtualService& vs : appliance_.config().virtual_services) {
    for (const config::Listener& l : vs.listeners) {
      out.push_back({.name = vs.name,
                     .address = l.address,
                     .ports = config::format_ports(l.ports),
                     .protocol = config::protocols_name(l.protocols),
                     .mode = vs.mode,
                     .scheduler = vs.scheduler,
                     .servers = vs.real_servers.size()});
    }
  }
  return out;
}

std::vector<ServerView> ControlApi::servers() const {
  std::vector<ServerView> out;
  const dp::Snapshot& snap = appliance_.snapshot();
  const auto& services = appliance_.config().virtual_services;
  for (size_t v = 0; v < services.size(); ++v) {
    const config::VirtualService& vs = services[v];
    // A service grouping several listeners is shown by its first.
    const config::Listener& listener = vs.listeners.front();
    // The snapshot lists servers in file order, the fallback last, so index k matches; it
    // holds the effective values (file plus CLI overrides).
    for (size_t k = 0; k < vs.real_servers.size() + (vs.fallback ? 1 : 0); ++k) {
      const bool fallback = k == vs.real_servers.size();
      const config::RealServer& rs = fallback ? *vs.fallback : vs.real_servers[k];
      const dp::RealServerEntry& s = snap.servers[snap.services[v].first_server + k];
      const ServerKey key = key_of(vs, rs, fallback);
      Override by_operator;
      if (auto it = appliance_.overrides().find(key); it != appliance_.overrides().end()) {
        by_operator = it->second;
      }
      const RunState* run = appliance_.run_state(key);
      const std::optional<config::HealthCheck>& check = vs.check_of(rs);
      out.push_back(
          {.service = vs.name,
           .fallback = fallback,
           .vip = listener.address,
           .ports = config::format_ports(listener.ports),
           .protocol = config::protocols_name(listener.protocols),
           .server = server_label(vs, rs),
           .state = by_operator.state.value_or(rs.state),
           .configured_weight = by_operator.weight.value_or(rs.weight),
           .check = check && !fallback ? std::optional(check->type) : std::nullopt,
           .run = run != nullptr ? *run : RunState{},
           .effective_state = s.state,
           .weight = s.weight,
           .decided_by = std::string(effective(rs, by_operator, run, vs.on_failure).decided_by),
           .reachable = s.reachable,
           .counts = appliance_.server_counts(s.id),
           .rates = server_rates(s.id)});
    }
  }
  return out;
}

void ControlApi::connections(uint64_t now_ms, std::function<void(Result<ConnList>)> done) {
  Result<void> asked = channels_.dump_connections(
      kConnListLimit, now_ms, [done](ConnDumpResult result) {
        ConnList list{.conns = {}, .unanswered = std::move(result.unanswered)};
        for (const ConnDump& d : result.dumps) {
          for (const dp::ConnRecord& r : d.records) {
            list.conns.push_back(r.ipv6 ? conn_view(r.conn6, d.worker, d.worker_now, true)
                                        : conn_view(r.conn, d.worker, d.worker_now, false));
          }
        }
        done(std::move(list));
      });
  if (!asked) done(Error{asked.error()});
}

// Persistence entries name their service by key and their server by id: both are mapped
// back through the running configuration and snapshot.
std::vector<PersistenceView> ControlApi::persistence() const {
  std::map<uint32_t, const config::VirtualService*> service_of_key;
  for (const config::VirtualService& vs : appliance_.config().virtual_services) {
    if (vs.persistence) service_of_key[persistence_key_of(vs.name)] = &vs;
  }
  std::map<uint32_t, std::string> server_of_id;
  for (const dp::RealServerEntry& s : appliance_.snapshot().servers) {
    server_of_id[s.id] = s.port ? format_endpoint(s.address, s.port) : format_ip(s.address);
  }
  const uint32_t now = appliance_.worker_now();
  std::vector<PersistenceView> out;
  for (const dp::PersistenceTable::Entry& e : appliance_.persistence().entries(now)) {
    const auto service = service_of_key.find(e.service);
    const auto server = server_of_id.find(e.server_id);
    const bool v6 =
        service != service_of_key.end() && !service->second->listeners.front().address.is_v4();
    char folded[16];
    std::snprintf(folded, sizeof folded, "%08x", e.client);
    out.push_back({.service = service != service_of_key.end() ? service->second->name : "-",
                   // IPv6 clients are kept as a 32-bit digest of their address.
                   .client = v6 ? std::string("ipv6:") + folded : format_ipv4(e.client),
                   .server = server != server_of_id.end() ? server->second : "-",
                   .expires_in = static_cast<int64_t>(e.expires) - now});
  }
  return out;
}

// The next hops sluice resolves (real servers, route gateways) and what ARP/ND said of them.
std::vector<NeighbourView> ControlApi::neighbours() const {
  const uint64_t now = monotonic_ms();
  std::vector<NeighbourView> out;
  for (const NeighbourCtl::Entry& e : appliance_.neighbours().entries()) {
    if (!e.in_use) continue;
    out.push_back({.address = e.hop.address,
                   .interface = appliance_.config().interfaces[e.hop.interface].name,
                   .mac = e.resolved ? std::optional(e.mac) : std::nullopt,
                   .expires_in = e.resolved ? static_cast<int64_t>(e.expires_ms - now) / 1000 : 0});
  }
  return out;
}

Result<void> ControlApi::set_admin_state(const ServerRef& server, AdminState state,
                                         const std::string& origin) {
  return change_server(server, {.state = state, .weight = std::nullopt}, "admin", origin);
}

Result<void> ControlApi::set_weight(const ServerRef& server, uint32_t weight,
                                    const std::string& origin) {
  return change_server(server, {.state = std::nullopt, .weight = weight}, "weight", origin);
}

Result<void> ControlApi::change_server(const ServerRef& server, const Override& what,
                                       const char* kind, const std::string& origin) {
  Result<Appliance::OverrideChange> change = appliance_.override_server(server, what);
  if (!change) return Error{change.error()};
  const Appliance::OverrideChange& c = change.value();
  keep_admin_state();
  if (c.from == c.to) return {};  // nothing changed: no event
  announce({.kind = kind, .service = c.key.service, .server = c.server, .from = c.from, .to = c.to,
            .reason = origin + ", generation " + std::to_string(c.generation)});
  after_change();
  return {};
}

// Every reload is an event, taken or refused, so that the log explains each generation.
Result<void> ControlApi::reload() {
  Result<std::string> r = appliance_.reload();
  if (!r) {
    const std::string& error = r.error();
    const auto more = std::count(error.begin(), error.end(), '\n');
    announce({.kind = "reload", .service = "", .server = "", .from = "", .to = "refused",
              .reason = error.substr(0, error.find('\n')) +
                        (more == 0 ? "" : " (+" + std::to_string(more) + " more)")});
    return Error{error};
  }
  announce({.kind = "reload", .service = "", .server = "", .from = "", .to = "taken",
            .reason = r.value()});
  keep_admin_state();  // overrides of servers the file no longer has are gone
  for (const auto& hook : reloaded_) hook();
  after_change();
  return {};
}

namespace {

// Puts `text` in place of the file at `path` (through a link, the file it names): written to
// a new file of its own in the same directory (never an existing name or a link), with the
// file's mode and owner, synced, then renamed over it, and the directory synced.
Result<void> replace_file(const std::string& path, const std::string& text) {
  std::error_code ec;
  const std::filesystem::path real = std::filesystem::canonical(path, ec);
  if (ec) return Error{path + ": " + ec.message()};
  struct stat st{};
  if (stat(real.c_str(), &st) != 0) return Error{path + ": " + std::strerror(errno)};
  std::string name = (real.parent_path() / ".sluice-pushed-XXXXXX").string();
  const int fd = mkstemp(name.data());
  if (fd < 0) return Error{name + ": cannot create: " + std::strerror(errno)};
  const auto fail = [&](const char* what) {
    const std::string why = std::strerror(errno);
    close(fd);
    unlink(name.c_str());
    return Error{name + ": cannot " + what + ": " + why};
  };
  if (fchmod(fd, st.st_mode & 07777) != 0 || fchown(fd, st.st_uid, st.st_gid) != 0) {
    return fail("set mode and owner");
  }
  for (size_t done = 0; done < text.size();) {
    const ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0) return fail("write");
    done += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0) return fail("sync");
  close(fd);
  if (rename(name.c_str(), real.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    unlink(name.c_str());
    return Error{path + ": cannot replace: " + why};
  }
  if (const int dir = open(real.parent_path().c_str(), O_RDONLY | O_DIRECTORY); dir >= 0) {
    fsync(dir);
    close(dir);
  }
  return {};
}

Result<std::string> read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) return Error{path + ": cannot read: " + std::strerror(errno)};
  return text.str();
}

}  // namespace

Result<std::string> ControlApi::services_text() const {
  Result<std::string> text = read_text(config_file());
  if (!text) return Error{text.error()};
  std::optional<std::string> block = config::services_block(text.value());
  if (!block) return Error{config_file() + " has no virtual_services to push"};
  return *block;
}

Result<std::string> ControlApi::apply_services(const std::string& block) {
  Result<std::string> text = read_text(config_file());
  if (!text) return Error{text.error()};
  Result<std::string> next = config::with_services_block(text.value(), block);
  if (!next) return Error{next.error()};
  // Validated whole before anything is written; its errors name it as the pushed file.
  const config::LoadResult loaded = config::load_string(next.value(), config_file() + ".pushed");
  if (!loaded.config) {
    std::string errors;
    for (const config::Error& e : loaded.errors) errors += (errors.empty() ? "" : "\n") + e.format();
    return Error{errors};
  }
  if (Result<void> w = replace_file(config_file(), next.value()); !w) return Error{w.error()};
  if (Result<void> r = reload(); !r) {
    // Refused as it runs (a restart-only key edited in the file, say): the file goes back.
    if (Result<void> back = replace_file(config_file(), text.value()); !back) {
      return Error{r.error() + "\n" + back.error()};
    }
    return Error{r.error()};
  }
  return "applied to " + config_file() + " and reloaded";
}

Result<void> ControlApi::report_health(const std::vector<std::pair<ServerKey, RunState>>& changes) {
  Result<void> r = appliance_.set_run_states(changes);
  after_change();
  return r;
}

void ControlApi::announce(const Event& e) const {
  if (sink_) sink_(e);
}

void ControlApi::keep_admin_state() const {
  if (state_file_.empty()) return;
  if (Result<void> r = write_admin_state(state_file_, appliance_.overrides()); !r) {
    logger().warning("admin_state_not_kept", {{"error", r.error()}});
  }
}

// A service whose real servers can take no new connection sends them to its fallback (or
// refuses them): worth an event each way.
void ControlApi::after_change() {
  const auto& services = appliance_.config().virtual_services;
  std::map<std::string, bool> now;
  for (size_t v = 0; v < services.size(); ++v) {
    const bool serving = serving_at(v);
    now[services[v].name] = serving;
    const auto before = serving_.find(services[v].name);
    if (before == serving_.end() || before->second == serving) continue;
    const bool fallback = services[v].fallback.has_value();
    announce({.kind = fallback ? "fallback" : "service", .service = services[v].name,
              .server = fallback ? format_ip(services[v].fallback->address) : "",
              .from = "", .to = fallback ? (serving ? "given back" : "taken") : (serving ? "up" : "down"),
              .reason = serving ? "a real server takes connections again"
                                : "no real server takes new connections"});
  }
  serving_ = std::move(now);
}

// Could one of service v's real servers take a new connection? Whether a next hop is resolved
// yet is not counted (all start unresolved).
bool ControlApi::serving_at(size_t v) const {
  const dp::Snapshot& snap = appliance_.snapshot();
  const dp::VirtualServiceEntry& entry = snap.services[v];
  const auto begin = snap.servers.begin() + entry.first_server;
  return std::any_of(begin, begin + entry.server_count, [](const dp::RealServerEntry& s) {
    return s.state == AdminState::online && s.weight > 0;
  });
}

bool ControlApi::serving(const std::string& service) const {
  const auto& services = appliance_.config().virtual_services;
  for (size_t v = 0; v < services.size(); ++v) {
    if (services[v].name == service) return serving_at(v);
  }
  return false;
}

bool ControlApi::link_up(const std::string& interface) const {
  const auto& configured = appliance_.config().interfaces;
  for (size_t i = 0; i < configured.size(); ++i) {
    if (configured[i].name == interface) return control::link_up(configured[i], appliance_.interfaces()[i]);
  }
  return false;
}

Result<void> ControlApi::learn_connection(const dp::ConnRecord& record) {
  const uint16_t port = rte_be_to_cpu_16(record.ipv6 ? record.conn6.client_port : record.conn.client_port);
  const auto workers = static_cast<uint16_t>(appliance_.workers().size());
  // nat and snat: the owner of the client's port (its snat port is of that worker's share
  // too, when the pair runs as many workers); dr and tun: the same, where a single queue or
  // the NIC's hash will bring its packets when there is one worker per queue.
  return channels_.send(dp::owner_of_port(port, workers),
                        {.type = dp::ToWorker::insert_connection, .request = 0, .limit = 0,
                         .record = record});
}

bool ControlApi::learn_persistence(dp::PersistenceTable::Entry e) {
  const uint32_t now = appliance_.worker_now();
  e.expires += now;
  return appliance_.persistence().record(e, now);
}

std::vector<uint64_t> ControlApi::worker_loops() const {
  std::vector<uint64_t> out;
  for (const dp::WorkerCtx* w : appliance_.workers()) out.push_back(w->stats.loops.get());
  return out;
}

uint32_t ControlApi::clear_persistence() {
  return appliance_.persistence().clear(appliance_.worker_now());
}

}  // namespace sluice::control
