#include "config/compile/compile.h"

#include <algorithm>
#include <numeric>
#include <span>

#include "dataplane/bounds.h"

namespace sluice::config {

ServerKey key_of(const VirtualService& vs, const RealServer& rs) {
  return {vs.name, rs.address, rs.port.value_or(0)};
}

ServerIds::ServerIds() {
  for (uint32_t id = 0; id < dp::kMaxRealServers; ++id) free_.push_back(id);
}

std::optional<uint32_t> ServerIds::id_of(const ServerKey& key) {
  if (auto it = ids_.find(key); it != ids_.end()) return it->second;
  if (free_.empty()) return std::nullopt;
  const uint32_t id = free_.front();
  free_.pop_front();
  ids_.emplace(key, id);
  return id;
}

void ServerIds::retain(const std::set<ServerKey>& keep) {
  for (auto it = ids_.begin(); it != ids_.end();) {
    if (keep.contains(it->first)) {
      ++it;
    } else {
      free_.push_back(it->second);
      it = ids_.erase(it);
    }
  }
}

std::optional<NextHop> route_to(const Config& cfg, Ipv4 address) {
  const auto connected = [&cfg](Ipv4 a) -> std::optional<NextHop> {
    for (size_t i = 0; i < cfg.interfaces.size(); ++i) {
      for (const Prefix& p : cfg.interfaces[i].addresses) {
        if (p.contains(a)) return NextHop{static_cast<uint8_t>(i), a};
      }
    }
    return std::nullopt;
  };
  if (auto hop = connected(address)) return hop;
  const Route* best = nullptr;
  for (const Route& r : cfg.routes) {
    if (r.prefix.contains(address) && (best == nullptr || r.prefix.length > best->prefix.length)) {
      best = &r;
    }
  }
  if (best == nullptr) return std::nullopt;
  return connected(best->via);
}

namespace {

// wrr walks thresholds from the largest weight down in steps of their gcd (IPVS).
void set_wrr_parameters(dp::VirtualServiceEntry& entry, std::span<const dp::RealServerEntry> s) {
  uint16_t max = 0, gcd = 0;
  for (const dp::RealServerEntry& rs : s) {
    if (!rs.available()) continue;
    max = std::max(max, rs.weight);
    gcd = static_cast<uint16_t>(std::gcd(gcd, rs.weight));
  }
  entry.max_weight = max;
  entry.weight_gcd = gcd == 0 ? 1 : gcd;
}

}  // namespace

CompileResult compile(const Config& cfg, uint64_t generation, ServerIds& ids,
                      const Overrides& overrides, const NeighbourSlotFor& neighbour_slot) {
  auto snap = std::make_unique<dp::Snapshot>();
  snap->generation = generation;
  const Timeouts& t = cfg.connections.timeouts;
  snap->timeouts = {t.tcp, t.tcp_fin, t.tcp_syn, t.tcp_close, t.udp};
  snap->fate_by_id.assign(dp::kMaxRealServers, dp::ServerFate{});

  // Free the ids of servers that left first, so that replacing a whole pool fits.
  std::set<ServerKey> keys;
  for (const VirtualService& vs : cfg.virtual_services) {
    for (const RealServer& rs : vs.real_servers) keys.insert(key_of(vs, rs));
  }
  ids.retain(keys);
  for (size_t v = 0; v < cfg.virtual_services.size(); ++v) {
    const VirtualService& vs = cfg.virtual_services[v];
    dp::VirtualServiceEntry entry{
        .address = vs.address,
        .protocol = vs.protocol,
        .mode = vs.mode,
        .scheduler = vs.scheduler,
        .first_server = static_cast<uint32_t>(snap->servers.size()),
        .server_count = static_cast<uint32_t>(vs.real_servers.size()),
    };
    for (const RealServer& rs : vs.real_servers) {
      const ServerKey key = key_of(vs, rs);
      const std::optional<uint32_t> id = ids.id_of(key);
      if (!id) return {nullptr, "more than " + std::to_string(dp::kMaxRealServers) + " real servers"};
      const std::optional<NextHop> hop = route_to(cfg, rs.address);
      if (!hop) return {nullptr, "real server unreachable (validation should have caught it)"};
      const std::optional<uint16_t> neighbour = neighbour_slot(*hop);
      if (!neighbour) {
        return {nullptr, "more than " + std::to_string(dp::kMaxNeighbours) + " next hops"};
      }
      Override o;
      if (auto it = overrides.find(key); it != overrides.end()) o = it->second;
      const dp::RealServerEntry server{
          .id = *id,
          .address = rs.address,
          .port = rs.port.value_or(0),
          .weight = static_cast<uint16_t>(o.weight.value_or(rs.weight)),
          .state = o.state.value_or(rs.state),
          .interface = hop->interface,
          .neighbour = *neighbour,
      };
      snap->fate_by_id[*id].forward = server.state != AdminState::halt;
      snap->servers.push_back(server);
    }
    set_wrr_parameters(entry, std::span(snap->servers).subspan(entry.first_server));
    snap->services.push_back(entry);
    for (uint16_t port : vs.ports) {
      snap->vips.insert(vs.address, port, static_cast<uint8_t>(vs.protocol),
                        static_cast<uint32_t>(v));
    }
  }
  snap->vips.seal();
  return {std::move(snap), {}};
}

}  // namespace sluice::config
