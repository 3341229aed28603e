#include "config/changes.h"

#include <algorithm>
#include <map>
#include <tuple>
#include <vector>

#include "common/ip_text.h"

namespace sluice::config {
namespace {

// A log line stays readable however large the reload: past this many names, a count.
constexpr size_t kNamesShown = 8;

struct Listed {
  std::vector<std::string> added, removed, changed;
};

std::string names(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < std::min(items.size(), kNamesShown); ++i) {
    out += (i == 0 ? "" : ", ") + items[i];
  }
  if (items.size() > kNamesShown) out += " and " + std::to_string(items.size() - kNamesShown) + " more";
  return out;
}

// "services: added a; removed b" or "" when nothing in `listed`.
std::string section(const char* what, const Listed& listed) {
  std::string out;
  for (const auto& [verb, items] : {std::pair{"added", &listed.added},
                                    std::pair{"removed", &listed.removed},
                                    std::pair{"changed", &listed.changed}}) {
    if (items->empty()) continue;
    out += (out.empty() ? std::string(what) + ": " : "; ") + verb + " " + names(*items);
  }
  return out;
}

// Sorts items of `before` and `after` by key into added, removed and changed (`same` false).
template <class Key, class Item, class Name, class Same>
void compare(const std::map<Key, Item>& before, const std::map<Key, Item>& after, Listed& out,
             Name name, Same same) {
  for (const auto& [key, item] : after) {
    const auto old = before.find(key);
    if (old == before.end()) {
      out.added.push_back(name(item));
    } else if (!same(old->second, item)) {
      out.changed.push_back(name(item));
    }
  }
  for (const auto& [key, item] : before) {
    if (!after.contains(key)) out.removed.push_back(name(item));
  }
}

// Where a service listens and how it balances: everything but its servers and positions.
bool same_settings(const VirtualService& a, const VirtualService& b) {
  const auto listens = [](const VirtualService& vs) {
    std::vector<std::tuple<IpAddress, PortSet, std::vector<Protocol>>> out;
    for (const Listener& l : vs.listeners) out.emplace_back(l.address, l.ports, l.protocols);
    return out;
  };
  const auto fallback = [](const VirtualService& vs) {
    return vs.fallback ? std::optional(std::pair(vs.fallback->address, vs.fallback->port))
                       : std::nullopt;
  };
  return listens(a) == listens(b) && a.mode == b.mode && a.scheduler == b.scheduler &&
         fallback(a) == fallback(b) && a.snat_pool == b.snat_pool &&
         a.persistence == b.persistence && a.timeouts == b.timeouts && a.on_remove == b.on_remove &&
         a.on_failure == b.on_failure;
}

struct ServerItem {
  const VirtualService* service;
  const RealServer* server;
  bool fallback;
};
using ServerKey = std::tuple<std::string, IpAddress, uint16_t, bool>;

std::map<ServerKey, ServerItem> servers_of(const Config& cfg) {
  std::map<ServerKey, ServerItem> out;
  for (const VirtualService& vs : cfg.virtual_services) {
    for (const RealServer& rs : vs.real_servers) {
      out.emplace(ServerKey{vs.name, rs.address, rs.port.value_or(0), false},
                  ServerItem{&vs, &rs, false});
    }
    if (vs.fallback) {
      out.emplace(ServerKey{vs.name, vs.fallback->address, vs.fallback->port.value_or(0), true},
                  ServerItem{&vs, &*vs.fallback, true});
    }
  }
  return out;
}

std::map<std::string, const VirtualService*> services_of(const Config& cfg) {
  std::map<std::string, const VirtualService*> out;
  for (const VirtualService& vs : cfg.virtual_services) out.emplace(vs.name, &vs);
  return out;
}

bool same_routes(const Config& a, const Config& b) {
  const auto routes = [](const Config& cfg) {
    std::vector<std::tuple<IpAddress, uint8_t, IpAddress>> out;
    for (const Route& r : cfg.routes) out.emplace_back(r.prefix.address, r.prefix.length, r.via);
    return out;
  };
  return routes(a) == routes(b);
}

}  // namespace

std::string server_name(const VirtualService& vs, const RealServer& rs, bool fallback) {
  // A server without port takes the client's: ADDRESS:*, as `set server` names it.
  return vs.name + " " +
         (rs.port ? format_endpoint(rs.address, *rs.port) : format_host(rs.address) + ":*") +
         (fallback ? " (fallback)" : "");
}

std::string describe_changes(const Config& before, const Config& after) {
  Listed services;
  compare(services_of(before), services_of(after), services,
          [](const VirtualService* vs) { return vs->name; },
          [](const VirtualService* a, const VirtualService* b) { return same_settings(*a, *b); });
  Listed servers;
  compare(servers_of(before), servers_of(after), servers,
          [](const ServerItem& s) { return server_name(*s.service, *s.server, s.fallback); },
          [](const ServerItem& a, const ServerItem& b) {
            // A server's check and agent are its service's unless it has its own.
            const bool same_health =
                a.fallback || (same_check(a.service->check_of(*a.server), b.service->check_of(*b.server)) &&
                               same_feedback(a.service->feedback_of(*a.server),
                                             b.service->feedback_of(*b.server)));
            return same_health &&
                   std::tie(a.server->weight, a.server->state, a.server->max_conns,
                            a.server->min_conns) == std::tie(b.server->weight, b.server->state,
                                                             b.server->max_conns,
                                                             b.server->min_conns);
          });
  std::vector<std::string> others;
  if (!same_routes(before, after)) others.push_back("routes");
  if (before.connections.timeouts != after.connections.timeouts) {
    others.push_back("connections.timeouts");
  }
  if (before.neighbours.timeout != after.neighbours.timeout) others.push_back("neighbours.timeout");
  if (before.health.notify != after.health.notify) others.push_back("health.notify");
  if (before.log.level != after.log.level) others.push_back("log.level");

  std::string out;
  for (const std::string& part : {section("services", services),
                                  section("real servers", servers),
                                  others.empty() ? std::string() : "also changed: " + names(others)}) {
    if (!part.empty()) out += (out.empty() ? "" : ". ") + part;
  }
  return out.empty() ? "nothing changed" : out;
}

}  // namespace sluice::config
