#include "control/commands.h"

#include <netinet/in.h>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstring>
#include <map>

#include "config/compile/compile.h"
#include "config/ip.h"
#include "dataplane/bounds.h"
#include "dataplane/drop_reasons.h"

namespace sluice::control {
namespace {

using nlohmann::json;

// Connections listed per worker by `show conns`.
constexpr uint32_t kConnListLimit = 10000;

// An address and port as packets carry them, in the CLI's form ("a.b.c.d:p", "[v6]:p").
std::string endpoint_be(uint32_t address_be, uint16_t port_be) {
  return config::format_endpoint(config::IpAddress::v4(rte_be_to_cpu_32(address_be)),
                                 rte_be_to_cpu_16(port_be));
}

std::string endpoint_be(const dp::Ip6& address, uint16_t port_be) {
  config::IpAddress a;
  std::memcpy(a.bytes.data(), address.bytes, 16);
  return config::format_endpoint(a, rte_be_to_cpu_16(port_be));
}

template <class C>
json conn_json(const C& c, uint16_t worker, uint32_t worker_now) {
  return {{"worker", worker},
          {"protocol", c.protocol == IPPROTO_TCP ? "tcp" : "udp"},
          {"client", endpoint_be(c.client_ip, c.client_port)},
          {"vip", endpoint_be(c.vip_ip, c.vip_port)},
          {"server", endpoint_be(c.server_ip, c.server_port)},
          // What the server sees as the client: a pool address in snat.
          {"server_sees", endpoint_be(c.backend_src_ip, c.backend_src_port)},
          {"mode", config::to_string(c.mode)},
          {"state", dp::to_string(c.state)},
          {"expires_in", static_cast<int64_t>(c.expires) - worker_now}};
}

template <typename F>
uint64_t sum_workers(const Appliance& a, F&& read) {
  uint64_t total = 0;
  for (const dp::WorkerCtx* w : a.workers()) total += read(*w);
  return total;
}

// One entry per listener: a service grouping several shows each of them.
json show_vips(const Appliance& a) {
  json out = json::array();
  for (const config::VirtualService& vs : a.config().virtual_services) {
    for (const config::Listener& l : vs.listeners) {
      out.push_back({{"name", vs.name},
                     {"address", config::format_ip(l.address)},
                     {"ports", config::format_ports(l.ports)},
                     {"protocol", config::protocols_name(l.protocols)},
                     {"mode", config::to_string(vs.mode)},
                     {"scheduler", config::to_string(vs.scheduler)},
                     {"servers", vs.real_servers.size()}});
    }
  }
  return out;
}

json show_servers(const Appliance& a) {
  json out = json::array();
  const dp::Snapshot& snap = a.snapshot();
  const auto& services = a.config().virtual_services;
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
      // A server without a port takes the client's: shown with the service's lowest port
      // (as `set server` addresses it), or `*` when the service listens on every port.
      const std::string port = rs.port              ? std::to_string(*rs.port)
                               : listener.ports.all ? "*"
                                                    : std::to_string(listener.ports.lowest());
      out.push_back(
          {{"vip", vs.name},
           {"role", fallback ? "fallback" : "real"},
           {"vip_address", config::format_ip(listener.address)},
           {"ports", config::format_ports(listener.ports)},
           {"protocol", config::protocols_name(listener.protocols)},
           {"server", config::format_host(s.address) + ":" + port},
           {"weight", s.weight},
           {"state", config::to_string(s.state)},
           {"active_conns",
            sum_workers(a, [&](auto& w) { return w.stats.server_load[s.id].active.get(); })},
           {"inactive_conns",
            sum_workers(a, [&](auto& w) { return w.stats.server_load[s.id].inactive.get(); })},
           {"total_conns",
            sum_workers(a, [&](auto& w) { return w.stats.server_total_conns[s.id].get(); })},
           {"packets",
            sum_workers(a, [&](auto& w) { return w.stats.server_packets[s.id].get(); })}});
    }
  }
  return out;
}

json show_stats(const Appliance& a) {
  json drops = json::object();
  for (size_t d = 0; d < dp::kDropCount; ++d) {
    drops[std::string(dp::kDropNames[d])] =
        sum_workers(a, [d](auto& w) { return w.stats.drops[d].get(); });
  }
  json ports = json::array();
  for (size_t i = 0; i < a.interfaces().size(); ++i) {
    ports.push_back(
        {{"name", a.config().interfaces[i].name},
         {"rx_packets",
          sum_workers(a, [i](auto& w) { return w.stats.interfaces[i].rx_packets.get(); })},
         {"tx_packets",
          sum_workers(a, [i](auto& w) { return w.stats.interfaces[i].tx_packets.get(); })}});
  }
  json per_worker = json::array();
  for (const dp::WorkerCtx* w : a.workers()) {
    per_worker.push_back({{"worker", w->id},
                          {"rx_packets", w->stats.rx_packets.get()},
                          {"tx_packets", w->stats.tx_packets.get()},
                          {"conns_created", w->stats.conns_created.get()},
                          {"handed_off", w->stats.handed_off.get()},
                          {"taken_over", w->stats.taken_over.get()}});
  }
  // Every id, not only the snapshot's servers: a removed server's kept connections count.
  uint64_t active = 0, inactive = 0;
  for (uint32_t id = 0; id < dp::kMaxRealServers; ++id) {
    active += sum_workers(a, [&](auto& w) { return w.stats.server_load[id].active.get(); });
    inactive += sum_workers(a, [&](auto& w) { return w.stats.server_load[id].inactive.get(); });
  }
  return {
      {"workers", a.workers().size()},
      {"rx_packets", sum_workers(a, [](auto& w) { return w.stats.rx_packets.get(); })},
      {"tx_packets", sum_workers(a, [](auto& w) { return w.stats.tx_packets.get(); })},
      {"to_kernel", sum_workers(a, [](auto& w) { return w.stats.to_kernel.get(); })},
      {"conns_created", sum_workers(a, [](auto& w) { return w.stats.conns_created.get(); })},
      {"handed_off", sum_workers(a, [](auto& w) { return w.stats.handed_off.get(); })},
      {"icmp_translated", sum_workers(a, [](auto& w) { return w.stats.icmp_translated.get(); })},
      {"icmp_sent", sum_workers(a, [](auto& w) { return w.stats.icmp_sent.get(); })},
      {"active_conns", active},
      {"inactive_conns", inactive},
      {"exception_dropped", a.exception_dropped()},
      {"drops", drops},
      {"ports", ports},
      {"per_worker", per_worker}};
}

json show_conns(Appliance& a) {
  json out = json::array();
  for (const ConnDump& d : a.dump_connections(kConnListLimit)) {
    for (const dp::ConnRecord& r : d.records) {
      out.push_back(r.ipv6 ? conn_json(r.conn6, d.worker, d.worker_now)
                           : conn_json(r.conn, d.worker, d.worker_now));
    }
  }
  return out;
}

// Persistence entries name their service by key and their server by id: both are mapped
// back through the running configuration and snapshot.
json show_persistence(Appliance& a) {
  std::map<uint32_t, const config::VirtualService*> service_of_key;
  for (const config::VirtualService& vs : a.config().virtual_services) {
    if (vs.persistence) service_of_key[config::persistence_key_of(vs.name)] = &vs;
  }
  std::map<uint32_t, std::string> server_of_id;
  for (const dp::RealServerEntry& s : a.snapshot().servers) {
    server_of_id[s.id] =
        s.port ? config::format_endpoint(s.address, s.port) : config::format_ip(s.address);
  }
  const uint32_t now = a.worker_now();
  json out = json::array();
  for (const dp::PersistenceTable::Entry& e : a.persistence().entries(now)) {
    const auto service = service_of_key.find(e.service);
    const auto server = server_of_id.find(e.server_id);
    const bool v6 =
        service != service_of_key.end() && !service->second->listeners.front().address.is_v4();
    char folded[16];
    std::snprintf(folded, sizeof folded, "%08x", e.client);
    out.push_back({{"vip", service != service_of_key.end() ? service->second->name : "-"},
                   // IPv6 clients are kept as a 32-bit digest of their address.
                   {"client", v6 ? std::string("ipv6:") + folded : config::format_ipv4(e.client)},
                   {"server", server != server_of_id.end() ? server->second : "-"},
                   {"expires_in", static_cast<int64_t>(e.expires) - now}});
  }
  return out;
}

// The next hops sluice resolves (real servers, route gateways) and what ARP said of them.
json show_neighbours(const Appliance& a) {
  const uint64_t now = monotonic_ms();
  json out = json::array();
  for (const NeighbourCtl::Entry& e : a.neighbours().entries()) {
    if (!e.in_use) continue;
    char mac[18];
    std::snprintf(mac, sizeof mac, "%02x:%02x:%02x:%02x:%02x:%02x", e.mac.bytes[0], e.mac.bytes[1],
                  e.mac.bytes[2], e.mac.bytes[3], e.mac.bytes[4], e.mac.bytes[5]);
    out.push_back(
        {{"address", config::format_ip(e.hop.address)},
         {"interface", a.config().interfaces[e.hop.interface].name},
         {"mac", e.resolved ? mac : ""},
         {"state", e.resolved ? "resolved" : "unresolved"},
         {"expires_in", e.resolved ? static_cast<int64_t>(e.expires_ms - now) / 1000 : 0}});
  }
  return out;
}

json ok(json result) { return {{"ok", true}, {"result", std::move(result)}}; }
json failed(const std::string& error) { return {{"ok", false}, {"error", error}}; }

}  // namespace

std::string execute(Appliance& appliance, std::string_view line) {
  const ParsedCommand parsed = parse_command(line);
  json reply;
  if (!parsed.command) {
    reply = failed(parsed.error);
  } else {
    reply = std::visit(
        [&appliance](const auto& c) -> json {
          using T = std::decay_t<decltype(c)>;
          if constexpr (std::is_same_v<T, ShowVips>) return ok(show_vips(appliance));
          if constexpr (std::is_same_v<T, ShowServers>) return ok(show_servers(appliance));
          if constexpr (std::is_same_v<T, ShowStats>) return ok(show_stats(appliance));
          if constexpr (std::is_same_v<T, ShowConns>) return ok(show_conns(appliance));
          if constexpr (std::is_same_v<T, ShowPersistence>) return ok(show_persistence(appliance));
          if constexpr (std::is_same_v<T, ShowNeighbours>) return ok(show_neighbours(appliance));
          if constexpr (std::is_same_v<T, ClearPersistence>) {
            const uint32_t n = appliance.persistence().clear(appliance.worker_now());
            return ok("cleared " + std::to_string(n) + " persistence entries");
          }
          if constexpr (std::is_same_v<T, Reload>) {
            const std::string e = appliance.reload();
            return e.empty() ? ok("reloaded " + appliance.config().file) : failed(e);
          }
          if constexpr (std::is_same_v<T, SetServer>) {
            const std::string e = appliance.set_server(c);
            return e.empty() ? ok("changed") : failed(e);
          }
        },
        *parsed.command);
  }
  // Replace, not throw, on invalid UTF-8 echoed back from a hostile command line.
  return reply.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace sluice::control
