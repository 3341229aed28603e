// ControlApi's statistics: the workers' counters summed, the drivers' port counters, and
// rates over RateWindow's window (sample_rates, once a second on the event loop).
#include <rte_ethdev.h>

#include "config/model.h"
#include "control/api.h"
#include "dataplane/drop_reasons.h"

namespace sluice::control {
namespace {

template <typename F>
uint64_t sum_workers(const Appliance& a, F&& read) {
  uint64_t total = 0;
  for (const dp::WorkerCtx* w : a.workers()) total += read(*w);
  return total;
}

// The layouts of the sampled counters: each window's vector, entry by entry.
enum ServerField : size_t { kConns, kPacketsIn, kBytesIn, kPacketsOut, kBytesOut, kServerFields };
enum WorkerField : size_t { kLoops, kIdleLoops, kWorkerRx, kWorkerTx, kWorkerFields };
enum PortField : size_t { kPortRx, kPortTx, kPortRxBytes, kPortTxBytes, kPortFields };
enum TotalField : size_t { kTotalConns, kTotalRx, kTotalTx, kTotalFields };

Drops drops_of(const std::vector<const dp::WorkerCtx*>& workers) {
  Drops drops;
  for (size_t d = 0; d < dp::kDropCount; ++d) {
    uint64_t n = 0;
    for (const dp::WorkerCtx* w : workers) n += w->stats.drops[d].get();
    drops.emplace_back(dp::kDropNames[d], n);
  }
  return drops;
}

// The driver's counters; zeros (and no xstats) where the driver keeps none.
void read_driver(uint16_t port_id, PortView& p) {
  rte_eth_stats s{};
  if (rte_eth_stats_get(port_id, &s) == 0) {
    p.rx_bytes = s.ibytes;
    p.tx_bytes = s.obytes;
    p.rx_missed = s.imissed;
    p.rx_errors = s.ierrors;
    p.tx_errors = s.oerrors;
    p.rx_no_mbuf = s.rx_nombuf;
  }
  const int n = rte_eth_xstats_get(port_id, nullptr, 0);
  if (n <= 0) return;
  std::vector<rte_eth_xstat> values(static_cast<size_t>(n));
  std::vector<rte_eth_xstat_name> names(static_cast<size_t>(n));
  const int got = rte_eth_xstats_get(port_id, values.data(), static_cast<unsigned>(n));
  if (got != n || rte_eth_xstats_get_names(port_id, names.data(), static_cast<unsigned>(n)) != n) {
    return;
  }
  for (const rte_eth_xstat& x : values) {
    if (x.id < names.size()) p.xstats.emplace_back(names[x.id].name, x.value);
  }
}

Rates sum(Rates a, const Rates& b) {
  a.conns += b.conns;
  a.packets_in += b.packets_in;
  a.bytes_in += b.bytes_in;
  a.packets_out += b.packets_out;
  a.bytes_out += b.bytes_out;
  return a;
}

ServerCounts sum(ServerCounts a, const ServerCounts& b) {
  a.active += b.active;
  a.inactive += b.inactive;
  a.conns += b.conns;
  a.traffic.packets_in += b.traffic.packets_in;
  a.traffic.bytes_in += b.traffic.bytes_in;
  a.traffic.packets_out += b.traffic.packets_out;
  a.traffic.bytes_out += b.traffic.bytes_out;
  return a;
}

bool listens_on(const config::VirtualService& vs, const IpAddress& vip) {
  return std::ranges::any_of(vs.listeners,
                             [&vip](const config::Listener& l) { return l.address == vip; });
}

}  // namespace

Rates ControlApi::server_rates(uint32_t id) const {
  const size_t at = size_t{id} * kServerFields;
  return {.conns = server_rates_.per_second(at + kConns),
          .packets_in = server_rates_.per_second(at + kPacketsIn),
          .bytes_in = server_rates_.per_second(at + kBytesIn),
          .packets_out = server_rates_.per_second(at + kPacketsOut),
          .bytes_out = server_rates_.per_second(at + kBytesOut)};
}

void ControlApi::sample_rates(uint64_t now_ms) {
  const Appliance& a = appliance_;
  std::vector<uint64_t> servers(size_t{kMaxRealServers} * kServerFields);
  for (uint32_t id = 0; id < kMaxRealServers; ++id) {
    const ServerCounts c = a.server_counts(id);
    uint64_t* at = &servers[size_t{id} * kServerFields];
    at[kConns] = c.conns;
    at[kPacketsIn] = c.traffic.packets_in;
    at[kBytesIn] = c.traffic.bytes_in;
    at[kPacketsOut] = c.traffic.packets_out;
    at[kBytesOut] = c.traffic.bytes_out;
  }
  server_rates_.add(now_ms, std::move(servers));

  std::vector<uint64_t> workers;
  for (const dp::WorkerCtx* w : a.workers()) {
    workers.insert(workers.end(), {w->stats.loops.get(), w->stats.idle_loops.get(),
                                   w->stats.rx_packets.get(), w->stats.tx_packets.get()});
  }
  worker_rates_.add(now_ms, std::move(workers));

  std::vector<uint64_t> ports;
  for (const DataInterface& ifc : a.interfaces()) {
    rte_eth_stats s{};
    rte_eth_stats_get(ifc.port_id, &s);
    ports.insert(ports.end(), {s.ipackets, s.opackets, s.ibytes, s.obytes});
  }
  port_rates_.add(now_ms, std::move(ports));

  total_rates_.add(now_ms, {sum_workers(a, [](auto& w) { return w.stats.conns_created.get(); }),
                            sum_workers(a, [](auto& w) { return w.stats.rx_packets.get(); }),
                            sum_workers(a, [](auto& w) { return w.stats.tx_packets.get(); })});
}

StatsView ControlApi::stats(const std::optional<IpAddress>& vip) const {
  const Appliance& a = appliance_;
  const auto sum_of = [&a](auto read) { return sum_workers(a, read); };
  StatsView v;
  v.rx_packets = sum_of([](auto& w) { return w.stats.rx_packets.get(); });
  v.tx_packets = sum_of([](auto& w) { return w.stats.tx_packets.get(); });
  v.to_kernel = sum_of([](auto& w) { return w.stats.to_kernel.get(); });
  v.conns_created = sum_of([](auto& w) { return w.stats.conns_created.get(); });
  v.handed_off = sum_of([](auto& w) { return w.stats.handed_off.get(); });
  v.icmp_translated = sum_of([](auto& w) { return w.stats.icmp_translated.get(); });
  v.icmp_sent = sum_of([](auto& w) { return w.stats.icmp_sent.get(); });
  v.echo_replied = sum_of([](auto& w) { return w.stats.echo_replied.get(); });
  v.half_open_evicted = sum_of([](auto& w) { return w.stats.half_open_evicted.get(); });
  v.events_dropped = sum_of([](auto& w) { return w.stats.events_dropped.get(); });
  v.exception_dropped = a.exception_dropped();
  v.conns_per_second = total_rates_.per_second(kTotalConns);
  v.rx_per_second = total_rates_.per_second(kTotalRx);
  v.tx_per_second = total_rates_.per_second(kTotalTx);
  v.rate_window_s = static_cast<uint32_t>((total_rates_.span_ms() + 500) / 1000);
  // Every id, not only the snapshot's servers: a removed server's kept connections count.
  for (uint32_t id = 0; id < kMaxRealServers; ++id) {
    v.active_conns += sum_of([id](auto& w) { return w.stats.server_load[id].active.get(); });
    v.inactive_conns += sum_of([id](auto& w) { return w.stats.server_load[id].inactive.get(); });
  }
  const std::vector<const dp::WorkerCtx*> all(a.workers().begin(), a.workers().end());
  v.drops = drops_of(all);
  for (size_t i = 0; i < a.interfaces().size(); ++i) {
    PortView p;
    p.name = a.config().interfaces[i].name;
    p.rx_packets = sum_of([i](auto& w) { return w.stats.interfaces[i].rx_packets.get(); });
    p.tx_packets = sum_of([i](auto& w) { return w.stats.interfaces[i].tx_packets.get(); });
    read_driver(a.interfaces()[i].port_id, p);
    const size_t at = i * kPortFields;
    p.rx_per_second = port_rates_.per_second(at + kPortRx);
    p.tx_per_second = port_rates_.per_second(at + kPortTx);
    p.rx_bytes_per_second = port_rates_.per_second(at + kPortRxBytes);
    p.tx_bytes_per_second = port_rates_.per_second(at + kPortTxBytes);
    v.ports.push_back(std::move(p));
  }
  for (size_t i = 0; i < a.workers().size(); ++i) {
    const dp::WorkerCtx* w = a.workers()[i];
    const size_t at = i * kWorkerFields;
    const double loops = worker_rates_.per_second(at + kLoops);
    v.workers.push_back(
        {.id = w->id,
         .rx_packets = w->stats.rx_packets.get(),
         .tx_packets = w->stats.tx_packets.get(),
         .conns_created = w->stats.conns_created.get(),
         .handed_off = w->stats.handed_off.get(),
         .taken_over = w->stats.taken_over.get(),
         .events_dropped = w->stats.events_dropped.get(),
         .loops = w->stats.loops.get(),
         .idle_loops = w->stats.idle_loops.get(),
         .idle_share = loops > 0 ? worker_rates_.per_second(at + kIdleLoops) / loops : 0,
         .rx_per_second = worker_rates_.per_second(at + kWorkerRx),
         .tx_per_second = worker_rates_.per_second(at + kWorkerTx),
         .drops = drops_of({w})});
  }
  const dp::Snapshot& snap = a.snapshot();
  const auto& services = a.config().virtual_services;
  for (size_t s = 0; s < services.size(); ++s) {
    const config::VirtualService& vs = services[s];
    if (vip && !listens_on(vs, *vip)) continue;
    ServiceStatsView service;
    service.name = vs.name;
    service.mode = vs.mode;
    service.scheduler = vs.scheduler;
    service.persistence = vs.persistence;
    service.fallback_in_use = vs.fallback && !serving_at(s);
    for (const config::Listener& l : vs.listeners) {
      service.listeners.push_back({l.address, l.ports, l.protocols});
    }
    // The snapshot lists servers in file order, the fallback last (as servers() reads them).
    const dp::VirtualServiceEntry& entry = snap.services[s];
    for (uint32_t k = 0; k < entry.server_count + entry.has_fallback; ++k) {
      const dp::RealServerEntry& rs = snap.servers[entry.first_server + k];
      const bool fallback = k == entry.server_count;
      const config::RealServer& configured = fallback ? *vs.fallback : vs.real_servers[k];
      ServerStatsView server{.server = server_label(vs, configured),
                             .address = rs.address,
                             .port = rs.port,
                             .fallback = fallback,
                             .weight = rs.weight,
                             .counts = a.server_counts(rs.id),
                             .rates = server_rates(rs.id)};
      service.counts = sum(service.counts, server.counts);
      service.rates = sum(service.rates, server.rates);
      service.servers.push_back(std::move(server));
    }
    v.services.push_back(std::move(service));
  }
  return v;
}

}  // namespace sluice::control
