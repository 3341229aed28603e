#include "dataplane/scheduler.h"

#include "dataplane/hash_tables.h"

namespace sluice::dp {

bool can_take(const RealServerEntry& s, WorkerView view) {
  if (!s.available()) return false;
  if (s.max_conns == 0) return true;
  const uint64_t conns = uint64_t{view.load[s.id].active.get()} + view.load[s.id].inactive.get();
  uint8_t& overloaded = view.overloaded[s.id];
  if (overloaded) {
    // Below min_conns, or below 3/4 of max_conns without one (compared as conns*4 < max*3 so
    // that a max of 1 resumes at 0 instead of never).
    const bool still_full =
        s.min_conns != 0 ? conns >= s.min_conns : conns * 4 >= uint64_t{s.max_conns} * 3;
    if (still_full) return false;
    overloaded = 0;
  }
  if (conns >= s.max_conns) {
    overloaded = 1;
    return false;
  }
  return true;
}

namespace {

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
  // The heaviest server that can take one now: full servers (max_conns) would otherwise make
  // the walk run through every threshold down to the light ones, up to n x 65535 steps.
  uint16_t heaviest = 0;
  for (const RealServerEntry& s : servers) {
    if (s.weight > heaviest && can_take(s, view)) heaviest = s.weight;
  }
  if (heaviest == 0) return kNoServer;
  const auto n = static_cast<int32_t>(servers.size());
  // Bounded: with the threshold at most `heaviest`, two passes reach that server.
  for (int32_t step = 0; step < 2 * n + 1; ++step) {
    cursor.index = (cursor.index + 1) % n;
    if (cursor.index == 0) {
      cursor.current -= service.weight_gcd;
      if (cursor.current <= 0) cursor.current = service.max_weight;
      if (cursor.current > heaviest) cursor.current = heaviest;
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

// The table holds only servers the configuration allows. A full one (max_conns) hands the
// client to the next server in the list that can take it (IPVS's sh-fallback/mh-fallback):
// at most n more checks, never a walk of the 65537-entry table.
uint32_t pick_hashed(std::span<const RealServerEntry> servers, std::span<const uint16_t> table,
                     uint32_t address, WorkerView view) {
  if (table.empty()) return kNoServer;
  const uint16_t hashed = table[hash_address(address) % table.size()];
  for (uint32_t step = 0; step < servers.size(); ++step) {
    const uint32_t position = (hashed + step) % servers.size();
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
