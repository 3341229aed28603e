#include "control/server_counters.h"

namespace sluice::control {
namespace {

ServerCounts raw(const std::vector<dp::WorkerCtx*>& workers, uint32_t id) {
  ServerCounts c;
  for (const dp::WorkerCtx* w : workers) {
    const dp::WorkerStats& s = w->stats;
    c.active += s.server_load[id].active.get();
    c.inactive += s.server_load[id].inactive.get();
    c.conns += s.server_total_conns[id].get();
    c.traffic.packets_in += s.server_traffic[id].packets_in.get();
    c.traffic.bytes_in += s.server_traffic[id].bytes_in.get();
    c.traffic.packets_out += s.server_traffic[id].packets_out.get();
    c.traffic.bytes_out += s.server_traffic[id].bytes_out.get();
  }
  return c;
}

}  // namespace

ServerCounts ServerCounters::of(const std::vector<dp::WorkerCtx*>& workers, uint32_t id) const {
  ServerCounts c = raw(workers, id);
  const ServerCounts& base = baseline_[id];
  c.conns -= base.conns;
  c.traffic.packets_in -= base.traffic.packets_in;
  c.traffic.bytes_in -= base.traffic.bytes_in;
  c.traffic.packets_out -= base.traffic.packets_out;
  c.traffic.bytes_out -= base.traffic.bytes_out;
  return c;
}

void ServerCounters::renumbered(const std::vector<dp::WorkerCtx*>& workers,
                                const std::map<ServerKey, uint32_t>& before,
                                const std::map<ServerKey, uint32_t>& after) {
  for (const auto& [key, id] : after) {
    const auto was = before.find(key);
    if (was != before.end() && was->second == id) continue;
    baseline_[id] = raw(workers, id);
    baseline_[id].active = baseline_[id].inactive = 0;
  }
}

}  // namespace sluice::control
