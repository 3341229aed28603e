#include "dataplane/connect.h"

#include "dataplane/transmit.h"

namespace sluice::dp {
namespace {

// When the table is full anyway, a new connection takes the place of the half-open one due
// soonest. The search is bounded: 64 steps of the wheel (slots or entries, a cache line
// each), ~100 ns a new connection when the table is full; a flood fills the first slots with
// half-open entries, so the first or second step finds one.
constexpr uint32_t kEvictionBudget = 64;

// Established connections are never evicted: false when only they fill the table.
template <class F>
bool make_room(WorkerCtx& w) {
  if (!F::table(w).full()) return true;
  const uint32_t victim = F::table(w).half_open_due_soonest(kEvictionBudget);
  if (victim == F::Table::kNone) return false;
  release<F>(w, victim);
  w.stats.half_open_evicted.add(1);
  return true;
}

// snat source ports: the snapshot's share (1024..65535, or half of it with HA sync), dealt
// to workers by owner_of_port, so that the port of a reply names the worker that holds its
// connection. Ports go in pairs (bit 0 is not part of the owner): pair q is ports 2q and 2q+1.
// Candidates tried per new connection before giving up: a busy pool fails fast instead of
// walking 64k ports on a worker.
constexpr uint32_t kSnatTries = 64;

// Inserts an snat connection with the next free (pool address, port) of this worker's share.
template <class F>
uint32_t insert_snat(WorkerCtx& w, const Snapshot& snap, const VirtualServiceEntry& service,
                     typename F::Conn& c) {
  if (service.pool_size == 0) return F::Table::kTaken;  // validation requires one
  // This worker's pairs: first, first + workers, ... (all with pair % workers == id).
  const uint32_t low = snap.snat_first_pair;
  const uint32_t first = low + (w.id + w.worker_count - low % w.worker_count) % w.worker_count;
  const uint32_t share = 2 * ((snap.snat_last_pair - first) / w.worker_count + 1);  // ports
  for (uint32_t attempt = 0; attempt < kSnatTries; ++attempt) {
    const uint32_t n = w.snat_cursor++;
    const uint32_t port = 2 * (first + (n % share) / 2 * w.worker_count) + (n & 1);
    c.backend_src_ip = F::pool(snap, service.pool_first + (n / share) % service.pool_size);
    c.backend_src_port = rte_cpu_to_be_16(static_cast<uint16_t>(port));
    const uint32_t index = F::table(w).insert(c, true);
    if (index != F::Table::kTaken) return index;
  }
  return F::Table::kTaken;
}

// The server this client (its persistence group) went to last, while the entry is fresh
// and the server can still take connections (a halted, drained or full one lets it move).
uint32_t persistent_server(WorkerCtx& w, const VirtualServiceEntry& service,
                           std::span<const RealServerEntry> servers, WorkerView view,
                           uint32_t group) {
  if (service.persistence_timeout == 0) return kNoServer;
  const std::optional<uint32_t> id = w.persistence->find(service.persistence_key, group, w.now);
  if (!id) return kNoServer;
  for (uint32_t i = 0; i < servers.size(); ++i) {
    if (servers[i].id == *id) return can_take(servers[i], view) ? i : kNoServer;
  }
  return kNoServer;  // the server left the service
}

// Drops the packet that would have opened a connection: open's kNone.
template <class F>
uint32_t refuse(WorkerCtx& w, rte_mbuf* m, Drop why) {
  w.drop(m, why);
  return F::Table::kNone;
}

}  // namespace

template <class F>
uint32_t Connect<F>::open(WorkerCtx& w, const Snapshot& snap, rte_mbuf* m, uint32_t vip) {
  const PacketMeta& meta = meta_of(m);
  const typename F::Key& k = F::key(meta);
  const VirtualServiceEntry& service = snap.services[vip];
  const std::span<const RealServerEntry> servers(snap.servers.data() + service.first_server,
                                                 service.server_count);
  const std::span<const uint16_t> table(snap.tables.data() + service.table_first,
                                        service.table_size);
  const WorkerView view{w.stats.server_load.data(), w.overloaded.data()};
  const uint32_t client = F::fold(k.src_ip);
  const uint32_t group = F::persistence_group(k.src_ip, service);
  uint32_t pick = persistent_server(w, service, servers, view, group);
  if (pick == kNoServer) {
    pick = pick_server(service, servers, table, w.cursors[vip], view,
                       {.client = client, .vip = F::fold(k.dst_ip)});
  }
  // Only when no real server can take it does the fallback (sorry) server get it.
  if (pick == kNoServer && service.has_fallback) pick = service.server_count;
  if (pick == kNoServer) {
    Transmit<F>::refuse(w, m, Drop::no_server);
    return F::Table::kNone;
  }
  const RealServerEntry& s = snap.servers[service.first_server + pick];

  typename F::Conn c{};
  c.client_ip = k.src_ip;
  c.backend_src_ip = k.src_ip;  // the source the real server sees (snat replaces it)
  c.backend_src_port = k.src_port;
  c.vip_ip = k.dst_ip;
  c.server_ip = F::wire(s.address);
  c.client_port = k.src_port;
  c.vip_port = k.dst_port;
  c.server_port = s.port != 0 ? rte_cpu_to_be_16(s.port) : k.dst_port;
  c.protocol = k.protocol;
  c.state = k.protocol == IPPROTO_TCP ? ConnState::syn_recv : ConnState::udp;
  c.mode = service.mode;
  c.client_interface = meta.interface;
  std::memcpy(c.client_mac.bytes, rte_pktmbuf_mtod(m, rte_ether_hdr*)->src_addr.addr_bytes, 6);
  c.server_id = s.id;
  c.expires = w.now + timeout_for<F>(w, service.timeouts, c.state);
  if (!make_room<F>(w)) return refuse<F>(w, m, Drop::conn_table_full);
  const uint32_t index = service.mode == Mode::snat
                             ? insert_snat<F>(w, snap, service, c)
                             : F::table(w).insert(c, replies_return(service.mode));
  if (index == F::Table::kNone) return refuse<F>(w, m, Drop::conn_table_full);
  if (index == F::Table::kTaken) {
    return refuse<F>(w, m,
                     service.mode == Mode::snat ? Drop::snat_no_free_port : Drop::nat_tuple_taken);
  }

  if (service.persistence_timeout != 0 && pick < service.server_count) {
    w.persistence->record(
        {service.persistence_key, group, s.id, w.now + service.persistence_timeout}, w.now);
    F::table(w).at(index).persistence_tick = persistence_tick(w.now);
  }
  w.stats.conns_created.add(1);
  report_connection(w, FromWorker::connection_created, F::table(w).at(index));
  w.stats.server_load[s.id].add(c.state);
  w.stats.server_total_conns[s.id].add(1);
  return index;
}

template <class F>
void Connect<F>::refresh_persistence(WorkerCtx& w, const Snapshot& snap, Conn& c) {
  c.persistence_tick = persistence_tick(w.now);
  const uint16_t v = snap.service_by_id[c.server_id];
  if (v == kNoService || snap.services[v].persistence_timeout == 0) return;  // changed by reload
  const VirtualServiceEntry& service = snap.services[v];
  w.persistence->record({service.persistence_key, F::persistence_group(c.client_ip, service),
                         c.server_id, w.now + service.persistence_timeout},
                        w.now);
}

template struct Connect<V4>;
template struct Connect<V6>;

}  // namespace sluice::dp
