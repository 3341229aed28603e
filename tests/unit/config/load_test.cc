// Reading a file: YAML syntax, keys, types, values and the defaults, hostile input.
#include "config/load.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "common/ip_text.h"
#include "tests/unit/config/load_support.h"

#ifndef SLUICE_SOURCE_DIR
#error "build with -DSLUICE_SOURCE_DIR='\"/path/to/sluice\"'"
#endif

namespace sluice::config {
namespace {

const std::string kDemoPath = std::string(SLUICE_SOURCE_DIR) + "/config/examples/demo.yaml";

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// ---- demo.yaml and defaults ----

TEST(LoadDemo, YieldsTheValuesOfTheFile) {
  const LoadResult result = load_file(kDemoPath);
  for (const Error& e : result.errors) ADD_FAILURE() << e.format();
  ASSERT_TRUE(result.config);
  const Config& c = *result.config;

  EXPECT_EQ(c.file, kDemoPath);
  EXPECT_EQ(c.eal.lcores, "0-1");
  EXPECT_EQ(c.eal.memory_mb, 512u);
  EXPECT_TRUE(c.eal.no_huge);
  EXPECT_EQ(c.eal.file_prefix, "sluice-demo");
  EXPECT_EQ(c.eal.extra_args, (Lines{"--no-pci", "--log-level=*:notice"}));
  EXPECT_EQ(c.workers.count, 1u);
  EXPECT_EQ(c.workers.burst, 32u);  // not in the file: the default
  EXPECT_EQ(c.workers.idle_polls, 256u);
  EXPECT_EQ(c.workers.idle_sleep_us, 200u);
  EXPECT_EQ(c.control.socket, "/run/sluice-lab/sluiced.sock");

  ASSERT_EQ(c.interfaces.size(), 2u);
  EXPECT_EQ(c.interfaces[0].name, "front");
  EXPECT_EQ(c.interfaces[0].device, "net_af_packet0,iface=sl-lb0");
  EXPECT_EQ(c.interfaces[0].mtu, 1500u);
  ASSERT_EQ(c.interfaces[0].addresses.size(), 1u);
  EXPECT_EQ(c.interfaces[0].addresses[0].address, ip("198.18.0.1"));
  EXPECT_EQ(c.interfaces[0].addresses[0].length, 24);
  EXPECT_EQ(c.interfaces[0].tap, "sl-tap0");
  EXPECT_EQ(c.interfaces[1].name, "back");
  EXPECT_EQ(c.interfaces[1].tap, "sl-tap1");
  EXPECT_EQ(format_prefix(c.interfaces[1].addresses.at(0)), "198.18.1.1/24");
  EXPECT_TRUE(c.routes.empty());

  EXPECT_EQ(c.connections.capacity, 65536u);
  EXPECT_EQ(c.connections.timeouts.tcp, 900u);
  EXPECT_EQ(c.connections.timeouts.tcp_fin, 120u);
  EXPECT_EQ(c.connections.timeouts.tcp_syn, 60u);
  EXPECT_EQ(c.connections.timeouts.tcp_close, 10u);
  EXPECT_EQ(c.connections.timeouts.udp, 300u);
  EXPECT_EQ(c.neighbours.timeout, 300u);
  EXPECT_EQ(c.log.level, LogLevel::notice);

  ASSERT_EQ(c.virtual_services.size(), 3u);
  const VirtualService& dr = c.virtual_services[0];
  EXPECT_EQ(dr.name, "web-dr");
  EXPECT_EQ(only_listener(dr).address, ip("198.18.0.10"));
  EXPECT_EQ(format_ports(only_listener(dr).ports), "80");
  EXPECT_EQ(only_listener(dr).protocols, std::vector{Protocol::tcp});
  EXPECT_EQ(only_listener(dr).origin.path, "virtual_services[0]");
  EXPECT_EQ(dr.mode, Mode::dr);
  EXPECT_EQ(dr.scheduler, Scheduler::wlc);
  ASSERT_EQ(dr.real_servers.size(), 3u);
  EXPECT_EQ(dr.real_servers[2].address, ip("198.18.0.23"));
  EXPECT_EQ(dr.real_servers[2].port, std::nullopt);
  EXPECT_EQ(dr.real_servers[2].weight, 1u);
  EXPECT_EQ(dr.real_servers[2].state, AdminState::online);

  const VirtualService& nat = c.virtual_services[1];
  EXPECT_EQ(nat.name, "web-nat");
  EXPECT_EQ(nat.mode, Mode::nat);
  EXPECT_EQ(nat.scheduler, Scheduler::rr);
  ASSERT_EQ(nat.real_servers.size(), 3u);
  EXPECT_EQ(nat.real_servers[0].address, ip("198.18.1.21"));
  EXPECT_EQ(nat.real_servers[0].port, 8080);

  const VirtualService& dns = c.virtual_services[2];
  EXPECT_EQ(dns.name, "dns-nat");
  EXPECT_EQ(only_listener(dns).address, ip("198.18.0.11"));
  EXPECT_EQ(format_ports(only_listener(dns).ports), "53");
  EXPECT_EQ(only_listener(dns).protocols, std::vector{Protocol::udp});
  EXPECT_EQ(dns.scheduler, Scheduler::wrr);
  ASSERT_EQ(dns.real_servers.size(), 2u);
  EXPECT_EQ(dns.real_servers[0].weight, 2u);
  EXPECT_EQ(dns.real_servers[1].port, 5353);
}

TEST(LoadDemo, RecordsWhereEachItemWasDefined) {
  const Config c = load_valid(read_text(kDemoPath));
  ASSERT_EQ(c.interfaces.size(), 2u);
  EXPECT_EQ(c.interfaces[1].origin.line, 25);
  EXPECT_EQ(c.interfaces[1].origin.column, 5);
  EXPECT_EQ(c.interfaces[1].origin.path, "interfaces[1]");
  ASSERT_EQ(c.virtual_services.size(), 3u);
  EXPECT_EQ(c.virtual_services[1].origin.line, 50);
  EXPECT_EQ(c.virtual_services[1].origin.column, 5);
  EXPECT_EQ(c.virtual_services[1].origin.path, "virtual_services[1]");
  const Origin& rs = c.virtual_services[2].real_servers.at(1).origin;
  EXPECT_EQ(rs.line, 69);
  EXPECT_EQ(rs.column, 9);
  EXPECT_EQ(rs.path, "virtual_services[2].real_servers[1]");
}

TEST(LoadDefaults, AbsentKeysTakeTheModelDefaults) {
  const Config c = load_valid(R"(interfaces:
  - name: front
    device: net_null0
    addresses: [198.19.0.1/24]
virtual_services:
  - name: web
    address: 198.19.0.10
    ports: 80
    protocol: tcp
    mode: nat
    real_servers: [{ address: 198.19.0.20 }]
)");
  const Config defaults;
  EXPECT_EQ(c.eal.lcores, defaults.eal.lcores);
  EXPECT_EQ(c.eal.memory_mb, defaults.eal.memory_mb);
  EXPECT_EQ(c.eal.no_huge, defaults.eal.no_huge);
  EXPECT_EQ(c.eal.file_prefix, defaults.eal.file_prefix);
  EXPECT_TRUE(c.eal.extra_args.empty());
  EXPECT_EQ(c.workers.count, defaults.workers.count);
  EXPECT_EQ(c.workers.burst, defaults.workers.burst);
  EXPECT_EQ(c.workers.idle_polls, defaults.workers.idle_polls);
  EXPECT_EQ(c.workers.idle_sleep_us, defaults.workers.idle_sleep_us);
  EXPECT_EQ(c.control.socket, "/run/sluice/sluiced.sock");
  EXPECT_EQ(c.connections.capacity, 1u << 20);
  EXPECT_EQ(c.connections.timeouts.tcp, 900u);
  EXPECT_EQ(c.connections.timeouts.udp, 300u);
  EXPECT_EQ(c.neighbours.timeout, 300u);
  EXPECT_TRUE(c.routes.empty());
  ASSERT_EQ(c.interfaces.size(), 1u);
  EXPECT_EQ(c.interfaces[0].mtu, 1500u);
  EXPECT_EQ(c.interfaces[0].tap, "sl-front");
  ASSERT_EQ(c.virtual_services.size(), 1u);
  EXPECT_EQ(format_ports(only_listener(c.virtual_services[0]).ports), "80");
  EXPECT_EQ(c.virtual_services[0].scheduler, Scheduler::wlc);
  const RealServer& rs = c.virtual_services[0].real_servers.at(0);
  EXPECT_EQ(rs.port, std::nullopt);
  EXPECT_EQ(rs.weight, 1u);
  EXPECT_EQ(rs.state, AdminState::online);
}

TEST(LoadDefaults, EmptySectionsAndListsAreAllowed) {
  const Config c = load_valid(kTopology + R"(eal:
workers:
control:
connections:
  timeouts:
neighbours:
virtual_services:
  - name: idle
    address: 198.19.0.10
    ports: [80, 443]
    protocol: tcp
    mode: nat
    real_servers:
  - name: idle-too
    address: 198.19.0.10
    ports: [53]
    protocol: udp
    mode: dr
    real_servers: []
)");
  EXPECT_EQ(c.workers.count, 1u);
  ASSERT_EQ(c.virtual_services.size(), 2u);
  EXPECT_TRUE(c.virtual_services[0].real_servers.empty());
  EXPECT_EQ(format_ports(only_listener(c.virtual_services[0]).ports), "80,443");
}

TEST(LoadDefaults, AnApplianceWithoutServicesIsValid) {
  EXPECT_TRUE(load_valid(kTopology).virtual_services.empty());
  EXPECT_TRUE(load_valid(kTopology + "virtual_services: []\n").virtual_services.empty());
  EXPECT_TRUE(load_valid(kTopology + "virtual_services:\n").virtual_services.empty());
}

TEST(LoadDefaults, ReadsEveryOptionalKey) {
  const Config c = load_valid(R"(eal: { lcores: "1-65", memory_mb: 64, no_huge: false,
       file_prefix: x }
workers: { count: 64, burst: 512, idle_polls: 1, idle_sleep_us: 0 }
control: { socket: /tmp/s }
interfaces:
  - { name: a, device: d, mtu: 9216, addresses: [198.19.0.1/24, 198.19.1.1/32], tap: t-a }
connections: { capacity: 134217728, timeouts: { tcp: 2592000 } }
neighbours: { timeout: 86400 }
virtual_services:
  - name: v.1_x
    address: 198.19.0.10
    ports: [1, 65535]
    protocol: udp
    mode: dr
    scheduler: rr
    real_servers:
      - { address: 198.19.1.1, weight: 0, state: drain }
      - { address: 198.19.0.3, weight: 65535, state: halt }
)");
  EXPECT_EQ(c.eal.lcores, "1-65");
  EXPECT_EQ(c.eal.memory_mb, 64u);
  EXPECT_FALSE(c.eal.no_huge);
  EXPECT_EQ(c.workers.count, 64u);
  EXPECT_EQ(c.workers.burst, 512u);
  EXPECT_EQ(c.workers.idle_sleep_us, 0u);
  EXPECT_EQ(c.control.socket, "/tmp/s");
  EXPECT_EQ(c.interfaces.at(0).mtu, 9216u);
  EXPECT_EQ(c.interfaces.at(0).tap, "t-a");
  EXPECT_EQ(c.interfaces.at(0).addresses.size(), 2u);
  EXPECT_EQ(c.connections.capacity, 1u << 27);
  EXPECT_EQ(c.connections.timeouts.tcp, 2592000u);
  EXPECT_EQ(c.connections.timeouts.tcp_fin, 120u);
  EXPECT_EQ(c.neighbours.timeout, 86400u);
  const VirtualService& vs = c.virtual_services.at(0);
  EXPECT_EQ(format_ports(only_listener(vs).ports), "1,65535");
  EXPECT_EQ(vs.real_servers.at(0).weight, 0u);
  EXPECT_EQ(vs.real_servers.at(0).state, AdminState::drain);
  EXPECT_EQ(vs.real_servers.at(1).weight, 65535u);
  EXPECT_EQ(vs.real_servers.at(1).state, AdminState::halt);
}

TEST(LoadDefaults, AliasesAreResolved) {
  const Config c = load_valid(kTopology + R"(virtual_services:
  - name: a
    address: 198.19.0.10
    ports: [80]
    protocol: tcp
    mode: nat
    real_servers: &pool
      - { address: 198.19.0.20 }
      - { address: 198.19.145.1, port: 8080 }
  - name: b
    address: 198.19.0.11
    ports: [80]
    protocol: tcp
    mode: nat
    real_servers: *pool
)");
  ASSERT_EQ(c.virtual_services.size(), 2u);
  EXPECT_EQ(c.virtual_services[1].real_servers.size(), 2u);
  EXPECT_EQ(c.virtual_services[1].real_servers[1].port, 8080);
}

TEST(ToString, SpellsValuesAsTheYaml) {
  EXPECT_STREQ(to_string(Protocol::tcp), "tcp");
  EXPECT_STREQ(to_string(Protocol::udp), "udp");
  EXPECT_STREQ(to_string(Mode::dr), "dr");
  EXPECT_STREQ(to_string(Mode::nat), "nat");
  EXPECT_STREQ(to_string(Scheduler::rr), "rr");
  EXPECT_STREQ(to_string(Scheduler::wrr), "wrr");
  EXPECT_STREQ(to_string(Scheduler::wlc), "wlc");
  EXPECT_STREQ(to_string(AdminState::online), "online");
  EXPECT_STREQ(to_string(AdminState::drain), "drain");
  EXPECT_STREQ(to_string(AdminState::halt), "halt");
}

// ---- error format ----

TEST(ErrorFormat, OmitsWhatIsUnknown) {
  EXPECT_EQ((Error{"f.yaml", 3, 7, "workers.count", "expected an integer"}).format(),
            "f.yaml:3:7: workers.count: expected an integer");
  EXPECT_EQ((Error{"f.yaml", 2, 1, "", "illegal map value"}).format(),
            "f.yaml:2:1: illegal map value");
  EXPECT_EQ((Error{"f.yaml", 0, 0, "", "cannot open: No such file or directory"}).format(),
            "f.yaml: cannot open: No such file or directory");
}

// ---- files and YAML syntax ----

TEST(LoadFile, ReportsAFileThatCannotBeOpened) {
  const LoadResult result = load_file("/nonexistent/sluice.yaml");
  EXPECT_FALSE(result.config);
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0].format(),
            "/nonexistent/sluice.yaml: cannot open: No such file or directory");
}

TEST(LoadFile, ReportsADirectory) {
  const LoadResult result = load_file("/");
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0].format(), "/: cannot read: Is a directory");
}

TEST(LoadFile, RefusesAHugeFileWithoutReadingItAll) {
  // /dev/zero never ends: the loader must stop at its size limit.
  const LoadResult result = load_file("/dev/zero");
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0].format(), "/dev/zero: too large: more than 1048576 bytes");
}

TEST(LoadSyntax, UnclosedBracketGivesOneErrorAtTheParserPosition) {
  EXPECT_EQ(errors_of("interfaces:\n  - name: [front\n    device: x\n"),
            (Lines{"test.yaml:3:11: end of sequence flow not found"}));
}

TEST(LoadSyntax, TabIndentationIsAnError) {
  EXPECT_EQ(errors_of("workers:\n\tcount: 1\n"), (Lines{"test.yaml:2:7: illegal map value"}));
}

TEST(LoadSyntax, EmptyFileIsAnError) {
  const Lines expected{"test.yaml: empty configuration: expected a mapping"};
  EXPECT_EQ(errors_of(""), expected);
  EXPECT_EQ(errors_of("# only a comment\n\n"), expected);
  EXPECT_EQ(errors_of("---\n"), expected);
  EXPECT_EQ(errors_of("~\n"), expected);
}

TEST(LoadSyntax, TopLevelMustBeAMapping) {
  EXPECT_EQ(errors_of("hello\n"), (Lines{"test.yaml:1:1: expected a mapping"}));
  EXPECT_EQ(errors_of("42"), (Lines{"test.yaml:1:1: expected a mapping"}));
  EXPECT_EQ(errors_of("- a\n- b\n"), (Lines{"test.yaml:1:1: expected a mapping"}));
}

TEST(LoadSyntax, OnlyOneDocumentIsAllowed) {
  EXPECT_EQ(errors_of(kTopology + "---\nworkers: { count: 2 }\n"),
            (Lines{"test.yaml:10:1: expected a single YAML document"}));
  EXPECT_EQ(errors_of(kTopology + "---\nworkers: [\n"),
            (Lines{"test.yaml:12:1: end of sequence flow not found"}));
}

TEST(LoadSyntax, StrayCommaBeforeTheFirstKeyIsReportedNotLoopedOn) {
  // yaml-cpp's LoadAll() allocates forever on this (upstream issue 1040).
  EXPECT_EQ(errors_of("# comment\n, x\n" + kTopology),
            (Lines{"test.yaml:2:1: expected a mapping"}));
  EXPECT_EQ(errors_of(","), (Lines{"test.yaml:1:1: expected a mapping"}));
}

TEST(LoadSyntax, TruncatedDemoNeverCrashesAndErrorsMatchTheResult) {
  const std::string demo = read_text(kDemoPath);
  ASSERT_GT(demo.size(), 1000u);
  EXPECT_FALSE(errors_of(demo.substr(0, demo.size() / 2)).empty());
  // Every cut: the loader must either accept the prefix or explain why, never both.
  for (size_t cut = 0; cut < demo.size(); ++cut) {
    const LoadResult result = load(demo.substr(0, cut));
    ASSERT_EQ(result.config.has_value(), result.errors.empty()) << "cut at " << cut;
    for (const Error& e : result.errors) {
      ASSERT_FALSE(e.message.empty()) << "cut at " << cut;
      ASSERT_EQ(e.file, "test.yaml");
    }
  }
}

TEST(LoadSyntax, TruncatedInsideAFlowMappingPointsAtTheEnd) {
  const std::string demo = read_text(kDemoPath);
  const size_t cut = demo.find("{ address: 198.18.0.22") + 5;
  const Lines errors = errors_of(demo.substr(0, cut));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].rfind("test.yaml:47:", 0), 0u) << errors[0];
}

TEST(LoadHostile, TenMegabytesOfJunkIsRefusedBySize) {
  std::mt19937 random(42);
  std::string junk(10 << 20, '\0');
  for (char& c : junk) c = static_cast<char>(random());
  EXPECT_EQ(errors_of(junk), (Lines{"test.yaml: too large: more than 1048576 bytes"}));
}

TEST(LoadHostile, BinaryJunkUnderTheLimitIsASyntaxError) {
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    std::mt19937 random(seed);
    std::string junk(64 << 10, '\0');
    for (char& c : junk) c = static_cast<char>(random());
    const LoadResult result = load(junk);
    EXPECT_FALSE(result.config) << "seed " << seed;
    EXPECT_FALSE(result.errors.empty()) << "seed " << seed;
  }
}

TEST(LoadHostile, LargestAllowedFileLoadsQuickly) {
  // A flow list of 1 MiB is yaml-cpp's worst case per byte: about 500 000 nodes.
  std::string yaml = "interfaces: [1";
  while (yaml.size() + 3 <= (1 << 20)) yaml += ",1";
  yaml += "]";
  const size_t items = static_cast<size_t>(std::count(yaml.begin(), yaml.end(), '1'));
  const auto start = std::chrono::steady_clock::now();
  const LoadResult result = load(yaml);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
  ASSERT_EQ(result.errors.size(), 1001u);  // capped, then a note
  EXPECT_EQ(result.errors[0].format(), "test.yaml:1:14: interfaces[0]: expected a mapping");
  EXPECT_EQ(result.errors.back().format(),
            "test.yaml: and " + std::to_string(items - 1000) + " more errors");
}

TEST(LoadHostile, DeepNestingIsRefusedSayingWhy) {
  for (const char* open : {"[", "{"}) {
    const Lines errors = errors_of("workers: " + std::string(5000, *open));
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0], "test.yaml:1:1: nested too deeply: more than 499 levels of lists and "
                         "mappings");
  }
  EXPECT_FALSE(errors_of("workers: " + std::string(100000, '[')).empty());
  EXPECT_FALSE(errors_of("workers: " + std::string(5000, '[') + std::string(5000, ']')).empty());
  EXPECT_FALSE(errors_of("workers: " + std::string(5000, '{')).empty());
  std::string nested;
  for (int depth = 0; depth < 3000; ++depth) nested += std::string(depth, ' ') + "a:\n";
  EXPECT_FALSE(errors_of(nested).empty());
}

TEST(LoadHostile, CyclicAliasIsReportedNotFollowed) {
  // yaml-cpp builds a real cycle for an alias inside its own anchor.
  EXPECT_EQ(errors_of("interfaces: &a [*a]\n"),
            (Lines{"test.yaml:1:13: interfaces[0]: expected a mapping"}));
}

TEST(LoadHostile, AliasAmplificationIsBounded) {
  // 10 000 uses of a service with 1 000 servers would be 10 million servers.
  std::string yaml = kTopology + R"(virtual_services:
  - &s
    name: a
    address: 198.19.0.10
    ports: [80]
    protocol: tcp
    mode: nat
    real_servers:
)";
  for (int i = 0; i < 1000; ++i) {
    yaml += "      - { address: 198.19.0.20, port: " + std::to_string(i + 1) + " }\n";
  }
  for (int i = 0; i < 10000; ++i) yaml += "  - *s\n";
  const auto start = std::chrono::steady_clock::now();
  const LoadResult result = load(yaml);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(60));
  ASSERT_FALSE(result.config);
  ASSERT_FALSE(result.errors.empty());
  EXPECT_EQ(result.errors[0].format(),
            "test.yaml: too many values: more than 1000000 list items and keys "
            "(an alias counts each time it is used)");
}

TEST(LoadHostile, ControlCharactersAndLongTextAreEscapedInMessages) {
  const Lines errors = errors_of(kTopology + "\"a\\tb\\u0001" + std::string(100, 'x') + "\": 1\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], "test.yaml:10:1: unknown key 'a\\x09b\\x01" + std::string(60, 'x') + "...'");
}

// ---- structure: keys and types ----

TEST(LoadKeys, DuplicateKeysAreReportedAtTheSecondOne) {
  EXPECT_EQ(errors_of(R"(workers:
  count: 1
  count: 2
interfaces:
  - { name: a, device: d, addresses: [198.19.0.1/24], name: b }
workers: {}
)"),
            (Lines{"test.yaml:3:3: workers: duplicate key 'count'",
                   "test.yaml:5:55: interfaces[0]: duplicate key 'name'",
                   "test.yaml:6:1: duplicate key 'workers'"}));
}

TEST(LoadKeys, UnknownKeysAreReportedAtEveryLevel) {
  EXPECT_EQ(errors_of(R"(bogus: 1
eal: { lcore: "0" }
workers: { counts: 1 }
control: { sock: /x }
interfaces:
  - { name: a, device: d, addresses: [198.19.0.1/24], speed: 10 }
routes:
  - { prefix: 198.19.144.0/20, via: 198.19.0.254, metric: 1 }
connections: { size: 1, timeouts: { tcp_wait: 1 } }
neighbours: { ttl: 1 }
virtual_services:
  - name: v
    address: 198.19.0.10
    ports: [80]
    protocol: tcp
    mode: nat
    stickiness: 300
    real_servers:
      - { address: 198.19.0.20, name: x }
)"),
            (Lines{"test.yaml:1:1: unknown key 'bogus'", "test.yaml:2:8: eal: unknown key 'lcore'",
                   "test.yaml:3:12: workers: unknown key 'counts'",
                   "test.yaml:4:12: control: unknown key 'sock'",
                   "test.yaml:6:55: interfaces[0]: unknown key 'speed'",
                   "test.yaml:8:51: routes[0]: unknown key 'metric'",
                   "test.yaml:9:16: connections: unknown key 'size'",
                   "test.yaml:9:37: connections.timeouts: unknown key 'tcp_wait'",
                   "test.yaml:10:15: neighbours: unknown key 'ttl'",
                   "test.yaml:17:5: virtual_services[0]: unknown key 'stickiness'",
                   "test.yaml:19:33: virtual_services[0].real_servers[0]: unknown key 'name'"}));
}

TEST(LoadKeys, KeysMustBeNames) {
  EXPECT_EQ(errors_of(kTopology + "? [a, b]\n: 1\n"),
            (Lines{"test.yaml:10:3: expected a key name"}));
}

TEST(LoadKeys, RequiredKeysAreReportedAtTheirMapping) {
  EXPECT_EQ(errors_of("workers: {}\n"),
            (Lines{"test.yaml:1:1: missing required key 'interfaces'"}));
  EXPECT_EQ(errors_of(R"(interfaces:
  - { mtu: 1500 }
routes:
  - { via: 198.19.0.2 }
virtual_services:
  - { scheduler: rr }
  - name: v
    address: 198.19.0.10
    ports: [80]
    protocol: tcp
    mode: nat
    real_servers: [{ port: 80 }]
)"),
            (Lines{"test.yaml:2:5: interfaces[0]: missing required key 'name'",
                   "test.yaml:2:5: interfaces[0]: missing required key 'device'",
                   "test.yaml:2:5: interfaces[0]: missing required key 'addresses'",
                   "test.yaml:4:5: routes[0]: missing required key 'prefix'",
                   "test.yaml:6:5: virtual_services[0]: missing required key 'name'",
                   "test.yaml:6:5: virtual_services[0]: missing required key 'address'",
                   "test.yaml:6:5: virtual_services[0]: missing required key 'ports'",
                   "test.yaml:6:5: virtual_services[0]: missing required key 'protocol'",
                   "test.yaml:6:5: virtual_services[0]: missing required key 'mode'",
                   "test.yaml:6:5: virtual_services[0]: missing required key 'real_servers'",
                   "test.yaml:12:20: virtual_services[1].real_servers[0]: "
                   "missing required key 'address'"}));
}

TEST(LoadKeys, ListsThatMustNotBeEmpty) {
  EXPECT_EQ(errors_of("interfaces: []\n"),
            (Lines{"test.yaml:1:13: interfaces: expected at least one interface"}));
  EXPECT_EQ(errors_of("interfaces:\n"),
            (Lines{"test.yaml:1:1: interfaces: expected at least one interface"}));
  EXPECT_EQ(errors_of("interfaces:\n  - { name: a, device: d, addresses: [] }\n"),
            (Lines{"test.yaml:2:38: interfaces[0].addresses: expected at least one address"}));
  EXPECT_EQ(errors_of(kTopology + "virtual_services:\n  - { name: v, address: 198.19.0.10, "
                                  "ports: [], protocol: tcp, mode: nat, real_servers: [] }\n"),
            (Lines{"test.yaml:11:45: virtual_services[0].ports: expected at least one port"}));
}

TEST(LoadTypes, WrongTypesNameWhatWasExpected) {
  EXPECT_EQ(errors_of(R"(eal:
  lcores: [0, 1]
  no_huge: yes
  extra_args: --no-pci
workers: [1]
control: { socket: { path: /x } }
interfaces: { name: a }
routes: 198.19.0.0/15
virtual_services:
  - name: v
    address: [198.19.0.10]
    ports: { http: 80 }
    protocol: [tcp]
    mode: nat
    real_servers: { address: 198.19.0.20 }
  - just-a-string
)"),
            (Lines{"test.yaml:2:11: eal.lcores: expected a string",
                   "test.yaml:3:12: eal.no_huge: expected true or false",
                   "test.yaml:4:15: eal.extra_args: expected a list",
                   "test.yaml:5:10: workers: expected a mapping",
                   "test.yaml:6:20: control.socket: expected a string",
                   "test.yaml:7:13: interfaces: expected a list",
                   "test.yaml:8:9: routes: expected a list",
                   "test.yaml:11:14: virtual_services[0].address: expected an IP address",
                   "test.yaml:12:12: virtual_services[0].ports: "
                   "expected a port, a range such as 5070-5073, a list of them or all",
                   "test.yaml:13:15: virtual_services[0].protocol: expected tcp, udp or both",
                   "test.yaml:15:19: virtual_services[0].real_servers: expected a list",
                   "test.yaml:16:5: virtual_services[1]: expected a mapping"}));
}

TEST(LoadTypes, QuotedNumbersAndBooleansAreStrings) {
  EXPECT_EQ(errors_of(kTopology + "workers: { count: \"2\" }\neal: { no_huge: 'true' }\n"),
            (Lines{"test.yaml:10:19: workers.count: expected an integer, not a quoted string",
                   "test.yaml:11:17: eal.no_huge: expected true or false, not a quoted string"}));
}

TEST(LoadTypes, EmptyValueIsReportedAtItsKey) {
  EXPECT_EQ(errors_of(kTopology + "workers:\n  count:\n  burst: 8\n"),
            (Lines{"test.yaml:11:3: workers.count: expected an integer"}));
}

TEST(LoadTypes, StringsMayLookLikeNumbers) {
  const Config c = load_valid(R"(eal: { file_prefix: 123 }
interfaces: [{ name: 1, device: 0000:01:00.0, addresses: [198.19.0.1/24] }]
)");
  EXPECT_EQ(c.eal.file_prefix, "123");
  EXPECT_EQ(c.interfaces.at(0).name, "1");
  EXPECT_EQ(c.interfaces.at(0).device, "0000:01:00.0");
}

// Every integer key of the schema, with a valid value, in one file. Each @key@ stands alone on
// its line, so the column of the '@' is the column of the value.
const std::string kEveryInteger = R"(eal:
  lcores: "0-64"
  memory_mb: @memory_mb@
workers:
  count: @count@
  burst: @burst@
  idle_polls: @idle_polls@
  idle_sleep_us: @idle_sleep_us@
interfaces:
  - name: front
    device: net_null0
    mtu: @mtu@
    addresses: [198.19.0.1/24]
connections:
  capacity: @capacity@
  timeouts:
    tcp: @tcp@
    tcp_fin: @tcp_fin@
    tcp_syn: @tcp_syn@
    tcp_close: @tcp_close@
    udp: @udp@
neighbours:
  timeout: @timeout@
virtual_services:
  - name: web
    address: 198.19.0.10
    ports: [@ports@]
    protocol: tcp
    mode: nat
    real_servers:
      - address: 198.19.0.20
        port: @port@
        weight: @weight@
)";

struct IntegerKey {
  std::string token;
  std::string path;
  uint32_t min;
  uint32_t max;
  std::string valid;
  std::string noun = "an integer";
};

const std::vector<IntegerKey> kIntegerKeys = {
    {"memory_mb", "eal.memory_mb", 64, 1048576, "512"},
    {"count", "workers.count", 1, 64, "1"},
    {"burst", "workers.burst", 1, 512, "32"},
    {"idle_polls", "workers.idle_polls", 1, 1000000, "256"},
    {"idle_sleep_us", "workers.idle_sleep_us", 0, 1000000, "100"},
    {"mtu", "interfaces[0].mtu", 576, 9216, "1500"},
    {"capacity", "connections.capacity", 1, 134217728, "1024"},
    {"tcp", "connections.timeouts.tcp", 1, 2592000, "900"},
    {"tcp_fin", "connections.timeouts.tcp_fin", 1, 2592000, "120"},
    {"tcp_syn", "connections.timeouts.tcp_syn", 1, 2592000, "60"},
    {"tcp_close", "connections.timeouts.tcp_close", 1, 2592000, "10"},
    {"udp", "connections.timeouts.udp", 1, 2592000, "300"},
    {"timeout", "neighbours.timeout", 1, 86400, "300"},
    {"ports", "virtual_services[0].ports[0]", 1, 65535, "80", "a port number"},
    {"port", "virtual_services[0].real_servers[0].port", 1, 65535, "8080", "a port number"},
    {"weight", "virtual_services[0].real_servers[0].weight", 0, 65535, "1"},
};

// kEveryInteger with `value` for `key` and valid values elsewhere.
std::string with_integer(const IntegerKey& key, const std::string& value) {
  std::string yaml = kEveryInteger;
  for (const IntegerKey& other : kIntegerKeys) {
    const std::string token = "@" + other.token + "@";
    yaml.replace(yaml.find(token), token.size(), other.token == key.token ? value : other.valid);
  }
  return yaml;
}

std::string position_of(const IntegerKey& key) {
  const size_t at = kEveryInteger.find("@" + key.token + "@");
  const size_t line_start = kEveryInteger.rfind('\n', at) + 1;
  const long line = std::count(kEveryInteger.begin(), kEveryInteger.begin() + at, '\n') + 1;
  return std::to_string(line) + ":" + std::to_string(at - line_start + 1);
}

TEST(LoadIntegers, BoundsAreAccepted) {
  for (const IntegerKey& key : kIntegerKeys) {
    SCOPED_TRACE(key.path);
    EXPECT_EQ(errors_of(with_integer(key, std::to_string(key.min))), Lines{});
    EXPECT_EQ(errors_of(with_integer(key, std::to_string(key.max))), Lines{});
  }
}

TEST(LoadIntegers, EveryKeyRejectsBadValuesAtTheirPosition) {
  for (const IntegerKey& key : kIntegerKeys) {
    const std::string where = "test.yaml:" + position_of(key) + ": " + key.path + ": ";
    const std::string range =
        " (expected " + std::to_string(key.min) + ".." + std::to_string(key.max) + ")";
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"-1", "out of range: -1" + range},
        {std::to_string(uint64_t{key.max} + 1),
         "out of range: " + std::to_string(uint64_t{key.max} + 1) + range},
        {"4294967296", "out of range: 4294967296" + range},
        {"4294967297", "out of range: 4294967297" + range},
        {"99999999999999999999999", "out of range: 99999999999999999999999" + range},
        {"1.5", "expected " + key.noun},
        {"1e3", "expected " + key.noun},
        {"0x10", "expected " + key.noun},
        {"+1", "expected " + key.noun},
        {"1_000", "expected " + key.noun},
        {"12abc", "expected " + key.noun},
        {"true", "expected " + key.noun},
        {".inf", "expected " + key.noun},
        {"[1]", "expected " + key.noun},
        {"{a: 1}", "expected " + key.noun},
        {"'80'", "expected " + key.noun + ", not a quoted string"},
        {"010", "leading zeros are not allowed: '010'"},
    };
    for (const auto& [value, message] : cases) {
      SCOPED_TRACE(key.path + " = " + value);
      EXPECT_EQ(errors_of(with_integer(key, value)), Lines{where + message});
    }
    if (key.min > 0) {
      SCOPED_TRACE(key.path + " = min - 1");
      EXPECT_EQ(errors_of(with_integer(key, std::to_string(key.min - 1))),
                Lines{where + "out of range: " + std::to_string(key.min - 1) + range});
    }
  }
}

// ---- enums and strings ----

TEST(LoadEnums, UnknownValuesListTheAcceptedOnes) {
  EXPECT_EQ(errors_of(kTopology + R"(virtual_services:
  - name: v
    address: 198.19.0.10
    ports: [80]
    protocol: sctp
    mode: foo
    scheduler: lblc
    real_servers:
      - { address: 198.19.0.20, state: down }
      - { address: 198.19.0.21, state: Online }
)"),
            (Lines{"test.yaml:14:15: virtual_services[0].protocol: "
                   "unknown protocol 'sctp' (expected tcp, udp or both)",
                   "test.yaml:15:11: virtual_services[0].mode: "
                   "unknown mode 'foo' (expected dr, nat, snat or tun)",
                   "test.yaml:16:16: virtual_services[0].scheduler: "
                   "unknown scheduler 'lblc' (expected rr, wrr, lc, wlc, sh, dh, first or "
                   "maglev)",
                   "test.yaml:18:40: virtual_services[0].real_servers[0].state: "
                   "unknown state 'down' (expected online, drain or halt)",
                   "test.yaml:19:40: virtual_services[0].real_servers[1].state: "
                   "unknown state 'Online' (expected online, drain or halt)"}));
}

TEST(LoadStrings, NamesAddressesAndPaths) {
  EXPECT_EQ(errors_of(R"(eal: { lcores: "", file_prefix: "" }
control: { socket: run/sluice.sock }
interfaces:
  - { name: "fr ont", device: "", addresses: [198.19.0.1/24] }
  - { name: abcdefghijklmnop, device: d1, addresses: [198.19.1.300/24] }
  - { name: abcdefghijklm, device: d2, addresses: [198.19.2.1/0] }
  - { name: b, device: d3, addresses: [198.19.3.1/24], tap: abcdefghijklmnop }
  - { name: c, device: d4, addresses: [198.19.4.1/24], tap: "t/1" }
virtual_services:
  - { name: "web site", address: 198.19.0.256, ports: [80], protocol: tcp, mode: nat,
      real_servers: [] }
)"),
            (Lines{"test.yaml:1:16: eal.lcores: must not be empty",
                   "test.yaml:1:33: eal.file_prefix: invalid file prefix '': use 1 to 48 "
                   "letters, digits, '.', '-' and '_'",
                   "test.yaml:2:20: control.socket: expected an absolute path",
                   "test.yaml:4:13: interfaces[0].name: invalid interface name 'fr ont': "
                   "use 1 to 15 letters, digits, '-' and '_'",
                   "test.yaml:4:31: interfaces[0].device: must not be empty",
                   "test.yaml:5:13: interfaces[1].name: interface name 'abcdefghijklmnop' is "
                   "longer than 15 characters",
                   "test.yaml:5:55: interfaces[1].addresses[0]: invalid prefix '198.19.1.300/24' "
                   "(expected a.b.c.d/length or IPv6/length)",
                   "test.yaml:6:13: interfaces[2].name: name 'abcdefghijklm' is too long for "
                   "the default TAP name 'sl-abcdefghijklm' (at most 15 characters); shorten it "
                   "or set tap",
                   "test.yaml:6:52: interfaces[2].addresses[0]: prefix length 0 is out of range "
                   "(expected 1..32)",
                   "test.yaml:7:61: interfaces[3].tap: TAP name 'abcdefghijklmnop' is longer "
                   "than 15 characters",
                   "test.yaml:8:61: interfaces[4].tap: invalid TAP name 't/1': use 1 to 15 "
                   "letters, digits, '-' and '_'",
                   "test.yaml:10:13: virtual_services[0].name: invalid virtual service name "
                   "'web site': use 1 to 64 letters, digits, '.', '-' and '_'",
                   "test.yaml:10:34: virtual_services[0].address: invalid IP address "
                   "'198.19.0.256'"}));
}

TEST(LoadStrings, SocketPathMustFitAUnixAddress) {
  const std::string path = '/' + std::string(107, 's');
  EXPECT_EQ(errors_of(kTopology + "control: { socket: " + path + " }\n"),
            (Lines{"test.yaml:10:20: control.socket: path is longer than 107 bytes, the limit "
                   "of a unix socket address"}));
  const std::string longest = '/' + std::string(106, 's');
  EXPECT_EQ(load_valid(kTopology + "control: { socket: " + longest + " }\n").control.socket,
            longest);
}

// What reaches EAL or the kernel as a C string must survive the trip: checked by --check,
// not found out at start.
struct CStringCase {
  std::string yaml;  // a whole file
  std::string error;
};

void PrintTo(const CStringCase& c, std::ostream* os) { *os << c.error; }

class LoadCStrings : public testing::TestWithParam<CStringCase> {};

TEST_P(LoadCStrings, AreRefusedAtTheirKey) {
  EXPECT_EQ(errors_of(GetParam().yaml), (Lines{GetParam().error}));
}

// `count` comma-separated copies of `item`.
std::string repeated(int count, const std::string& item) {
  std::string out;
  for (int i = 0; i < count; ++i) out += (i == 0 ? "" : ",") + item;
  return out;
}

// One interface on line 1; the case's own line is line 2.
const std::string kOneInterface =
    "interfaces: [{ name: a, device: net_null0, addresses: [198.19.0.1/24] }]\n";
// An interface with `device` (at column 33 of line 1).
std::string with_device(const std::string& device) {
  return "interfaces: [{ name: a, device: \"" + device + "\", addresses: [198.19.0.1/24] }]\n";
}
const std::string kHuge(500'000, 'x');
const std::string kPrefixRule = "use 1 to 48 letters, digits, '.', '-' and '_'";

INSTANTIATE_TEST_SUITE_P(
    Limits, LoadCStrings,
    testing::Values(
        CStringCase{kOneInterface + "control: { socket: \"/run/a\\0b\" }\n",
                    "test.yaml:2:20: control.socket: contains a NUL byte: '/run/a\\x00b'"},
        CStringCase{kOneInterface + "eal: { file_prefix: \"lb\\0\" }\n",
                    "test.yaml:2:21: eal.file_prefix: contains a NUL byte: 'lb\\x00'"},
        CStringCase{kOneInterface + "eal: { file_prefix: " + std::string(49, 'p') + " }\n",
                    "test.yaml:2:21: eal.file_prefix: file prefix '" + std::string(49, 'p') +
                        "' is longer than 48 characters"},
        CStringCase{kOneInterface + "eal: { file_prefix: " + kHuge + " }\n",
                    "test.yaml:2:21: eal.file_prefix: file prefix '" + std::string(64, 'x') +
                        "...' is longer than 48 characters"},
        CStringCase{kOneInterface + "eal: { file_prefix: a/b }\n",
                    "test.yaml:2:21: eal.file_prefix: invalid file prefix 'a/b': " + kPrefixRule},
        CStringCase{kOneInterface + "eal: { file_prefix: \"a%d\" }\n",
                    "test.yaml:2:21: eal.file_prefix: invalid file prefix 'a%d': " + kPrefixRule},
        CStringCase{kOneInterface + "eal: { file_prefix: .. }\n",
                    "test.yaml:2:21: eal.file_prefix: file prefix '..' names a directory above "
                    "DPDK's own"},
        CStringCase{kOneInterface + "eal: { extra_args: [--no-pci, " + kHuge + "] }\n",
                    "test.yaml:2:31: eal.extra_args[1]: argument is longer than 4095 bytes"},
        CStringCase{kOneInterface + "eal: { extra_args: [" + repeated(65, "--no-pci") + "] }\n",
                    "test.yaml:2:20: eal.extra_args: 65 arguments, more than 64"},
        CStringCase{with_device(kHuge),
                    "test.yaml:1:33: interfaces[0].device: device is longer than 1024 bytes"},
        CStringCase{with_device("net_" + std::string(60, 'n') + ",iface=x"),
                    "test.yaml:1:33: interfaces[0].device: device name 'net_" +
                        std::string(60, 'n') + "' is longer than 63 bytes (DPDK's limit)"},
        CStringCase{with_device("net_null0," + repeated(33, "k=v")),
                    "test.yaml:1:33: interfaces[0].device: device has 33 arguments, more than 32 "
                    "(DPDK's limit)"}));

// sluiced checks the runtime directory of eal.file_prefix and sizes its workers by
// eal.lcores: extra_args may not set them (or the others sluice writes) behind its back.
TEST(LoadEal, ExtraArgsMayNotRepeatTheOptionsSluiceSetsFromKeys) {
  for (const auto& [arg, key] : std::initializer_list<std::pair<const char*, const char*>>{
           {"--lcores=0-3", "eal.lcores"},  {"-l", "eal.lcores"},
           {"-l0-3", "eal.lcores"},         {"-c0x3", "eal.lcores"},
           {"--file-prefix", "eal.file_prefix"}, {"--file-prefix=x", "eal.file_prefix"},
           {"-m1024", "eal.memory_mb"},     {"--socket-mem=512", "eal.memory_mb"},
           {"--no-huge", "eal.no_huge"}}) {
    SCOPED_TRACE(arg);
    const Lines errors = errors_of(kOneInterface + "eal: { extra_args: [--no-pci, \"" + arg + "\"] }\n");
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_NE(errors[0].find("eal.extra_args[1]: '" + std::string(arg) + "': sluice sets "),
              std::string::npos)
        << errors[0];
    EXPECT_NE(errors[0].find(std::string(" from ") + key + "; set that key instead"),
              std::string::npos)
        << errors[0];
  }
  const Config c = load_valid(kOneInterface +
                              "eal: { extra_args: [--no-pci, \"--log-level=*:info\", "
                              "--main-lcore=0, --huge-dir, /mnt/huge, --iova-mode=va] }\n");
  EXPECT_EQ(c.eal.extra_args.size(), 6u);
}

TEST(LoadCStrings, APortIsNamedByItsDeviceWithoutArguments) {
  EXPECT_EQ(port_name_of("net_af_packet0,iface=veth0"), "net_af_packet0");
  EXPECT_EQ(port_name_of("0000:03:00.0"), "0000:03:00.0");
}

TEST(LoadCStrings, TheLongestAllowedValuesPass) {
  const std::string device = "net_" + std::string(59, 'n') + "," + repeated(32, "k=v");
  const Config c = load_valid(with_device(device) + "eal: { file_prefix: " +
                              std::string(48, 'p') + ", extra_args: [" + std::string(4095, 'a') +
                              "," + repeated(63, "--no-pci") + "] }\n");
  EXPECT_EQ(c.eal.file_prefix, std::string(48, 'p'));
  EXPECT_EQ(c.eal.extra_args.size(), 64u);
  EXPECT_EQ(c.interfaces.at(0).device, device);
}

// A firewall-mark style group: 9 lines from line 11.
const std::string kGroup = R"(  - name: web
    listeners:
      - { address: 198.19.0.20, ports: [80, 443], protocol: tcp }
      - address: 198.19.0.21
        ports: all
        except_ports: 22
        protocol: both
    mode: nat
    real_servers: [{ address: 198.19.145.1 }]
)";

TEST(LoadListeners, OneServiceGroupsSeveralAddressesAndPorts) {
  const Config c = load_valid(kTopology + "virtual_services:\n" + kGroup);
  const VirtualService& vs = c.virtual_services.at(0);
  ASSERT_EQ(vs.listeners.size(), 2u);
  EXPECT_EQ(vs.listeners[0].address, ip("198.19.0.20"));
  EXPECT_EQ(format_ports(vs.listeners[0].ports), "80,443");
  EXPECT_EQ(vs.listeners[0].protocols, std::vector{Protocol::tcp});
  EXPECT_EQ(vs.listeners[1].address, ip("198.19.0.21"));
  EXPECT_EQ(format_ports(vs.listeners[1].ports), "all except 22");
  EXPECT_STREQ(protocols_name(vs.listeners[1].protocols), "both");
  EXPECT_EQ(vs.listeners[1].origin.path, "virtual_services[0].listeners[1]");
  EXPECT_EQ(vs.listeners[1].origin.line, 14);
  EXPECT_EQ(vs.real_servers.size(), 1u);
}

TEST(LoadListeners, OwnKeysAndListenersDoNotMix) {
  EXPECT_EQ(errors_of(kTopology + R"(virtual_services:
  - name: web
    address: 198.19.0.20
    protocol: tcp
    listeners:
      - { address: 198.19.0.21, ports: 80 }
    mode: nat
    real_servers: []
  - name: none
    listeners: []
    mode: nat
    real_servers: []
)"),
            (Lines{"test.yaml:12:14: virtual_services[0].address: not allowed with listeners: "
                   "give address in each listener",
                   "test.yaml:13:15: virtual_services[0].protocol: not allowed with listeners: "
                   "give protocol in each listener",
                   "test.yaml:15:9: virtual_services[0].listeners[0]: missing required key "
                   "'protocol'",
                   "test.yaml:19:16: virtual_services[1].listeners: expected at least one "
                   "listener"}));
}

// ---- all errors, and no cascades ----

TEST(LoadErrors, IndependentErrorsAreAllReportedInFileOrder) {
  const LoadResult result = load(R"(virtual_services:
  - name: v
    address: 198.19.0.10
    ports: [80]
    protocol: tcp
    mode: nat
    scheduler: fastest
    real_servers: []
workers:
  threads: 4
interfaces:
  - { name: a, device: d, mtu: 100000, addresses: [198.19.0.1/24] }
)");
  EXPECT_FALSE(result.config);
  ASSERT_EQ(result.errors.size(), 3u);
  EXPECT_EQ(result.errors[0].line, 7);
  EXPECT_EQ(result.errors[0].column, 16);
  EXPECT_EQ(result.errors[0].path, "virtual_services[0].scheduler");
  EXPECT_EQ(result.errors[0].message,
            "unknown scheduler 'fastest' (expected rr, wrr, lc, wlc, sh, dh, first or maglev)");
  EXPECT_EQ(result.errors[1].line, 10);
  EXPECT_EQ(result.errors[1].column, 3);
  EXPECT_EQ(result.errors[1].path, "workers");
  EXPECT_EQ(result.errors[1].message, "unknown key 'threads'");
  EXPECT_EQ(result.errors[2].line, 12);
  EXPECT_EQ(result.errors[2].column, 32);
  EXPECT_EQ(result.errors[2].path, "interfaces[0].mtu");
  EXPECT_EQ(result.errors[2].message, "out of range: 100000 (expected 576..9216)");
  EXPECT_EQ(result.errors[2].file, "test.yaml");
}

TEST(LoadErrors, TooManyErrorsAreCapped) {
  std::string yaml = kTopology + "workers:\n";
  for (int i = 0; i < 1500; ++i) yaml += "  bad" + std::to_string(i) + ": 1\n";
  const LoadResult result = load(yaml);
  ASSERT_EQ(result.errors.size(), 1001u);
  EXPECT_EQ(result.errors[0].format(), "test.yaml:11:3: workers: unknown key 'bad0'");
  EXPECT_EQ(result.errors[999].format(), "test.yaml:1010:3: workers: unknown key 'bad999'");
  EXPECT_EQ(result.errors[1000].format(), "test.yaml: and 500 more errors");
}

TEST(LoadSchedulers, EveryIpvsNameAndMaglevIsAccepted) {
  for (const char* name : {"rr", "wrr", "lc", "wlc", "sh", "dh", "first", "maglev"}) {
    const Config c =
        load_valid(kOneService + "    scheduler: " + name + "\n    real_servers: []\n");
    EXPECT_STREQ(to_string(c.virtual_services.at(0).scheduler), name);
  }
}

TEST(LoadThresholds, MaxAndMinConnsAreRead) {
  const Config c = load_valid(kOneService + R"(    real_servers:
      - { address: 198.18.1.21, max_conns: 100, min_conns: 50 }
      - { address: 198.18.1.22 }
)");
  EXPECT_EQ(c.virtual_services[0].real_servers[0].max_conns, 100u);
  EXPECT_EQ(c.virtual_services[0].real_servers[0].min_conns, 50u);
  EXPECT_EQ(c.virtual_services[0].real_servers[1].max_conns, 0u);  // unlimited
}

TEST(LoadThresholds, MinConnsMustBeBelowMaxConns) {
  EXPECT_EQ(errors_of(kOneService + R"(    real_servers:
      - { address: 198.18.1.21, max_conns: 10, min_conns: 10 }
      - { address: 198.18.1.22, min_conns: 5 }
      - { address: 198.18.1.23, max_conns: -1 }
)"),
            (Lines{"test.yaml:11:59: virtual_services[0].real_servers[0].min_conns: min_conns must "
                   "be below max_conns (the threshold to take new connections again after "
                   "reaching max_conns)",
                   "test.yaml:12:44: virtual_services[0].real_servers[1].min_conns: min_conns must "
                   "be below max_conns (the threshold to take new connections again after "
                   "reaching max_conns)",
                   "test.yaml:13:44: virtual_services[0].real_servers[2].max_conns: out of range: "
                   "-1 (expected 0..134217728)"}));
}

TEST(LoadFallback, AddressAndPortOfTheSorryServer) {
  const Config c = load_valid(kOneService + R"(    real_servers: [ { address: 198.18.1.21 } ]
    fallback: { address: 198.18.1.99, port: 9081 }
)");
  ASSERT_TRUE(c.virtual_services[0].fallback);
  EXPECT_EQ(c.virtual_services[0].fallback->address, ip("198.18.1.99"));
  EXPECT_EQ(c.virtual_services[0].fallback->port, 9081);
}

TEST(LoadSnat, ThePoolIsRead) {
  const Config c = load_valid(snat_service("snat", "    snat_pool: [198.18.1.5, 198.18.1.6]\n"));
  EXPECT_EQ(c.virtual_services[0].mode, Mode::snat);
  EXPECT_EQ(c.virtual_services[0].snat_pool,
            (std::vector<IpAddress>{ip("198.18.1.5"), ip("198.18.1.6")}));
}

TEST(LoadSnat, ThePoolIsRequiredNonEmptyAndOnlyForSnat) {
  EXPECT_EQ(errors_of(snat_service("snat", "")),
            (Lines{"test.yaml:9:11: virtual_services[0].mode: snat mode needs snat_pool: the "
                   "source addresses the real servers will see"}));
  EXPECT_EQ(errors_of(snat_service("snat", "    snat_pool: []\n")),
            (Lines{"test.yaml:10:16: virtual_services[0].snat_pool: snat_pool needs at least one "
                   "address"}));
  EXPECT_EQ(errors_of(snat_service("nat", "    snat_pool: [198.18.1.5]\n")),
            (Lines{"test.yaml:10:16: virtual_services[0].snat_pool: snat_pool applies to snat "
                   "mode only"}));
}

// ---- persistence ----

// A service's own timeouts replace the global ones key by key; the others follow
// connections.timeouts, wherever in the file that section stands.
TEST(LoadTimeouts, AServiceSetsItsOwnAndInheritsTheRest) {
  const Config c = load_valid(kOneService + R"(    timeouts: { tcp: 1200, udp: 30 }
    real_servers: []
  - { name: other, address: 198.18.0.11, ports: 80, protocol: tcp, mode: nat, real_servers: [] }
connections: { timeouts: { tcp: 600, tcp_fin: 60 } }
)");
  const Timeouts& own = c.virtual_services.at(0).timeouts;
  EXPECT_EQ(own.tcp, 1200u);
  EXPECT_EQ(own.udp, 30u);
  EXPECT_EQ(own.tcp_fin, 60u);   // the global value
  EXPECT_EQ(own.tcp_syn, 60u);   // the global default
  EXPECT_EQ(own.tcp_close, 10u);
  const Timeouts& inherited = c.virtual_services.at(1).timeouts;
  EXPECT_EQ(inherited.tcp, 600u);
  EXPECT_EQ(inherited.udp, 300u);
  EXPECT_EQ(inherited.tcp_fin, 60u);
}

TEST(LoadTimeouts, AServicesTimeoutsAreCheckedLikeTheGlobalOnes) {
  EXPECT_EQ(errors_of(kOneService + R"(    timeouts: { tcp: 0, idle: 5, udp: 2592001 }
    real_servers: []
)"),
            (Lines{"test.yaml:10:22: virtual_services[0].timeouts.tcp: out of range: 0 "
                   "(expected 1..2592000)",
                   "test.yaml:10:25: virtual_services[0].timeouts: unknown key 'idle'",
                   "test.yaml:10:39: virtual_services[0].timeouts.udp: out of range: 2592001 "
                   "(expected 1..2592000)"}));
}

TEST(LoadKeepOrCut, KeepIsTheDefaultAndCutIsTheOtherChoice) {
  EXPECT_EQ(load_valid(kOneService + "    real_servers: []\n").virtual_services.at(0).on_remove,
            KeepOrCut::keep);
  EXPECT_EQ(load_valid(kOneService + "    on_remove: cut\n    real_servers: []\n")
                .virtual_services.at(0)
                .on_remove,
            KeepOrCut::cut);
  EXPECT_EQ(errors_of(kOneService + "    on_remove: drop\n    real_servers: []\n"),
            (Lines{"test.yaml:10:16: virtual_services[0].on_remove: unknown on_remove 'drop' "
                   "(expected keep or cut)"}));
}

TEST(LoadPersistence, TimeoutAndNetmaskAreRead) {
  const Config c =
      load_valid(kOneService + R"(    persistence: { timeout: 600, netmask: 255.255.255.0 }
    real_servers: []
)");
  ASSERT_TRUE(c.virtual_services[0].persistence);
  EXPECT_EQ(c.virtual_services[0].persistence->timeout, 600u);
  EXPECT_EQ(c.virtual_services[0].persistence->netmask, 0xffffff00u);
  const Config d = load_valid(kOneService + "    persistence: {}\n    real_servers: []\n");
  EXPECT_EQ(d.virtual_services[0].persistence->timeout, 300u);  // ipvsadm -p
  EXPECT_EQ(d.virtual_services[0].persistence->netmask, 0xffffffffu);
}

// ipvsadm -M 0.0.0.0: one group for every client, so an active/standby pair keeps them all on
// one server; as a prefix length, 0.
TEST(LoadPersistence, AZeroNetmaskPutsEveryClientInOneGroup) {
  for (const char* mask : {"0.0.0.0", "0"}) {
    SCOPED_TRACE(mask);
    const Config c = load_valid(kOneService + "    persistence: { netmask: " + mask +
                                " }\n    real_servers: []\n");
    EXPECT_EQ(c.virtual_services.at(0).persistence->netmask, 0u);
  }
}

TEST(LoadPersistence, InvalidNetmasksAndTimeoutsAreRejected) {
  for (const char* mask : {"255.0.255.0", "255.255.255.1", "0.255.255.255"}) {
    const Lines errors = errors_of(kOneService + "    persistence: { netmask: " + mask +
                                   " }\n    real_servers: []\n");
    ASSERT_EQ(errors.size(), 1u) << mask;
    EXPECT_EQ(errors[0], std::string("test.yaml:10:29: virtual_services[0].persistence.netmask: "
                                     "invalid netmask '") +
                             mask +
                             "' (expected contiguous ones such as 255.255.255.0, or a prefix "
                             "length such as 64)");
  }
  EXPECT_EQ(errors_of(kOneService + "    persistence: { timeout: 0, netmask: /24 }\n"
                                    "    real_servers: []\n"),
            (Lines{"test.yaml:10:29: virtual_services[0].persistence.timeout: out of range: 0 "
                   "(expected 1..2592000)",
                   "test.yaml:10:41: virtual_services[0].persistence.netmask: invalid netmask "
                   "'/24' (expected contiguous ones such as 255.255.255.0, or a prefix length "
                   "such as 64)"}));
}

TEST(LoadIpv6, ServicesOfEitherFamilyAreRead) {
  const Config c = load_valid(kDualStack + R"(virtual_services:
  - name: web6
    address: 2001:2::10
    ports: [80]
    protocol: tcp
    mode: snat
    snat_pool: ["2001:2:0:1::5"]
    real_servers:
      - { address: "2001:2:0:1::21", port: 8080 }
      - { address: 2001:2:9::21, port: 8080 }
)");
  const VirtualService& vs = c.virtual_services.at(0);
  EXPECT_EQ(vs.listeners.at(0).address, ip("2001:2::10"));
  EXPECT_EQ(vs.real_servers.at(1).address, ip("2001:2:9::21"));
  EXPECT_EQ(vs.snat_pool.at(0), ip("2001:2:0:1::5"));
  EXPECT_EQ(c.interfaces.at(1).addresses.at(1).length, 64);
  EXPECT_EQ(c.routes.at(0).via, ip("2001:2:0:1::fe"));
}

TEST(LoadIpv6, HostileAddressesAreRefusedAtTheirPosition) {
  const Lines errors = errors_of(R"(interfaces:
  - { name: front, device: net_null0, addresses: ["2001:2::1/129", "2001:2::1/0", "::ffff:1.2.3.4/96"] }
)");
  EXPECT_EQ(errors,
            (Lines{"test.yaml:2:51: interfaces[0].addresses[0]: invalid prefix '2001:2::1/129' "
                   "(expected a.b.c.d/length or IPv6/length)",
                   "test.yaml:2:68: interfaces[0].addresses[1]: prefix length 0 is out of range "
                   "(expected 1..128)",
                   "test.yaml:2:83: interfaces[0].addresses[2]: invalid prefix '::ffff:1.2.3.4/96' "
                   "(expected a.b.c.d/length or IPv6/length)"}));
}

TEST(LoadIpv6, OnlyRoutableUnicastAddressesServe) {
  for (const char* address : {"\"::\"", "\"::1\"", "\"ff02::1\"", "\"fe80::1\"", "0.0.0.0",
                              "127.0.0.1", "224.0.0.5", "255.255.255.255", "169.254.0.1"}) {
    SCOPED_TRACE(address);
    const Lines errors = errors_of(std::string(R"(interfaces:
  - { name: front, device: net_null0, addresses: [198.18.0.1/24, "2001:2::1/64"] }
virtual_services:
  - name: odd
    address: )") + address + R"(
    ports: [80]
    protocol: tcp
    mode: dr
    real_servers: []
)");
    ASSERT_EQ(errors.size(), 1u);
    std::string bare = address;
    std::erase(bare, '"');
    EXPECT_NE(errors[0].find("virtual_services[0].address: address " + bare + " is "),
              std::string::npos)
        << errors[0];
  }
}

TEST(LoadIpv6, ServersAndPoolsAreRoutableUnicastToo) {
  const Lines errors = errors_of(kDualStack + R"(virtual_services:
  - name: odd
    address: "2001:2::12"
    ports: [80]
    protocol: tcp
    mode: snat
    snat_pool: ["ff02::5"]
    real_servers:
      - { address: "fe80::21", port: 8080 }
    fallback: { address: "::1", port: 8080 }
)");
  EXPECT_EQ(errors,
            (Lines{"test.yaml:12:17: virtual_services[0].snat_pool[0]: snat_pool address ff02::5 "
                   "is a multicast address",
                   "test.yaml:14:20: virtual_services[0].real_servers[0].address: real server "
                   "fe80::21 is a link-local address",
                   "test.yaml:15:26: virtual_services[0].fallback.address: fallback server ::1 "
                   "is a loopback address"}));
}

TEST(LoadIpv6, OwnAddressesAndNextHopsAreRoutableUnicast) {
  const Lines errors = errors_of(R"(interfaces:
  - { name: front, device: net_null0, addresses: [198.18.0.1/24, "fe80::1/64", 224.0.0.1/24] }
routes:
  - { prefix: "2001:2:9::/48", via: "fe80::fe" }
)");
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_NE(errors[0].find("interfaces[0].addresses[1]: address fe80::1 is a link-local address"),
            std::string::npos)
      << errors[0];
  EXPECT_NE(errors[1].find("interfaces[0].addresses[2]: address 224.0.0.1 is a multicast address"),
            std::string::npos)
      << errors[1];
  EXPECT_NE(errors[2].find("routes[0].via: next hop fe80::fe is a link-local address"),
            std::string::npos)
      << errors[2];
}

// ---- log ----

TEST(LoadLog, LevelIsOneOfTheFiveWords) {
  EXPECT_EQ(load_valid(kTopology + "log: { level: debug }\n").log.level, LogLevel::debug);
  EXPECT_EQ(load_valid(kTopology + "log: { level: error }\n").log.level, LogLevel::error);
  EXPECT_EQ(errors_of(kTopology + "log: { level: warn }\n"),
            Lines{"test.yaml:10:15: log.level: unknown log level 'warn' (expected error, warning, "
                  "notice, info or debug)"});
  EXPECT_EQ(errors_of(kTopology + "log: { colour: red }\n"),
            Lines{"test.yaml:10:8: log: unknown key 'colour'"});
}

}  // namespace
}  // namespace sluice::config
