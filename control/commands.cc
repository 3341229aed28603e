#include "control/commands.h"

#include <nlohmann/json.hpp>

#include <cstdio>

#include "control/command_parse.h"
#include "control/ipvs_listing.h"

namespace sluice::control {
namespace {

using nlohmann::json;

json to_json(const VipView& v) {
  return {{"name", v.name},
          {"address", format_ip(v.address)},
          {"ports", v.ports},
          {"protocol", v.protocol},
          {"mode", to_string(v.mode)},
          {"scheduler", to_string(v.scheduler)},
          {"servers", v.servers}};
}

// The agent's last word on each of its subjects; null when it said nothing of it.
json agent_json(const RunState& run) {
  if (!run.has_agent) return nullptr;
  const auto admin = [](health::AgentAdmin a) {
    return a == health::AgentAdmin::ready ? "ready" : a == health::AgentAdmin::drain ? "drain" : "maint";
  };
  return {{"percent", run.agent_percent ? json(*run.agent_percent) : json(nullptr)},
          {"admin", run.agent_admin ? json(admin(*run.agent_admin)) : json(nullptr)},
          {"up", run.agent_up ? json(*run.agent_up) : json(nullptr)},
          {"result", run.agent_result}};
}

json to_json(const Traffic& t) {
  return {{"packets_in", t.packets_in},
          {"bytes_in", t.bytes_in},
          {"packets_out", t.packets_out},
          {"bytes_out", t.bytes_out}};
}

json to_json(const Rates& r) {
  return {{"conns", r.conns},
          {"packets_in", r.packets_in},
          {"bytes_in", r.bytes_in},
          {"packets_out", r.packets_out},
          {"bytes_out", r.bytes_out}};
}

json to_json(const ServerView& s) {
  return {{"vip", s.service},
          {"role", s.fallback ? "fallback" : "real"},
          {"vip_address", format_ip(s.vip)},
          {"ports", s.ports},
          {"protocol", s.protocol},
          {"server", s.server},
          {"state", to_string(s.state)},
          {"configured_weight", s.configured_weight},
          {"check", s.check ? to_string(*s.check) : "none"},
          {"health", to_string(s.run.health)},
          {"check_result", s.run.check_result},
          {"health_since", s.run.health_since},
          {"agent", agent_json(s.run)},
          {"effective_state", to_string(s.effective_state)},
          {"weight", s.weight},
          {"decided_by", s.decided_by},
          {"reachable", s.reachable},
          {"active_conns", s.counts.active},
          {"inactive_conns", s.counts.inactive},
          {"total_conns", s.counts.conns},
          {"traffic", to_json(s.counts.traffic)},
          {"rates", to_json(s.rates)}};
}

json to_json(const HaView& v) {
  json addresses = json::array();
  for (const IpAddress& a : v.addresses) addresses.push_back(format_ip(a));
  json drops = json::object();
  for (const auto& [name, count] : v.drops) drops[std::string(name)] = count;
  return {{"name", v.name},
          {"interface", v.interface},
          {"vrid", v.vrid},
          {"state", v.state},
          {"priority", v.priority},
          {"configured_priority", v.configured_priority},
          {"interval_cs", v.interval_cs},
          {"master", v.master},
          {"master_priority", v.master_priority},
          {"master_interval_cs", v.master_interval_cs},
          {"last_change", v.last_change},
          {"maintenance", v.maintenance},
          {"tracked_down", v.tracked_down},
          {"aws", v.aws ? json{{"calls", v.aws->calls},
                               {"retries", v.aws->retries},
                               {"failures", v.aws->failures},
                               {"moving", v.aws->moving}}
                        : json()},
          {"since", v.since},
          {"addresses", addresses},
          {"adverts_sent", v.adverts_sent},
          {"adverts_received", v.adverts_received},
          {"drops", drops}};
}

json to_json(const SyncView& v) {
  json drops = json::object();
  for (const auto& [name, count] : v.drops) drops[std::string(name)] = count;
  return {{"peer", v.peer},
          {"datagrams_sent", v.datagrams_sent},
          {"records_sent", v.records_sent},
          {"datagrams_received", v.datagrams_received},
          {"records_received", v.records_received},
          {"send_failed", v.send_failed},
          {"outbox", v.outbox},
          {"lost", v.lost},
          {"unknown_server", v.unknown_server},
          {"not_ours", v.not_ours},
          {"bad_state", v.bad_state},
          {"not_from_peer", v.not_from_peer},
          {"learnt_refused", v.learnt_refused},
          {"last_heard_ms", v.last_heard_ms},
          {"drops", drops}};
}

// show ha: the instances, and the connection sync when there is one (null otherwise).
json ha_json(const ControlApi& api) {
  json instances = json::array();
  for (const HaView& v : api.ha()) instances.push_back(to_json(v));
  const std::optional<SyncView> sync = api.sync();
  return {{"instances", instances}, {"sync", sync ? to_json(*sync) : json()}};
}

json to_json(const Drops& drops) {
  json out = json::object();
  for (const auto& [name, count] : drops) out[std::string(name)] = count;
  return out;
}

json to_json(const PortView& p) {
  json xstats = json::object();
  for (const auto& [name, value] : p.xstats) xstats[name] = value;
  return {{"name", p.name},
          {"rx_packets", p.rx_packets},
          {"tx_packets", p.tx_packets},
          {"rx_bytes", p.rx_bytes},
          {"tx_bytes", p.tx_bytes},
          {"rx_missed", p.rx_missed},
          {"rx_errors", p.rx_errors},
          {"tx_errors", p.tx_errors},
          {"rx_no_mbuf", p.rx_no_mbuf},
          {"rx_per_second", p.rx_per_second},
          {"tx_per_second", p.tx_per_second},
          {"rx_bytes_per_second", p.rx_bytes_per_second},
          {"tx_bytes_per_second", p.tx_bytes_per_second},
          {"xstats", xstats}};
}

json to_json(const WorkerView& w) {
  return {{"worker", w.id},
          {"rx_packets", w.rx_packets},
          {"tx_packets", w.tx_packets},
          {"conns_created", w.conns_created},
          {"handed_off", w.handed_off},
          {"taken_over", w.taken_over},
          {"events_dropped", w.events_dropped},
          {"loops", w.loops},
          {"idle_loops", w.idle_loops},
          {"idle_share", w.idle_share},
          {"rx_per_second", w.rx_per_second},
          {"tx_per_second", w.tx_per_second},
          {"drops", to_json(w.drops)}};
}

json to_json(const ServerStatsView& s) {
  return {{"server", s.server},
          {"role", s.fallback ? "fallback" : "real"},
          {"weight", s.weight},
          {"active_conns", s.counts.active},
          {"inactive_conns", s.counts.inactive},
          {"total_conns", s.counts.conns},
          {"traffic", to_json(s.counts.traffic)},
          {"rates", to_json(s.rates)}};
}

json to_json(const ServiceStatsView& s) {
  json listeners = json::array();
  for (const ListenerView& l : s.listeners) {
    listeners.push_back({{"address", format_ip(l.address)},
                         {"ports", config::format_ports(l.ports)},
                         {"protocol", config::protocols_name(l.protocols)}});
  }
  json servers = json::array();
  for (const ServerStatsView& server : s.servers) servers.push_back(to_json(server));
  return {{"vip", s.name},
          {"mode", to_string(s.mode)},
          {"scheduler", to_string(s.scheduler)},
          {"listeners", listeners},
          {"active_conns", s.counts.active},
          {"inactive_conns", s.counts.inactive},
          {"total_conns", s.counts.conns},
          {"traffic", to_json(s.counts.traffic)},
          {"rates", to_json(s.rates)},
          {"fallback_in_use", s.fallback_in_use},
          {"servers", servers}};
}

json to_json(const StatsView& v) {
  json ports = json::array();
  for (const PortView& p : v.ports) ports.push_back(to_json(p));
  json workers = json::array();
  for (const WorkerView& w : v.workers) workers.push_back(to_json(w));
  json services = json::array();
  for (const ServiceStatsView& s : v.services) services.push_back(to_json(s));
  return {{"workers", v.workers.size()},     {"rx_packets", v.rx_packets},
          {"tx_packets", v.tx_packets},      {"to_kernel", v.to_kernel},
          {"conns_created", v.conns_created}, {"handed_off", v.handed_off},
          {"icmp_translated", v.icmp_translated}, {"icmp_sent", v.icmp_sent},
          {"echo_replied", v.echo_replied},  {"half_open_evicted", v.half_open_evicted},
          {"active_conns", v.active_conns},  {"inactive_conns", v.inactive_conns},
          {"exception_dropped", v.exception_dropped}, {"events_dropped", v.events_dropped},
          {"conns_per_second", v.conns_per_second}, {"rx_per_second", v.rx_per_second},
          {"tx_per_second", v.tx_per_second}, {"rate_window_s", v.rate_window_s},
          {"drops", to_json(v.drops)},       {"ports", ports},
          {"per_worker", workers},           {"services", services}};
}

json to_json(const ConnView& c) {
  return {{"worker", c.worker},
          {"protocol", to_string(c.protocol)},
          {"client", c.client},
          {"vip", c.vip},
          {"server", c.server},
          // What the server sees as the client: a pool address in snat.
          {"server_sees", c.server_sees},
          {"mode", to_string(c.mode)},
          {"state", c.state},
          {"expires_in", c.expires_in}};
}

json to_json(const PersistenceView& p) {
  return {{"vip", p.service},
          {"client", p.client},
          {"server", p.server},
          {"expires_in", p.expires_in}};
}

json to_json(const NeighbourView& n) {
  return {{"address", format_ip(n.address)},
          {"interface", n.interface},
          {"mac", n.mac ? format_mac(*n.mac) : ""},
          {"state", n.mac ? "resolved" : "unresolved"},
          {"expires_in", n.expires_in}};
}

template <class T>
json to_json(const std::vector<T>& items) {
  json out = json::array();
  for (const T& item : items) out.push_back(to_json(item));
  return out;
}

json ok(json result) { return {{"ok", true}, {"result", std::move(result)}}; }
json failed(const std::string& error) { return {{"ok", false}, {"error", error}}; }
json from(const Result<void>& r, const char* done) { return r ? ok(done) : failed(r.error()); }

// Replace, not throw, on invalid UTF-8 echoed back from a hostile command line.
std::string render(const json& reply) {
  return reply.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

// Show commands read; everything else changes what the appliance does.
bool changes_state(const Command& command) {
  return !std::holds_alternative<ShowVips>(command) &&
         !std::holds_alternative<ShowServers>(command) &&
         !std::holds_alternative<ShowStats>(command) &&
         !std::holds_alternative<ShowIpvs>(command) &&
         !std::holds_alternative<ShowConns>(command) &&
         !std::holds_alternative<ShowPersistence>(command) &&
         !std::holds_alternative<ShowNeighbours>(command) &&
         !std::holds_alternative<ShowHa>(command);
}

// Answers through `reply`: at once, or (show conns) when every worker has answered.
void run(ControlApi& api, uint64_t now_ms, const Command& command, const Reply& reply) {
  const auto answer = [&reply](const json& j) { reply(render(j)); };
  std::visit(
      [&](const auto& c) {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, ShowVips>) answer(ok(to_json(api.vips())));
        if constexpr (std::is_same_v<T, ShowServers>) answer(ok(to_json(api.servers())));
        if constexpr (std::is_same_v<T, ShowStats>) {
          const StatsView stats = api.stats(c.vip);
          if (c.vip && stats.services.empty()) {
            answer(failed("no virtual service listens on " + format_ip(*c.vip)));
          } else {
            answer(ok(to_json(stats)));
          }
        }
        if constexpr (std::is_same_v<T, ShowIpvs>) {
          answer(ok(ipvs_listing(api.stats().services, c.format, api.config().connections.capacity)));
        }
        if constexpr (std::is_same_v<T, ShowPersistence>) answer(ok(to_json(api.persistence())));
        if constexpr (std::is_same_v<T, ShowNeighbours>) answer(ok(to_json(api.neighbours())));
        if constexpr (std::is_same_v<T, ShowHa>) answer(ok(ha_json(api)));
        if constexpr (std::is_same_v<T, HaCommand>) {
          const Result<void> r = api.ha_command(c);
          answer(r ? ok("done") : failed(r.error()));
        }
        if constexpr (std::is_same_v<T, HaPush>) {
          api.ha_push([reply](Result<std::string> r) {
            reply(render(r ? ok(r.value()) : failed(r.error())));
          });
        }
        if constexpr (std::is_same_v<T, ShowConns>) {
          api.connections(now_ms, [reply](Result<ConnList> list) {
            if (!list) return reply(render(failed(list.error())));
            if (!list->unanswered.empty()) {
              return reply(render(failed("worker " + std::to_string(list->unanswered.front()) +
                                         " did not answer within 2 s")));
            }
            reply(render(ok(to_json(list->conns))));
          });
        }
        if constexpr (std::is_same_v<T, ClearPersistence>) {
          answer(ok("cleared " + std::to_string(api.clear_persistence()) + " persistence entries"));
        }
        if constexpr (std::is_same_v<T, Reload>) {
          answer(from(api.reload(), ("reloaded " + api.config_file()).c_str()));
        }
        if constexpr (std::is_same_v<T, SetServer>) {
          answer(from(c.state ? api.set_admin_state(c, *c.state) : api.set_weight(c, *c.weight),
                      "changed"));
        }
      },
      command);
}

}  // namespace

void execute(ControlApi& api, uint64_t now_ms, std::string_view line, ControlAccess access,
             const Reply& reply) {
  const ParsedCommand parsed = parse_command(line);
  if (!parsed.command) return reply(render(failed(parsed.error)));
  const Command& command = *parsed.command;
  const ControlAccess needed = changes_state(command) ? ControlAccess::full : ControlAccess::read;
  if (access < needed) {
    return reply(render(failed(std::string("permission denied: this needs ") +
                               to_string(needed) + " access to the control socket")));
  }
  run(api, now_ms, command, reply);
}

}  // namespace sluice::control
