#include "control/compile/compile.h"

#include <gtest/gtest.h>

#include "common/bounds.h"
#include "common/ip_text.h"
#include "config/load.h"

namespace sluice::control {
using namespace config;
namespace {

Config load(const std::string& yaml) {
  LoadResult r = load_string(yaml, "test.yaml");
  if (!r.config) ADD_FAILURE() << r.errors.front().format();
  return std::move(*r.config);
}

const char* const kBase = R"(
interfaces:
  - { name: front, device: net_null0, addresses: [198.18.0.1/24] }
  - { name: back, device: net_null1, addresses: [198.18.1.1/24] }
routes:
  - { prefix: 198.19.0.0/16, via: 198.18.1.254 }
virtual_services:
  - name: a
    address: 198.18.0.10
    ports: [80, 8080]
    protocol: tcp
    mode: nat
    scheduler: wrr
    real_servers:
      - { address: 198.18.1.21, weight: 4 }
      - { address: 198.18.1.22, weight: 6 }
      - { address: 198.19.5.5, weight: 0 }
)";

struct Compiled {
  std::unique_ptr<dp::Snapshot> snap;
  std::vector<NextHop> hops;
};

Compiled run(const Config& cfg, ServerIds& ids, const Overrides& o, const Previous& previous,
             std::optional<IpAddress> unresolved, const RunStates& run_states);
Compiled run_with(const Config& cfg, ServerIds& ids, const RunStates& run_states) {
  return run(cfg, ids, {}, {}, std::nullopt, run_states);
}

// Next hops get slots in order; all resolved unless `unresolved` names one.
Compiled run(const Config& cfg, ServerIds& ids, const Overrides& o = {},
             const Previous& previous = {}, std::optional<IpAddress> unresolved = {},
             const RunStates& run_states = {}) {
  Compiled c;
  CompileResult r = compile(
      cfg, 1, ids, o,
      [&c, unresolved](const NextHop& h) {
        c.hops.push_back(h);
        return NeighbourSlot{.slot = static_cast<uint16_t>(c.hops.size() - 1),
                             .resolved = h.address != unresolved};
      },
      previous, run_states);
  if (!r) {
    ADD_FAILURE() << r.error();
    return c;
  }
  c.snap = std::move(r).value();
  return c;
}

TEST(Compile, EveryPortOfAServiceFindsIt) {
  ServerIds ids;
  const Compiled c = run(load(kBase), ids);
  EXPECT_EQ(c.snap->vips.find(*parse_ipv4("198.18.0.10"), 80, 6), 0u);
  EXPECT_EQ(c.snap->vips.find(*parse_ipv4("198.18.0.10"), 8080, 6), 0u);
  EXPECT_EQ(c.snap->vips.find(*parse_ipv4("198.18.0.10"), 80, 17), dp::VipTable::kNone);
  EXPECT_TRUE(c.snap->vips.is_vip_address(*parse_ipv4("198.18.0.10")));
}

TEST(Compile, EveryListenerPortAndProtocolFindsItsService) {
  ServerIds ids;
  const Compiled c = run(load(R"(
interfaces:
  - { name: front, device: net_null0, addresses: [198.18.0.1/24] }
virtual_services:
  - name: ranges
    address: 198.18.0.10
    ports: "80,5070-5073"
    protocol: both
    mode: nat
    real_servers: []
  - name: all-but-one
    address: 198.18.0.11
    ports: all
    except_ports: 20000
    protocol: tcp
    mode: dr
    real_servers: []
  - name: group
    listeners:
      - { address: 198.18.0.12, ports: 443, protocol: tcp }
      - { address: 198.18.0.11, ports: 20000, protocol: tcp }
    mode: dr
    real_servers: []
)"),
                         ids);
  const dp::VipTable& vips = c.snap->vips;
  const Ipv4 ranges = *parse_ipv4("198.18.0.10"), all = *parse_ipv4("198.18.0.11");
  for (uint8_t protocol : {6, 17}) {
    EXPECT_EQ(vips.find(ranges, 80, protocol), 0u);
    EXPECT_EQ(vips.find(ranges, 5070, protocol), 0u);
    EXPECT_EQ(vips.find(ranges, 5073, protocol), 0u);
    EXPECT_EQ(vips.find(ranges, 5074, protocol), dp::VipTable::kNone);
  }
  EXPECT_EQ(vips.find(all, 1, 6), 1u);
  EXPECT_EQ(vips.find(all, 12345, 6), 1u);
  EXPECT_EQ(vips.find(all, 12345, 17), dp::VipTable::kNone);
  EXPECT_EQ(vips.find(all, 20000, 6), 2u);  // the excepted port is another service's
  EXPECT_EQ(vips.find(*parse_ipv4("198.18.0.12"), 443, 6), 2u);
}

TEST(Compile, WrrParametersCoverAvailableServersOnly) {
  ServerIds ids;
  const Compiled c = run(load(kBase), ids);
  EXPECT_EQ(c.snap->services[0].max_weight, 6);
  EXPECT_EQ(c.snap->services[0].weight_gcd, 2);
}

// A server whose next hop's MAC is not known yet takes no new connections (its SYNs would be
// dropped), but keeps its way for connections it may already have.
TEST(Compile, AServerWithAnUnresolvedNextHopTakesNoNewConnections) {
  ServerIds ids;
  const Compiled c = run(load(kBase), ids, {}, {}, *parse_ip("198.18.1.22"));
  const dp::RealServerEntry& waiting = c.snap->servers[1];
  EXPECT_FALSE(waiting.reachable);
  EXPECT_FALSE(waiting.available());
  EXPECT_TRUE(c.snap->servers[0].available());
  EXPECT_TRUE(c.snap->fate_by_id[waiting.id].forward);
  EXPECT_EQ(c.snap->services[0].max_weight, 4);  // wrr over the servers that can take them
}

TEST(Compile, NextHopsAreConnectedOrThroughTheRoute) {
  ServerIds ids;
  const Compiled c = run(load(kBase), ids);
  ASSERT_EQ(c.hops.size(), 3u);
  EXPECT_EQ(c.hops[0].interface, 1);
  EXPECT_EQ(c.hops[0].address, *parse_ip("198.18.1.21"));
  EXPECT_EQ(c.hops[2].address, *parse_ip("198.18.1.254"));
  EXPECT_EQ(c.snap->fate_by_id[c.snap->servers[2].id].interface, 1);
}

TEST(Compile, RealServerIdsSurviveAReloadThatAddsAServer) {
  ServerIds ids;
  const Compiled before = run(load(kBase), ids);
  std::string bigger = kBase;
  bigger.replace(bigger.find("      - { address: 198.18.1.21"), 0,
                 "      - { address: 198.18.1.30 }\n");
  const Compiled after = run(load(bigger), ids);
  EXPECT_EQ(after.snap->servers[1].id, before.snap->servers[0].id);  // .21 moved down one
  EXPECT_EQ(after.snap->servers[2].id, before.snap->servers[1].id);
  for (const auto& s : before.snap->servers) EXPECT_NE(after.snap->servers[0].id, s.id);
}

TEST(Compile, RealServerIdsSurviveAChangeOfTheServicesPorts) {
  ServerIds ids;
  const Compiled before = run(load(kBase), ids);
  std::string more_ports = kBase;
  more_ports.replace(more_ports.find("ports: [80, 8080]"), 17, "ports: [22, 80, 8080]");
  const Compiled after = run(load(more_ports), ids);
  for (size_t i = 0; i < before.snap->servers.size(); ++i) {
    EXPECT_EQ(after.snap->servers[i].id, before.snap->servers[i].id);
  }
}

TEST(Compile, ReplacingAWholePoolOfServersFitsInTheIdSpace) {
  const auto pool = [](int third_octet) {
    std::string yaml = R"(
interfaces: [ { name: n, device: net_null0, addresses: [198.18.0.1/16] } ]
virtual_services:
  - name: big
    address: 198.18.255.10
    ports: [80]
    protocol: tcp
    mode: nat
    real_servers:
)";
    for (int i = 0; i < 3000; ++i) {
      yaml += "      - { address: 198.18." + std::to_string(third_octet + i / 250) + "." +
              std::to_string(1 + i % 250) + " }\n";
    }
    return yaml;
  };
  ServerIds ids;
  run(load(pool(0)), ids);
  const Compiled second = run(load(pool(100)), ids);  // 3000 new servers, 3000 leave
  EXPECT_EQ(second.snap->servers.size(), 3000u);
}

// `yaml` without the line of server 198.18.1.22.
std::string without_22(std::string yaml) {
  return yaml.erase(yaml.find("      - { address: 198.18.1.22"),
                    std::string("      - { address: 198.18.1.22, weight: 6 }\n").size());
}

TEST(Compile, RemovedServersWithoutConnectionsAreNotForwardedAndTheirIdsAreReusedLast) {
  ServerIds ids;
  const Compiled before = run(load(kBase), ids);
  const Compiled after =
      run(load(without_22(kBase)), ids, {}, {before.snap.get(), [](uint32_t) { return false; }});
  const uint32_t gone = before.snap->servers[1].id;
  EXPECT_FALSE(after.snap->fate_by_id[gone].forward);
  EXPECT_TRUE(after.snap->fate_by_id[before.snap->servers[0].id].forward);
  const Compiled again = run(load(kBase), ids);
  EXPECT_NE(again.snap->servers[1].id, gone);
}

// As IPVS keeps forwarding a removed destination's connections: the way to the server stays,
// compile after compile, until its connections end.
TEST(Compile, ARemovedServersConnectionsKeepTheirWayUntilTheyEnd) {
  const std::string yaml = kBase + std::string("    timeouts: { tcp: 1200 }\n");
  ServerIds ids;
  const Compiled before = run(load(yaml), ids);
  const uint32_t gone = before.snap->servers[1].id;
  bool connected = true;
  const auto has_connections = [&](uint32_t id) { return id == gone && connected; };
  const Compiled after = run(load(without_22(yaml)), ids, {}, {before.snap.get(), has_connections});
  EXPECT_TRUE(after.snap->fate_by_id[gone].forward);
  EXPECT_EQ(after.snap->fate_by_id[gone].neighbour, before.snap->fate_by_id[gone].neighbour);
  EXPECT_EQ(after.snap->timeouts_of(gone).tcp, 1200u);  // its service's, not the global 900
  const Compiled later = run(load(without_22(yaml)), ids, {}, {after.snap.get(), has_connections});
  EXPECT_TRUE(later.snap->fate_by_id[gone].forward);
  connected = false;
  const Compiled ended = run(load(without_22(yaml)), ids, {}, {later.snap.get(), has_connections});
  EXPECT_FALSE(ended.snap->fate_by_id[gone].forward);
}

// Ids are handed out in turn, so the only way to be offered a kept server's id is that every
// other one was taken: then a new server must get none rather than its connections.
TEST(ServerIds, AnIdConnectionsStillCarryIsNotHandedOut) {
  ServerIds ids;
  const ServerKey kept{"web", *parse_ip("198.18.1.21"), 80};
  const uint32_t kept_id = *ids.id_of(kept);
  ids.retain({});  // its server left the configuration; its connections go on
  const auto carried = [kept_id](uint32_t id) { return id == kept_id; };
  std::set<uint32_t> given;
  for (uint32_t n = 0; n < kMaxRealServers; ++n) {
    const ServerKey k{"web", *parse_ip("198.19.0.1"), static_cast<uint16_t>(n + 1)};
    if (const std::optional<uint32_t> id = ids.id_of(k, carried)) given.insert(*id);
  }
  EXPECT_EQ(given.size(), kMaxRealServers - 1);
  EXPECT_FALSE(given.contains(kept_id));
  // Once its connections have ended the id is free again.
  ids.retain({});
  EXPECT_EQ(ids.id_of(kept, [](uint32_t) { return false; }), kept_id);
}

// The compile asks the workers (Previous::has_connections) before it gives an id out: here
// a fresh id table would hand the removed server's id to the first new server that needs one.
TEST(Compile, ANewServerNeverTakesTheIdOfARemovedServersLiveConnections) {
  ServerIds ids;
  const Compiled before = run(load(kBase), ids);
  const uint32_t gone = before.snap->servers[1].id;
  const auto has_connections = [gone](uint32_t id) { return id == gone; };
  ServerIds fresh;
  const Compiled after = run(load(kBase), fresh, {}, {before.snap.get(), has_connections});
  for (const dp::RealServerEntry& s : after.snap->servers) EXPECT_NE(s.id, gone);
}

TEST(Compile, OnRemoveCutOrAHaltCutsARemovedServersConnections) {
  const auto connected = [](uint32_t) { return true; };
  ServerIds ids;
  const std::string cut = kBase + std::string("    on_remove: cut\n");
  const Compiled before = run(load(cut), ids);
  const uint32_t gone = before.snap->servers[1].id;
  const Compiled after = run(load(without_22(cut)), ids, {}, {before.snap.get(), connected});
  EXPECT_FALSE(after.snap->fate_by_id[gone].forward);

  ServerIds ids2;
  const Config cfg = load(kBase);
  Overrides halted;
  halted[key_of(cfg.virtual_services[0], cfg.virtual_services[0].real_servers[1])] = {
      .state = AdminState::halt, .weight = std::nullopt};
  const Compiled was_halted = run(cfg, ids2, halted);
  const Compiled removed =
      run(load(without_22(kBase)), ids2, {}, {was_halted.snap.get(), connected});
  EXPECT_FALSE(removed.snap->fate_by_id[was_halted.snap->servers[1].id].forward);
}

// What health checks and agents found reaches the workers combined with the operator's
// state (health/combine.h): down takes no new connections and keeps the established ones,
// unless the service cuts them; the agent scales the weight.
TEST(Compile, RunStatesReachTheWorkers) {
  ServerIds ids;
  const Config cfg = load(kBase);
  const config::VirtualService& vs = cfg.virtual_services[0];
  RunStates run;
  run[key_of(vs, vs.real_servers[0])].health = Health::down;
  run[key_of(vs, vs.real_servers[1])].agent_percent = 50;
  const Compiled c = run_with(cfg, ids, run);
  EXPECT_EQ(c.snap->servers[0].state, AdminState::drain);
  EXPECT_FALSE(c.snap->servers[0].available());
  EXPECT_TRUE(c.snap->fate_by_id[c.snap->servers[0].id].forward);
  EXPECT_EQ(c.snap->servers[1].weight, 3);  // floor(6 * 50 / 100)
  EXPECT_EQ(c.snap->services[0].max_weight, 3);  // the down server left wrr

  ServerIds ids2;
  const Config cut = load(kBase + std::string("    on_failure: cut\n"));
  RunStates down;
  down[key_of(cut.virtual_services[0], cut.virtual_services[0].real_servers[0])].health = Health::down;
  const Compiled cutting = run_with(cut, ids2, down);
  EXPECT_FALSE(cutting.snap->fate_by_id[cutting.snap->servers[0].id].forward);
}

// A maglev table is copied from the previous snapshot when its service's servers are the
// same, and built again when they changed: either way it is the table a fresh compile builds.
TEST(Compile, HashTablesAreReusedOnlyWhenTheirServersAreTheSame) {
  std::string yaml = kBase;
  yaml.replace(yaml.find("scheduler: wrr"), 14, "scheduler: maglev");
  const Config cfg = load(yaml);
  const config::VirtualService& vs = cfg.virtual_services[0];
  ServerIds ids;
  const Compiled before = run_with(cfg, ids, {});
  RunStates down;
  down[key_of(vs, vs.real_servers[0])].health = Health::down;
  for (const RunStates& states : {RunStates{}, down}) {
    ServerIds fresh_ids, reused_ids;
    const Compiled fresh = run_with(cfg, fresh_ids, states);
    const Compiled reused = run(cfg, reused_ids, {}, {before.snap.get(), [](uint32_t) { return false; }},
                                std::nullopt, states);
    EXPECT_EQ(reused.snap->tables, fresh.snap->tables);
  }
  ServerIds ids2;
  EXPECT_NE(run_with(cfg, ids2, down).snap->tables, before.snap->tables);
}

TEST(Compile, OverridesReplaceTheFilesStateAndWeight) {
  ServerIds ids;
  const Config cfg = load(kBase);
  Overrides o;
  o[key_of(cfg.virtual_services[0], cfg.virtual_services[0].real_servers[0])] = {
      .state = AdminState::halt, .weight = 9u};
  const Compiled c = run(cfg, ids, o);
  EXPECT_EQ(c.snap->servers[0].state, AdminState::halt);
  EXPECT_EQ(c.snap->servers[0].weight, 9);
  EXPECT_FALSE(c.snap->fate_by_id[c.snap->servers[0].id].forward);
  EXPECT_EQ(c.snap->services[0].max_weight, 6);  // a halted server leaves wrr
}

TEST(Compile, ConnectionsOfEachServerTakeTheirServicesTimeouts) {
  std::string yaml = kBase + std::string(R"(    timeouts: { tcp: 1200 }
    fallback: { address: 198.18.1.99 }
  - { name: b, address: 198.18.0.11, ports: 80, protocol: tcp, mode: nat,
      real_servers: [{ address: 198.18.1.40 }] }
connections: { timeouts: { tcp: 600 } }
)");
  ServerIds ids;
  const Compiled c = run(load(yaml), ids);
  const dp::Snapshot& snap = *c.snap;
  EXPECT_EQ(snap.timeouts.tcp, 600u);
  for (const dp::RealServerEntry& s : snap.servers) {  // a's three, its fallback, then b's
    EXPECT_EQ(snap.timeouts_of(s.id).tcp, s.address == *parse_ip("198.18.1.40") ? 600u : 1200u)
        << format_ip(s.address);
    EXPECT_EQ(snap.timeouts_of(s.id).udp, 300u);
  }
  EXPECT_EQ(snap.servers.size(), 5u);
}

TEST(Compile, RouteToPrefersConnectedThenLongestRoute) {
  Config cfg = load(kBase);
  cfg.routes.push_back(
      {.prefix = *parse_prefix("198.19.5.0/24"), .via = *parse_ip("198.18.0.254"), .origin = {}});
  EXPECT_EQ(route_to(cfg, *parse_ip("198.19.5.5"))->address, *parse_ip("198.18.0.254"));
  EXPECT_EQ(route_to(cfg, *parse_ip("198.19.6.5"))->address, *parse_ip("198.18.1.254"));
  EXPECT_EQ(route_to(cfg, *parse_ip("198.18.0.7"))->interface, 0);
  EXPECT_FALSE(route_to(cfg, *parse_ip("203.0.113.1")));
}

TEST(Compile, WithHaSyncThePairSplitsTheSnatPortsByItsSyncAddresses) {
  Config cfg = load(kBase);
  ServerIds ids;
  const Compiled alone = run(cfg, ids);
  EXPECT_FALSE(alone.snap->connection_events);
  EXPECT_EQ(alone.snap->snat_first_pair, 512u);
  EXPECT_EQ(alone.snap->snat_last_pair, 32767u);
  cfg.ha.sync.emplace();
  cfg.ha.sync->interface = "back";
  cfg.ha.sync->peer = *parse_ip("198.18.1.6");
  const Compiled lower = run(cfg, ids);  // 198.18.1.1 < 198.18.1.6: the lower half
  EXPECT_TRUE(lower.snap->connection_events);
  cfg.ha.sync->peer = *parse_ip("198.18.1.0");
  const Compiled upper = run(cfg, ids);
  EXPECT_EQ(lower.snap->snat_first_pair, 512u);
  EXPECT_EQ(lower.snap->snat_last_pair + 1, upper.snap->snat_first_pair);  // no port shared
  EXPECT_EQ(upper.snap->snat_last_pair, 32767u);
  EXPECT_EQ(lower.snap->snat_last_pair - 512 + 1, 32767 - upper.snap->snat_first_pair + 1);
}

TEST(Compile, StandbyAddressesAndGatewaysReachTheVipTable) {
  Config cfg = load(std::string(kBase) + R"(ha:
  instances:
    - { name: v, interface: front, vrid: 1, addresses: [198.18.0.10, 198.18.1.254] }
)");
  ServerIds ids;
  CompileResult r = compile(
      cfg, 1, ids, {}, [](const NextHop&) { return NeighbourSlot{0, true}; }, {}, {},
      {*parse_ip("198.18.0.10")});
  ASSERT_TRUE(r) << r.error();
  EXPECT_TRUE(r.value()->has_standby);
  EXPECT_EQ(r.value()->vips.kind_of(0xc612000a), dp::AddressKind::standby);
  EXPECT_EQ(r.value()->vips.kind_of(0xc61201fe), dp::AddressKind::gateway);
}

}  // namespace
}  // namespace sluice::control
