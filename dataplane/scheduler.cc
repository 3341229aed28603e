#include "dataplane/scheduler.h"

#include "dataplane/hash_tables.h"

namespace sluice::dp {
namespace {

// Configuration allows it and it is below its connection threshold.
bool can_take(const RealServerEntry& s, WorkerView view) {
  if (!s.available()) return false;
  if (s.max_conns == 0) return true;
  const uint64_t conns = uint64_t{view.load[s.id].active.get()} + view.load[s.id].inactive.get();
  uint8_t& overloaded = view.overloaded[s.id];
  if (overloaded) {
    const uint64_t resume = s.min_conns != 0 ? s.min_conns : uint64_t{s.max_conns} * 3 / 4;
    if (conns >= resume) return false;
    overloaded = 0;
  }
  if (conns >= s.max_conns) {
    overloaded = 1;
    return false;
  }
  return true;
}

uint32_t pick_rr(std::span<const RealServerEntry> servers, SchedulerCursor& cursor,
                 WorkerView view) {
  const auto n = static_cast<int32_t>(servers.size());
  for (int32_t step = 1; step <= n; ++step) {
    const int32_t i = (cursor.index + step) % n;
    if (can_take(servers[i], view)) {
      cursor.index = i;
      return static_cast<uint32_t>(i);
    }
  }
  return kNoServer;
}

// IPVS ip_vs_wrr.c: walk the list repeatedly, lowering the threshold by the gcd of the
// weights each round, so a server of weight w is picked w times per max_weight/gcd rounds
// and picks interleave instead of bursting.
uint32_t pick_wrr(const VirtualServiceEntry& service, std::span<const RealServerEntry> servers,
                  SchedulerCursor& cursor, WorkerView view) {
  if (service.max_weight == 0) return kNoServer;
  const auto n = static_cast<int32_t>(servers.size());
  // Bounded: with at least one available server, a full cycle of thresholds finds it.
  const int64_t limit = int64_t{n} * (service.max_weight / service.weight_gcd + 1);
  for (int64_t step = 0; step < limit; ++step) {
    cursor.index = (cursor.index + 1) % n;
    if (cursor.index == 0) {
      cursor.current -= service.weight_gcd;
      if (cursor.current <= 0) cursor.current = service.max_weight;
    }
    const RealServerEntry& s = servers[cursor.index];
    if (s.weight >= cursor.current && can_take(s, view)) {
      return static_cast<uint32_t>(cursor.index);
    }
  }
  return kNoServer;
}

// Least connections, by IPVS's overhead (active x 256 + inactive). Weighted: the smallest
// overhead/weight, compared by cross-multiplying (as IPVS does) to stay in integers;
// unweighted (lc): every weight counts as 1.
uint32_t pick_least(std::span<const RealServerEntry> servers, WorkerView view, bool weighted) {
  uint32_t best = kNoServer;
  uint64_t best_overhead = 0, best_weight = 1;
  for (uint32_t i = 0; i < servers.size(); ++i) {
    const RealServerEntry& s = servers[i];
    if (!can_take(s, view)) continue;
    const uint64_t overhead = view.load[s.id].overhead();
    const uint64_t weight = weighted ? s.weight : 1;
    if (best == kNoServer || overhead * best_weight < best_overhead * weight) {
      best = i;
      best_overhead = overhead;
      best_weight = weight;
    }
  }
  return best;
}

// The first server in file order that can take it: active/standby.
uint32_t pick_first(std::span<const RealServerEntry> servers, WorkerView view) {
  for (uint32_t i = 0; i < servers.size(); ++i) {
    if (can_take(servers[i], view)) return i;
  }
  return kNoServer;
}

// The table holds only servers the configuration allows; a full one hands over to the next
// entries (IPVS's sh-fallback / mh-fallback), a bounded walk of the table.
uint32_t pick_hashed(std::span<const RealServerEntry> servers, std::span<const uint16_t> table,
                     uint32_t address, WorkerView view) {
  if (table.empty()) return kNoServer;
  const uint32_t start = hash_address(address) % table.size();
  for (uint32_t step = 0; step < table.size(); ++step) {
    const uint16_t position = table[(start + step) % table.size()];
    if (can_take(servers[position], view)) return position;
  }
  return kNoServer;
}

}  // namespace

uint32_t pick_server(const VirtualServiceEntry& service, std::span<const RealServerEntry> servers,
                     std::span<const uint16_t> table, SchedulerCursor& cursor, WorkerView view,
                     FlowAddresses flow) {
  if (servers.empty()) return kNoServer;
  switch (service.scheduler) {
    case Scheduler::rr: return pick_rr(servers, cursor, view);
    case Scheduler::wrr: return pick_wrr(service, servers, cursor, view);
    case Scheduler::lc: return pick_least(servers, view, false);
    case Scheduler::wlc: return pick_least(servers, view, true);
    case Scheduler::first: return pick_first(servers, view);
    case Scheduler::sh: return pick_hashed(servers, table, flow.client, view);
    case Scheduler::maglev: return pick_hashed(servers, table, flow.client, view);
    case Scheduler::dh: return pick_hashed(servers, table, flow.vip, view);
  }
  return kNoServer;
}

}  // namespace sluice::dp
