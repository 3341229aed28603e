// A worker: one lcore, one RX queue on every data interface, one TX queue on each, and
// everything it owns (connection table, counters, scheduler cursors, transmit buffers).
// Other threads only read its counters, and talk to it through its message rings.
#pragma once

#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>

#include "common/bounds.h"
#include "dataplane/conn_table.h"
#include "dataplane/control_channel.h"
#include "dataplane/counter.h"
#include "dataplane/drop_reasons.h"
#include "dataplane/kernel_path.h"
#include "dataplane/neighbour_slots.h"
#include "dataplane/persistence_table.h"
#include "dataplane/scheduler.h"
#include "dataplane/server_load.h"
#include "dataplane/snapshot.h"

namespace sluice::dp {

struct InterfaceInfo {
  uint16_t port_id = 0;  // DPDK port
  Mac mac;
  uint16_t mtu = 1500;  // tun: an encapsulated packet must still fit
};

struct PacketBuffer {
  uint16_t n = 0;
  rte_mbuf* pkts[kMaxBurst];
};

struct InterfaceStats {
  Counter rx_packets, tx_packets;
};

// One real server's packets and bytes through this worker: in, towards it; out, its replies
// (nat and snat: dr and tun replies bypass the appliance). Bytes are IP packet lengths, as
// IPVS counts them (tun: before the outer header). 32 bytes aligned to 32, so the two
// counters a packet moves share one cache line.
struct alignas(32) ServerTraffic {
  Counter packets_in, bytes_in, packets_out, bytes_out;
  void count_in(uint32_t bytes) {
    packets_in.add(1);
    bytes_in.add(bytes);
  }
  void count_out(uint32_t bytes) {
    packets_out.add(1);
    bytes_out.add(bytes);
  }
};
static_assert(sizeof(ServerTraffic) == 32);

struct WorkerStats {
  Counter rx_packets, tx_packets, to_kernel, conns_created;
  Counter handed_off, taken_over;  // packets sent to / received from the owning worker
  Counter icmp_translated;         // ICMP errors about a connection passed to its other side
  Counter icmp_sent;  // answers to packets too big (IPv4 fragmentation needed, IPv6 too big)
  Counter half_open_evicted;  // syn_recv connections that made room in a full table (connect.cc)
  Counter echo_replied;    // echo requests to a VIP answered (stages/echo.cc)
  Counter events_dropped;  // connection events lost to a full reply ring (control_channel.h)
  Counter learnt_refused;  // learnt connections not inserted: table full or tuple taken
  Counter loops;           // loop iterations: the heartbeat HA tracking watches
  Counter idle_loops;      // iterations that found nothing to do: the share is the headroom
  std::array<Counter, kDropCount> drops;
  std::array<InterfaceStats, kMaxInterfaces> interfaces;
  // By real-server id. server_load counts live connections; wlc reads it.
  std::array<ServerLoad, kMaxRealServers> server_load;
  std::array<Counter, kMaxRealServers> server_total_conns;
  std::array<ServerTraffic, kMaxRealServers> server_traffic;
};

struct alignas(64) WorkerCtx {
  // Hot: read on every burst.
  const Snapshot* snapshot = nullptr;  // loaded once per loop iteration, see begin_loop()
  uint32_t now = 0;                    // seconds since the worker started
  ConnTable* conns = nullptr;
  ConnTable6* conns6 = nullptr;  // null when no interface has an IPv6 address
  const NeighbourSlots* neighbours = nullptr;
  PersistenceTable* persistence = nullptr;  // shared by all workers
  uint8_t interface_count = 0;
  std::array<InterfaceInfo, kMaxInterfaces> interfaces{};
  std::array<PacketBuffer, kMaxInterfaces> tx{};
  PacketBuffer to_kernel{};             // for kernel_ring
  PacketBuffer neighbours_to_kernel{};  // for neighbour_ring (dataplane/kernel_path.h)
  KernelBudget kernel_budget;
  std::array<SchedulerCursor, kMaxVirtualServices> cursors{};
  std::array<uint8_t, kMaxRealServers> overloaded{};  // by server id, see WorkerView
  uint32_t snat_cursor = 0;                           // the next snat source to try, see connect.cc
  uint16_t next_ip_id = 0;            // identification of the IP headers this worker creates (tun)
  SecondBudget icmp_budget;  // ICMP errors this worker sends (transmit.cc)
  SecondBudget echo_budget;  // echo replies for VIPs (stages/echo.cc)
  uint64_t cursor_generation = 0;
  WorkerStats stats;

  // Cold: set up by the control thread before the worker starts.
  uint16_t id = 0;
  uint16_t worker_count = 1;
  uint16_t queue = 0;  // RX and TX queue on every interface
  std::array<uint8_t, RTE_MAX_ETHPORTS> interface_of_port{};
  const std::atomic<const Snapshot*>* published = nullptr;
  rte_rcu_qsbr* qsbr = nullptr;
  rte_ring* kernel_ring = nullptr;  // worker -> control: packets for the TAP twins
  rte_ring* neighbour_ring = nullptr;  // worker -> control: ARP and ND for them, drained first
  rte_ring* from_kernel = nullptr;  // control -> worker: what the TAP twins send (worker 0)
  rte_ring* to_worker = nullptr;    // control -> worker: ControlMessage (messages.h)
  rte_ring* from_worker = nullptr;  // worker -> control: WorkerMessage
  ScanProgress scan;                // the dump or flush being served
  // Packets whose connection another worker owns (dataplane/steering.h), one single-producer
  // single-consumer ring per pair of workers; null for this worker's own index.
  std::array<rte_ring*, kMaxWorkers> handoff_to{};    // this worker -> worker j
  std::array<rte_ring*, kMaxWorkers> handoff_from{};  // worker j -> this worker
  std::array<PacketBuffer, kMaxWorkers> handoff{};    // collected per burst, by owner
  uint32_t burst = 32;
  uint32_t idle_polls = 256;
  uint32_t idle_sleep_us = 100;
  uint64_t start_tsc = 0;
  uint64_t tsc_hz = 1;
  const std::atomic<bool>* stop = nullptr;

  // Sinks used by the stages. Each takes ownership of the mbuf.
  void drop(rte_mbuf* m, Drop why) {
    stats.drops[static_cast<size_t>(why)].add(1);
    rte_pktmbuf_free(m);
  }
  void transmit(rte_mbuf* m, uint8_t interface) {
    PacketBuffer& b = tx[interface];
    b.pkts[b.n++] = m;
  }
  // By class (dataplane/kernel_path.h): over its budget, dropped and counted.
  void send_to_kernel(rte_mbuf* m) {
    const KernelClass c = kernel_class_of(m);
    if (!kernel_budget.take(c, now)) return drop(m, kKernelOverBudget[static_cast<size_t>(c)]);
    PacketBuffer& b = c == KernelClass::neighbour ? neighbours_to_kernel : to_kernel;
    b.pkts[b.n++] = m;
  }
  void hand_off(rte_mbuf* m, uint16_t owner) {
    PacketBuffer& b = handoff[owner];
    b.pkts[b.n++] = m;
  }
};

// Does this worker hold connections to real-server id `id`? (Any thread: counters only.)
inline bool holds_connections(const WorkerCtx& w, uint32_t id) {
  return w.stats.server_load[id].active.get() + w.stats.server_load[id].inactive.get() > 0;
}
// Frees connections whose timeout passed, visiting at most `budget` entries.
uint32_t expire_connections(WorkerCtx& w, uint32_t budget);
// Picks up a newly published snapshot and the clock. Call after the quiescent report.
void begin_loop(WorkerCtx& w);
// Hands the burst's outputs to the NICs, the exception ring and the owners' hand-off rings;
// counts what did not fit.
void flush_outputs(WorkerCtx& w);
// The hand-off part of flush_outputs alone.
void flush_handoffs(WorkerCtx& w);
// Takes over up to one burst that worker `from` handed to this one and runs it through the
// pipeline; the caller flushes the outputs. `pkts` holds kMaxBurst. Returns how many.
uint32_t take_over_from(WorkerCtx& w, uint16_t from, rte_mbuf** pkts);
// The lcore entry point (rte_eal_remote_launch); `arg` is a WorkerCtx*. Returns on *stop.
int worker_main(void* arg);

}  // namespace sluice::dp
