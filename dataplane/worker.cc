#include "dataplane/worker.h"

#include <rte_cycles.h>
#include <rte_ethdev.h>

#include <algorithm>

#include "dataplane/packet_meta.h"
#include "dataplane/pipeline.h"

namespace sluice::dp {
namespace {

// Connections visited by the wheel per loop: bounds the pause an expiry storm causes to
// about 2048 x ~40 cycles = 80k cycles (~30 us at 2.6 GHz).
constexpr uint32_t kExpiryBudget = 2048;
void free_all(rte_mbuf** pkts, uint16_t n, uint16_t from) {
  for (uint16_t i = from; i < n; ++i) rte_pktmbuf_free(pkts[i]);
}

// The kernel's own packets (ARP, ping replies, ssh) leave through a worker's TX queue: only
// workers transmit on data ports, so no queue is shared. The control thread set the
// interface of each in its PacketMeta.
uint32_t transmit_from_kernel(WorkerCtx& w) {
  if (w.from_kernel == nullptr) return 0;
  rte_mbuf* pkts[64];
  const unsigned n =
      rte_ring_sc_dequeue_burst(w.from_kernel, reinterpret_cast<void**>(pkts), 64, nullptr);
  for (unsigned i = 0; i < n; ++i) w.transmit(pkts[i], meta_of(pkts[i]).interface);
  if (n != 0) flush_outputs(w);
  return n;
}

// Packets other workers received for connections this one owns, from every ring; the
// outputs of each ring's batch are flushed before the next (each fits one burst's buffers).
uint32_t take_over_handoffs(WorkerCtx& w, rte_mbuf** pkts) {
  uint32_t work = 0;
  for (uint16_t from = 0; from < w.worker_count; ++from) {
    const uint32_t n = take_over_from(w, from, pkts);
    if (n != 0) flush_outputs(w);
    work += n;
  }
  return work;
}

}  // namespace

uint32_t take_over_from(WorkerCtx& w, uint16_t from, rte_mbuf** pkts) {
  if (w.handoff_from[from] == nullptr) return 0;
  const unsigned n = rte_ring_sc_dequeue_burst(w.handoff_from[from], reinterpret_cast<void**>(pkts),
                                               w.burst, nullptr);
  if (n == 0) return 0;
  w.stats.taken_over.add(n);
  process_handed_off(w, *w.snapshot, pkts, static_cast<uint16_t>(n));
  return n;
}

uint32_t expire_connections(WorkerCtx& w, uint32_t budget) {
  const auto unload = [&w](const auto& c) {
    w.stats.server_load[c.server_id].remove(c.state);
    report_connection(w, FromWorker::connection_closed, c);
  };
  uint32_t visited = w.conns->expire(w.now, budget, unload);
  if (w.conns6 != nullptr) visited += w.conns6->expire(w.now, budget, unload);
  return visited;
}

void begin_loop(WorkerCtx& w) {
  // acquire: pairs with the control thread's release store, so the snapshot's contents are
  // visible before the pointer is used.
  w.snapshot = w.published->load(std::memory_order_acquire);
  if (w.snapshot->generation != w.cursor_generation) {
    w.cursors.fill(SchedulerCursor{});
    w.cursor_generation = w.snapshot->generation;
  }
  w.now = static_cast<uint32_t>((rte_rdtsc() - w.start_tsc) / w.tsc_hz);
}

namespace {

// Hands the packets collected for the kernel to the control thread's ring.
void to_kernel(WorkerCtx& w, PacketBuffer& b, rte_ring* ring) {
  if (b.n == 0) return;
  const unsigned queued =
      rte_ring_sp_enqueue_burst(ring, reinterpret_cast<void* const*>(b.pkts), b.n, nullptr);
  w.stats.to_kernel.add(queued);
  if (queued < b.n) {
    w.stats.drops[static_cast<size_t>(Drop::exception_ring_full)].add(b.n - queued);
    free_all(b.pkts, b.n, static_cast<uint16_t>(queued));
  }
  b.n = 0;
}

}  // namespace

// Hands each owner the packets collected for it in one burst enqueue.
void flush_handoffs(WorkerCtx& w) {
  for (uint16_t owner = 0; owner < w.worker_count; ++owner) {
    PacketBuffer& b = w.handoff[owner];
    if (b.n == 0) continue;
    const unsigned queued = rte_ring_sp_enqueue_burst(
        w.handoff_to[owner], reinterpret_cast<void* const*>(b.pkts), b.n, nullptr);
    w.stats.handed_off.add(queued);
    if (queued < b.n) {
      w.stats.drops[static_cast<size_t>(Drop::handoff_ring_full)].add(b.n - queued);
      free_all(b.pkts, b.n, static_cast<uint16_t>(queued));
    }
    b.n = 0;
  }
}

void flush_outputs(WorkerCtx& w) {
  if (w.worker_count > 1) flush_handoffs(w);
  for (uint8_t i = 0; i < w.interface_count; ++i) {
    PacketBuffer& b = w.tx[i];
    if (b.n == 0) continue;
    const uint16_t sent = rte_eth_tx_burst(w.interfaces[i].port_id, w.queue, b.pkts, b.n);
    w.stats.tx_packets.add(sent);
    w.stats.interfaces[i].tx_packets.add(sent);
    if (sent < b.n) {
      w.stats.drops[static_cast<size_t>(Drop::tx_full)].add(b.n - sent);
      free_all(b.pkts, b.n, sent);
    }
    b.n = 0;
  }
  to_kernel(w, w.neighbours_to_kernel, w.neighbour_ring);
  to_kernel(w, w.to_kernel, w.kernel_ring);
}

int worker_main(void* arg) {
  WorkerCtx& w = *static_cast<WorkerCtx*>(arg);
  rte_rcu_qsbr_thread_register(w.qsbr, w.id);
  rte_rcu_qsbr_thread_online(w.qsbr, w.id);
  uint32_t idle = 0;
  rte_mbuf* pkts[kMaxBurst];
  while (!w.stop->load(std::memory_order_relaxed)) {
    // Nothing from the previous iteration is referenced past this point.
    rte_rcu_qsbr_quiescent(w.qsbr, w.id);
    begin_loop(w);
    w.stats.loops.add(1);
    uint32_t work = 0;
    for (uint8_t i = 0; i < w.interface_count; ++i) {
      const uint16_t n =
          rte_eth_rx_burst(w.interfaces[i].port_id, w.queue, pkts, static_cast<uint16_t>(w.burst));
      if (n == 0) continue;
      w.stats.rx_packets.add(n);
      w.stats.interfaces[i].rx_packets.add(n);
      process_burst(w, *w.snapshot, pkts, n);
      flush_outputs(w);
      work += n;
    }
    if (w.worker_count > 1) work += take_over_handoffs(w, pkts);
    work += transmit_from_kernel(w);
    work += expire_connections(w, kExpiryBudget);
    work += serve_control_messages(w);
    // Idle back-off: a worker that keeps finding nothing sleeps a little, so a small lab
    // machine can share its cores with clients and servers. Off (0) on a real appliance.
    if (work != 0) {
      idle = 0;
      continue;
    }
    w.stats.idle_loops.add(1);
    if (++idle >= w.idle_polls && w.idle_sleep_us != 0) rte_delay_us_sleep(w.idle_sleep_us);
  }
  rte_rcu_qsbr_thread_offline(w.qsbr, w.id);
  rte_rcu_qsbr_thread_unregister(w.qsbr, w.id);
  return 0;
}

}  // namespace sluice::dp
