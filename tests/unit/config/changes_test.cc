// The line sluiced logs for a reload (config/changes.cc).
#include "config/changes.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/unit/config/load_support.h"

namespace sluice::config {
namespace {

// Services web (kOneService) and dns.
const std::string kBefore = kOneService + R"(    real_servers:
      - { address: 198.18.1.21, port: 8080 }
      - { address: 198.18.1.22, port: 8080 }
  - { name: dns, address: 198.18.0.11, ports: 53, protocol: udp, mode: nat,
      real_servers: [{ address: 198.18.1.21 }] }
)";

// kBefore with `from` replaced by `to`.
std::string edited(const std::string& from, const std::string& to) {
  std::string yaml = kBefore;
  yaml.replace(yaml.find(from), from.size(), to);
  return yaml;
}

struct ChangeCase {
  std::string after;
  std::string line;
};

void PrintTo(const ChangeCase& c, std::ostream* os) { *os << c.line; }

class DescribeChanges : public testing::TestWithParam<ChangeCase> {};

TEST_P(DescribeChanges, SaysWhatAReloadChanged) {
  EXPECT_EQ(describe_changes(load_valid(kBefore), load_valid(GetParam().after)), GetParam().line);
}

INSTANTIATE_TEST_SUITE_P(
    Reloads, DescribeChanges,
    testing::Values(
        ChangeCase{kBefore, "nothing changed"},
        // Only positions moved: nothing changed.
        ChangeCase{"# a comment\n" + kBefore, "nothing changed"},
        ChangeCase{edited("      - { address: 198.18.1.22, port: 8080 }\n",
                          "      - { address: 198.18.1.22, port: 8080 }\n"
                          "      - { address: 198.18.1.23, port: 8080 }\n"),
                   "real servers: added web 198.18.1.23:8080"},
        ChangeCase{edited("      - { address: 198.18.1.22, port: 8080 }\n", ""),
                   "real servers: removed web 198.18.1.22:8080"},
        ChangeCase{edited("198.18.1.22, port: 8080 }", "198.18.1.22, port: 8080, weight: 5 }"),
                   "real servers: changed web 198.18.1.22:8080"},
        ChangeCase{edited("mode: nat\n", "mode: nat\n    scheduler: rr\n"),
                   "services: changed web"},
        ChangeCase{edited("ports: 53", "ports: [53, 5353]"), "services: changed dns"},
        ChangeCase{edited("  - { name: dns", "  - { name: dns2"),
                   "services: added dns2; removed dns. real servers: added dns2 198.18.1.21:*; "
                   "removed dns 198.18.1.21:*"},
        ChangeCase{edited("mode: nat\n", "mode: nat\n    fallback: { address: 198.18.1.99 }\n"),
                   "services: changed web. real servers: added web 198.18.1.99:* (fallback)"},
        // A service's check is its servers' check: each of them changed.
        ChangeCase{edited("mode: nat\n", "mode: nat\n    health_check: { type: connect }\n"),
                   "real servers: changed web 198.18.1.21:8080, web 198.18.1.22:8080"},
        ChangeCase{edited("198.18.1.22, port: 8080 }",
                          "198.18.1.22, port: 8080, health_check: { type: off } }"),
                   "real servers: changed web 198.18.1.22:8080"},
        ChangeCase{edited("198.18.1.22, port: 8080 }",
                          "198.18.1.22, port: 8080, feedback: { port: 4444 } }"),
                   "real servers: changed web 198.18.1.22:8080"},
        ChangeCase{edited("mode: nat\n", "mode: nat\n    on_failure: cut\n"),
                   "services: changed web"},
        ChangeCase{kBefore + "health: { notify: /bin/true }\n", "also changed: health.notify"},
        ChangeCase{kBefore + "log: { level: info }\n", "also changed: log.level"},
        ChangeCase{kBefore + "connections: { timeouts: { tcp: 60 } }\n"
                             "routes: [{ prefix: 198.19.0.0/16, via: 198.18.1.254 }]\n",
                   "services: changed dns, web. also changed: routes, connections.timeouts"}));

TEST(DescribeChanges, NamesAFewAndCountsTheRest) {
  std::string servers;
  for (int i = 0; i < 20; ++i) {
    servers += "      - { address: 198.18.1." + std::to_string(100 + i) + ", port: 8080 }\n";
  }
  const std::string line = describe_changes(
      load_valid(kBefore),
      load_valid(edited("      - { address: 198.18.1.22, port: 8080 }\n", servers)));
  EXPECT_EQ(line,
            "real servers: added web 198.18.1.100:8080, web 198.18.1.101:8080, web "
            "198.18.1.102:8080, web 198.18.1.103:8080, web 198.18.1.104:8080, web "
            "198.18.1.105:8080, web 198.18.1.106:8080, web 198.18.1.107:8080 and 12 more; "
            "removed web 198.18.1.22:8080");
}

}  // namespace
}  // namespace sluice::config
