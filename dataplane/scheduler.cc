#include "dataplane/scheduler.h"

namespace sluice::dp {
namespace {

uint32_t pick_rr(std::span<const RealServerEntry> servers, SchedulerCursor& cursor) {
  const auto n = static_cast<int32_t>(servers.size());
  for (int32_t step = 1; step <= n; ++step) {
    const int32_t i = (cursor.index + step) % n;
    if (servers[i].available()) {
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
                  SchedulerCursor& cursor) {
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
    if (s.available() && s.weight >= cursor.current) return static_cast<uint32_t>(cursor.index);
  }
  return kNoServer;
}

// Weighted least connections: the smallest overhead/weight, compared by cross-multiplying
// (as IPVS does) to stay in integers.
uint32_t pick_wlc(std::span<const RealServerEntry> servers, const ServerLoad* load) {
  uint32_t best = kNoServer;
  uint64_t best_conns = 0, best_weight = 1;
  for (uint32_t i = 0; i < servers.size(); ++i) {
    const RealServerEntry& s = servers[i];
    if (!s.available()) continue;
    const uint64_t c = load[s.id].overhead();
    if (best == kNoServer || c * best_weight < best_conns * s.weight) {
      best = i;
      best_conns = c;
      best_weight = s.weight;
    }
  }
  return best;
}

}  // namespace

uint32_t pick_server(const VirtualServiceEntry& service,
                     std::span<const RealServerEntry> servers, SchedulerCursor& cursor,
                     const ServerLoad* load) {
  if (servers.empty()) return kNoServer;
  switch (service.scheduler) {
    case Scheduler::rr: return pick_rr(servers, cursor);
    case Scheduler::wrr: return pick_wrr(service, servers, cursor);
    case Scheduler::wlc: return pick_wlc(servers, load);
  }
  return kNoServer;
}

}  // namespace sluice::dp
