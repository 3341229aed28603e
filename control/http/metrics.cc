#include "control/http/metrics.h"

#include "control/http/exposition.h"
#include "control/http/status_rules.h"

namespace sluice::control::http {
namespace {

using enum MetricType;

// A family over a list: one sample per item that `value` gives one for.
template <class Item, class Value>
void family(Exposition& out, std::string_view name, MetricType type, std::string_view help,
            const std::vector<Item>& items, const std::vector<LabelSet>& labels, Value value) {
  out.family(name, type, help);
  for (size_t i = 0; i < items.size(); ++i) value(labels[i], items[i]);
}

// Counter families of a list, each a field of its items.
template <class Item>
struct Field {
  std::string_view name, help;
  uint64_t Item::*value;
};
template <class Item>
void counters(Exposition& out, const std::vector<Item>& items, const std::vector<LabelSet>& labels,
              std::initializer_list<Field<Item>> fields) {
  for (const Field<Item>& f : fields) {
    family(out, f.name, counter, f.help, items, labels,
           [&](const LabelSet& l, const Item& item) { out.sample(l, item.*f.value); });
  }
}

// Counters of one sample each, with the same labels.
struct Scalar {
  std::string_view name, help;
  uint64_t value;
};
void scalars(Exposition& out, const LabelSet& labels, std::span<const Scalar> counters) {
  for (const Scalar& c : counters) {
    out.family(c.name, counter, c.help);
    out.sample(labels, c.value);
  }
}

void real_servers(Exposition& out, const std::vector<ServerView>& servers) {
  std::vector<LabelSet> labels;
  labels.reserve(servers.size());
  for (const ServerView& s : servers) {
    const std::string vip = format_ip(s.vip);
    labels.push_back({{"service", s.service},
                      {"vip", vip},
                      {"port", s.ports},
                      {"protocol", s.protocol},
                      {"server", s.server},
                      {"role", s.fallback ? "fallback" : "real"}});
  }
  const auto each = [&](std::string_view name, MetricType type, std::string_view help,
                        auto value) {
    family(out, name, type, help, servers, labels,
           [&](const LabelSet& l, const ServerView& s) { out.sample(l, uint64_t{value(s)}); });
  };
  each("sluice_real_server_connections_total", counter, "Connections made to the real server.",
       [](const ServerView& s) { return s.counts.conns; });
  family(out, "sluice_real_server_connections", gauge,
         "Connections to the real server now, by TCP state (inactive: not established).",
         servers, labels, [&](const LabelSet& l, const ServerView& s) {
           out.sample(l, {"state", "active"}, s.counts.active);
           out.sample(l, {"state", "inactive"}, s.counts.inactive);
         });
  // to_server: client -> server; to_client: server -> client (nat and snat only: the replies
  // of dr and tun bypass the appliance).
  family(out, "sluice_real_server_packets_total", counter,
         "Packets of the real server's connections through the appliance, by direction.",
         servers, labels, [&](const LabelSet& l, const ServerView& s) {
           out.sample(l, {"direction", "to_server"}, s.counts.traffic.packets_in);
           out.sample(l, {"direction", "to_client"}, s.counts.traffic.packets_out);
         });
  family(out, "sluice_real_server_bytes_total", counter,
         "IP bytes of the real server's connections through the appliance, by direction.",
         servers, labels, [&](const LabelSet& l, const ServerView& s) {
           out.sample(l, {"direction", "to_server"}, s.counts.traffic.bytes_in);
           out.sample(l, {"direction", "to_client"}, s.counts.traffic.bytes_out);
         });
  each("sluice_real_server_weight", gauge, "The weight the scheduler uses now.",
       [](const ServerView& s) { return s.weight; });
  each("sluice_real_server_configured_weight", gauge, "The weight the file or sluicectl gives.",
       [](const ServerView& s) { return s.configured_weight; });
  each("sluice_real_server_up", gauge, "1 unless the health check finds it down (or rising).",
       [](const ServerView& s) {
         return static_cast<uint64_t>(s.run.health != Health::down && s.run.health != Health::rising);
       });
  each("sluice_real_server_serving", gauge, "1 when it may take new connections.",
       [](const ServerView& s) {
         return static_cast<uint64_t>(s.effective_state == AdminState::online && s.weight > 0 &&
                                      s.reachable);
       });
  family(out, "sluice_real_server_admin_state", gauge,
         "The operator's state: online, drain or halt (1 for the one in force).", servers, labels,
         [&](const LabelSet& l, const ServerView& s) {
           for (const AdminState a : Vocabulary<AdminState>::values) {
             out.sample(l, {"state", to_string(a)}, static_cast<uint64_t>(s.state == a));
           }
         });
  family(out, "sluice_real_server_agent_percent", gauge,
         "The feedback agent's last idle percentage, for servers that have an agent's word.",
         servers, labels, [&](const LabelSet& l, const ServerView& s) {
           if (s.run.agent_percent) out.sample(l, uint64_t{*s.run.agent_percent});
         });
}

void services(Exposition& out, const ApiReading& in) {
  std::vector<LabelSet> labels;
  for (const VipView& v : in.vips) {
    labels.push_back({{"service", v.name},
                      {"vip", format_ip(v.address)},
                      {"port", v.ports},
                      {"protocol", v.protocol}});
  }
  family(out, "sluice_virtual_service_info", gauge,
         "A virtual service's address, ports and protocol, with its mode and scheduler.", in.vips,
         labels, [&](const LabelSet& l, const VipView& v) {
           out.sample(l.with({{"mode", to_string(v.mode)}, {"scheduler", to_string(v.scheduler)}}),
                      uint64_t{1});
         });
  // A service is labelled by its first address and ports, as its real servers are.
  out.family("sluice_virtual_service_state", gauge,
             "up (all real servers green), degraded, down (none) or offline (all halted or "
             "drained): 1 for the one in force.");
  for (const ServiceGroup& group : by_service(in.vips, in.servers)) {
    const VipView& v = *group.service;
    const LabelSet l{{"service", v.name},
                     {"vip", format_ip(v.address)},
                     {"port", v.ports},
                     {"protocol", v.protocol}};
    const ServiceState now = state_of(group.servers);
    for (const ServiceState st : kServiceStates) {
      out.sample(l, {"state", name_of(st)}, static_cast<uint64_t>(st == now));
    }
  }
}

void totals(Exposition& out, const StatsView& st) {
  const Scalar counters[] = {
      {"sluice_received_packets_total", "Packets received on the data ports.", st.rx_packets},
      {"sluice_transmitted_packets_total", "Packets sent on the data ports.", st.tx_packets},
      {"sluice_kernel_packets_total", "Packets passed to the kernel (exception path).", st.to_kernel},
      {"sluice_connections_created_total", "Connections made.", st.conns_created},
      {"sluice_handed_off_packets_total", "Packets handed to the worker owning their connection.",
       st.handed_off},
      {"sluice_icmp_errors_translated_total", "ICMP errors passed on about a connection.",
       st.icmp_translated},
      {"sluice_icmp_sent_total", "ICMP errors sent by sluice itself.", st.icmp_sent},
      {"sluice_echo_replies_total", "Echo requests to VIPs answered.", st.echo_replied},
      {"sluice_half_open_evicted_total", "Half-open connections evicted from a full table.",
       st.half_open_evicted},
      {"sluice_exception_path_dropped_packets_total",
       "Packets the exception path could not pass on.", st.exception_dropped},
      {"sluice_connection_events_dropped_total", "Connection events lost on a full ring.",
       st.events_dropped},
  };
  scalars(out, {}, counters);
  out.family("sluice_connections", gauge, "Connections now, by TCP state.");
  out.sample(LabelSet{}, {"state", "active"}, st.active_conns);
  out.sample(LabelSet{}, {"state", "inactive"}, st.inactive_conns);
  out.family("sluice_dropped_packets_total", counter, "Packets dropped, by reason.");
  for (const auto& [reason, count] : st.drops) out.sample(LabelSet{}, {"reason", reason}, count);
}

void ports(Exposition& out, const std::vector<PortView>& ports) {
  std::vector<LabelSet> labels;
  for (const PortView& p : ports) labels.push_back({{"interface", p.name}});
  counters<PortView>(out, ports, labels, {
      {"sluice_port_received_packets_total", "Packets the workers received on the port.",
       &PortView::rx_packets},
      {"sluice_port_transmitted_packets_total", "Packets the workers sent on the port.",
       &PortView::tx_packets},
      {"sluice_port_received_bytes_total", "Bytes the driver received.", &PortView::rx_bytes},
      {"sluice_port_transmitted_bytes_total", "Bytes the driver sent.", &PortView::tx_bytes},
      {"sluice_port_missed_packets_total", "Packets the NIC dropped: no room in its RX queue.",
       &PortView::rx_missed},
      {"sluice_port_receive_errors_total", "Erroneous packets the driver received.",
       &PortView::rx_errors},
      {"sluice_port_transmit_errors_total", "Packets the driver failed to send.",
       &PortView::tx_errors},
      {"sluice_port_no_mbuf_total", "Receptions that found no free mbuf.", &PortView::rx_no_mbuf},
  });
  family(out, "sluice_port_xstats_total", counter,
         "The driver's extended counters (rte_eth_xstats), by its own names.", ports, labels,
         [&](const LabelSet& l, const PortView& p) {
           for (const auto& [name, value] : p.xstats) out.sample(l, {"name", name}, value);
         });
}

void workers(Exposition& out, const std::vector<WorkerView>& workers) {
  std::vector<LabelSet> labels;
  for (const WorkerView& w : workers) labels.push_back({{"worker", std::to_string(w.id)}});
  counters<WorkerView>(out, workers, labels, {
      {"sluice_worker_received_packets_total", "Packets the worker received.",
       &WorkerView::rx_packets},
      {"sluice_worker_transmitted_packets_total", "Packets the worker sent.",
       &WorkerView::tx_packets},
      {"sluice_worker_connections_created_total", "Connections the worker made.",
       &WorkerView::conns_created},
      {"sluice_worker_handed_off_packets_total", "Packets the worker handed to their owner.",
       &WorkerView::handed_off},
      {"sluice_worker_taken_over_packets_total", "Packets the worker took over from another.",
       &WorkerView::taken_over},
      {"sluice_worker_polls_total", "The worker's polls of its queues.", &WorkerView::loops},
      {"sluice_worker_idle_polls_total", "Polls that found nothing: the worker's headroom.",
       &WorkerView::idle_loops},
  });
  family(out, "sluice_worker_dropped_packets_total", counter,
         "Packets the worker dropped, by reason.", workers, labels,
         [&](const LabelSet& l, const WorkerView& w) {
           for (const auto& [reason, count] : w.drops) out.sample(l, {"reason", reason}, count);
         });
}

void ha(Exposition& out, const std::vector<HaView>& instances) {
  if (instances.empty()) return;
  std::vector<LabelSet> labels;
  for (const HaView& h : instances) labels.push_back({{"instance", h.name}});
  family(out, "sluice_ha_state", gauge,
         "The VRRP instance's state: initialize, backup, master or fault (1 for the one in force).",
         instances, labels, [&](const LabelSet& l, const HaView& h) {
           for (const std::string_view st : {"initialize", "backup", "master", "fault"}) {
             out.sample(l, {"state", st}, static_cast<uint64_t>(st == h.state));
           }
         });
  family(out, "sluice_ha_priority", gauge, "The instance's priority in force.", instances, labels,
         [&](const LabelSet& l, const HaView& h) { out.sample(l, uint64_t{h.priority}); });
  family(out, "sluice_ha_adverts_sent_total", counter, "VRRP adverts sent.", instances, labels,
         [&](const LabelSet& l, const HaView& h) { out.sample(l, h.adverts_sent); });
  family(out, "sluice_ha_adverts_received_total", counter, "VRRP adverts received.", instances,
         labels, [&](const LabelSet& l, const HaView& h) { out.sample(l, h.adverts_received); });
  family(out, "sluice_ha_dropped_adverts_total", counter, "VRRP adverts dropped, by reason.",
         instances, labels, [&](const LabelSet& l, const HaView& h) {
           for (const auto& [reason, count] : h.drops) out.sample(l, {"reason", reason}, count);
         });
}

void sync(Exposition& out, const SyncView& s) {
  const LabelSet peer{{"peer", s.peer}};
  const Scalar counters[] = {
      {"sluice_sync_datagrams_sent_total", "Sync datagrams sent to the peer.", s.datagrams_sent},
      {"sluice_sync_records_sent_total", "Sync records sent to the peer.", s.records_sent},
      {"sluice_sync_datagrams_received_total", "Sync datagrams taken from the peer.",
       s.datagrams_received},
      {"sluice_sync_records_received_total", "Sync records taken from the peer.",
       s.records_received},
      {"sluice_sync_send_failed_total", "Sync datagrams the socket or a full outbox refused.",
       s.send_failed},
      {"sluice_sync_lost_total", "Sequence numbers never received from the peer.", s.lost},
  };
  scalars(out, peer, counters);
  out.family("sluice_sync_outbox", gauge, "Sync datagrams waiting to leave.");
  out.sample(peer, s.outbox);
  out.family("sluice_sync_dropped_total", counter, "Sync datagrams or records dropped, by reason.");
  for (const auto& [reason, count] : s.drops) out.sample(peer, {"reason", reason}, count);
}

}  // namespace

std::string render_metrics(const ApiReading& in, const HttpCounters& http) {
  Exposition out;
  out.reserve(in.servers.size() * 2200 + 16384);  // about what a real server takes
  services(out, in);
  real_servers(out, in.servers);
  totals(out, in.stats);
  ports(out, in.stats.ports);
  workers(out, in.stats.workers);
  ha(out, in.ha);
  if (in.sync) sync(out, *in.sync);
  out.family("sluice_http_requests_total", counter, "Requests this endpoint answered.");
  out.sample(LabelSet{}, http.requests);
  out.family("sluice_http_connections_cut_total", counter,
             "Connections cut for not finishing an exchange in time.");
  out.sample(LabelSet{}, http.cut);
  out.family("sluice_http_idle_closed_total", counter,
             "Kept-alive connections closed after a deadline without a new request.");
  out.sample(LabelSet{}, http.idle_closed);
  return out.take();
}

}  // namespace sluice::control::http
