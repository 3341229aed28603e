#include "dataplane/control_channel.h"

#include <rte_ring_elem.h>

#include <algorithm>

#include "dataplane/worker.h"

namespace sluice::dp {
namespace {

// Table slots a dump or flush visits per loop: about the pause of the expiry budget
// (4096 x ~10 cycles for a skipped slot, ~100 for a copied one: 40k-400k cycles, <150 us).
constexpr uint32_t kScanBudget = 4096;
// Learnt connections inserted per loop: each costs two hash inserts (~1 us).
constexpr uint32_t kInsertBudget = 64;

bool send(WorkerCtx& w, WorkerMessage m) {  // a copy: rte_ring's enqueue takes a void*
  return rte_ring_sp_enqueue_elem(w.from_worker, &m, sizeof m) == 0;
}

ConnRecord record_of(const Conn& c) { return {.ipv6 = false, .conn = c, .conn6 = {}}; }
ConnRecord record_of(const Conn6& c) { return {.ipv6 = true, .conn = {}, .conn6 = c}; }

template <class C>
void report(WorkerCtx& w, FromWorker event, const C& c) {
  if (!w.snapshot->connection_events) return;
  const WorkerMessage m{.type = event, .worker = w.id, .request = 0, .now = w.now,
                        .record = record_of(c)};
  if (!send(w, m)) w.stats.events_dropped.add(1);
}

// A connection learnt elsewhere (the HA peer), inserted or, when its tuple is known, updated.
// Its `expires` carries the seconds it has left, since the sender's clock is not ours.
template <class Table>
void insert_learnt(WorkerCtx& w, Table& table, typename Table::Conn c) {
  const uint32_t expires = w.now + c.expires;
  const uint32_t ref = table.lookup(c.forward_key());
  if (ref != Table::kNone) {
    auto& known = table.at(ref >> 1);
    w.stats.server_load[known.server_id].move(known.state, c.state);
    known.state = c.state;
    table.set_expiry(ref >> 1, expires);
    return;
  }
  c.expires = expires;
  c.persistence_tick = 0;
  if (table.insert(c, replies_return(c.mode)) >= Table::kTaken) {
    w.stats.learnt_refused.add(1);  // table full, or its tuple taken by another
    return;
  }
  w.stats.server_load[c.server_id].add(c.state);
}

template <class Table>
void forget(WorkerCtx& w, Table& table, uint32_t index) {
  const auto& c = table.at(index);
  w.stats.server_load[c.server_id].remove(c.state);
  table.remove(index);
}

// Visits one slot of a dump or a flush. Returns false when the dump must wait for room in the
// reply ring (the slot is visited again next loop).
template <class Table>
bool visit(WorkerCtx& w, ScanProgress& p, Table& table, uint32_t index) {
  if (!table.at(index).live) return true;
  if (p.job.type == ToWorker::flush_connections) {
    forget(w, table, index);
    return true;
  }
  const WorkerMessage m{.type = FromWorker::connection, .worker = w.id, .request = p.job.request,
                        .now = w.now, .record = record_of(table.at(index))};
  if (!send(w, m)) return false;
  ++p.sent;
  return true;
}

// Advances the current dump or flush; true when it is finished.
bool advance_scan(WorkerCtx& w, ScanProgress& p) {
  const uint32_t v4 = w.conns->capacity();
  const uint32_t total = v4 + (w.conns6 != nullptr ? w.conns6->capacity() : 0);
  const uint32_t end = std::min(p.cursor + kScanBudget, total);
  const bool dump = p.job.type == ToWorker::dump_connections;
  for (; p.cursor < end && !(dump && p.sent == p.job.limit); ++p.cursor) {
    const bool visited = p.cursor < v4 ? visit(w, p, *w.conns, p.cursor)
                                       : visit(w, p, *w.conns6, p.cursor - v4);
    if (!visited) return false;
  }
  if (p.cursor < total && !(dump && p.sent == p.job.limit)) return false;
  if (!dump) return true;
  const WorkerMessage done{.type = FromWorker::dump_done, .worker = w.id,
                           .request = p.job.request, .now = w.now, .record = {}};
  return send(w, done);  // else tried again next loop
}

}  // namespace

uint32_t serve_control_messages(WorkerCtx& w) {
  ScanProgress& p = w.scan;
  if (p.active) {
    if (advance_scan(w, p)) p.active = false;
    return 1;
  }
  uint32_t work = 0;
  ControlMessage m;
  while (work < kInsertBudget && rte_ring_sc_dequeue_elem(w.to_worker, &m, sizeof m) == 0) {
    ++work;
    if (m.type != ToWorker::insert_connection) {
      p = ScanProgress{.active = true, .job = m, .cursor = 0, .sent = 0};
      break;  // served from the next loop on, before any later message
    }
    if (!m.record.ipv6) {
      insert_learnt(w, *w.conns, m.record.conn);
    } else if (w.conns6 != nullptr) {
      insert_learnt(w, *w.conns6, m.record.conn6);
    }
  }
  return work;
}

void report_connection(WorkerCtx& w, FromWorker event, const Conn& c) { report(w, event, c); }
void report_connection(WorkerCtx& w, FromWorker event, const Conn6& c) { report(w, event, c); }

}  // namespace sluice::dp
