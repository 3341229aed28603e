// The checks across keys (config/validate.cc): collisions, reachability, families and the
// data plane's capacities.
#include "config/validate.h"

#include <gtest/gtest.h>

#include <string>

#include "common/ip_text.h"
#include "tests/unit/config/load_support.h"

namespace sluice::config {
namespace {

TEST(ValidatePorts, AServiceListsAtMost4096Ports) {
  EXPECT_EQ(errors_of(with_ports("1-4096")), Lines{});
  EXPECT_EQ(errors_of(with_ports("all", "    except_ports: 1-4096\n")), Lines{});
  const Lines too_many{
      "test.yaml:11:5: virtual_services[0]: virtual service 'v' lists 4097 "
      "ports, more than 4096 (ports: all with except_ports covers large sets)"};
  EXPECT_EQ(errors_of(with_ports("[1-4096, 5000]")), too_many);
  EXPECT_EQ(errors_of(with_ports("all", "    except_ports: 1-4097\n")), too_many);
}

// Services of kService under kTopology (each 6 lines, the first from line 11), and the one
// error they make.
struct ServiceCase {
  std::string what;
  std::string services;
  std::string error;
};

void PrintTo(const ServiceCase& c, std::ostream* os) { *os << c.what; }

class ValidateServiceErrors : public testing::TestWithParam<ServiceCase> {};

TEST_P(ValidateServiceErrors, AreReportedAtTheLaterService) {
  EXPECT_EQ(errors_of(kTopology + "virtual_services:\n" + GetParam().services),
            Lines{GetParam().error});
}

INSTANTIATE_TEST_SUITE_P(
    Collisions, ValidateServiceErrors,
    testing::Values(
        ServiceCase{"the same listener",
                    service("a", "198.19.0.10", "80") + service("b", "198.19.0.10", "80"),
                    "test.yaml:19:13: virtual_services[1].ports[0]: duplicate virtual service "
                    "198.19.0.10:80/tcp, also defined at 13:13"},
        ServiceCase{"port lists collide on the shared ports only",
                    service("a", "198.19.0.10", "80, 443") +
                        service("b", "198.19.0.10", "8443, 443, 8080"),
                    "test.yaml:19:19: virtual_services[1].ports[1]: duplicate virtual service "
                    "198.19.0.10:443/tcp, also defined at 13:17"},
        ServiceCase{"ranges collide on the shared ports only",
                    service("a", "198.19.0.10", "80-90") +
                        service("b", "198.19.0.10", "5000, 90-100") +
                        service("c", "198.19.0.10", "85-87", "udp"),
                    "test.yaml:19:19: virtual_services[1].ports[1]: duplicate virtual service "
                    "198.19.0.10:90/tcp, also defined at 13:13"},
        ServiceCase{"the same name",
                    service("a", "198.19.0.10", "80") + service("a", "198.19.0.11", "80"),
                    "test.yaml:17:11: virtual_services[1].name: duplicate virtual service name "
                    "'a', also defined at 11:11"},
        ServiceCase{"an interface's address as VIP", service("a", "198.19.16.1", "80"),
                    "test.yaml:12:14: virtual_services[0].address: address 198.19.16.1 is an "
                    "address of interface 'back'"}));

TEST(ValidateServices, SamePortOnOtherProtocolOrAddressIsFine) {
  const Config c =
      load_valid(kTopology + "virtual_services:\n" + service("a", "198.19.0.10", "53") +
                 service("b", "198.19.0.10", "53", "udp") + service("c", "198.19.0.11", "53"));
  EXPECT_EQ(c.virtual_services.size(), 3u);
}

TEST(ValidateServices, BothMeansTcpAndUdpAndCollidesWithEither) {
  const Config c =
      load_valid(kTopology + "virtual_services:\n" + service("a", "198.19.0.10", "53", "both"));
  EXPECT_EQ(only_listener(c.virtual_services.at(0)).protocols,
            (std::vector{Protocol::tcp, Protocol::udp}));
  EXPECT_EQ(
      errors_of(kTopology + "virtual_services:\n" + service("a", "198.19.0.10", "53", "both") +
                service("b", "198.19.0.10", "53", "udp")),
      (Lines{"test.yaml:19:13: virtual_services[1].ports[0]: duplicate virtual service "
             "198.19.0.10:53/udp, also defined at 13:13"}));
}

// `ports: all` except 20000 at 198.19.0.10, 7 lines.
const std::string kAllButOne = R"(  - name: all
    address: 198.19.0.10
    ports: all
    except_ports: 20000
    protocol: tcp
    mode: nat
    real_servers: []
)";

TEST(ValidateServices, AllPortsLeaveTheExceptedPortsToOtherServices) {
  const Config c = load_valid(kTopology + "virtual_services:\n" + kAllButOne +
                              service("b", "198.19.0.10", "20000"));
  EXPECT_EQ(c.virtual_services.size(), 2u);
  EXPECT_EQ(errors_of(kTopology + "virtual_services:\n" + kAllButOne +
                      service("b", "198.19.0.10", "443, 20000")),
            (Lines{"test.yaml:20:13: virtual_services[1].ports[0]: duplicate virtual service "
                   "198.19.0.10:443/tcp, also defined at 13:12"}));
  EXPECT_EQ(errors_of(kTopology + "virtual_services:\n" + service("b", "198.19.0.10", "443") +
                      kAllButOne),
            (Lines{"test.yaml:19:12: virtual_services[1].ports: duplicate virtual service "
                   "198.19.0.10:443/tcp, also defined at 13:13"}));
}

TEST(ValidateServices, AllServicesTogetherListAtMost65536Ports) {
  std::string yaml = kTopology + "virtual_services:\n";
  for (int i = 0; i < 17; ++i) {
    yaml += service("s" + std::to_string(i), "198.19.0." + std::to_string(100 + i), "1-4096");
  }
  EXPECT_EQ(errors_of(yaml), (Lines{"test.yaml:107:5: virtual_services[16]: more than 65536 "
                                    "ports listed in all virtual services together"}));
}

TEST(ValidateListeners, EveryListenerIsCheckedForCollisionsAndInterfaceAddresses) {
  EXPECT_EQ(errors_of(kTopology + "virtual_services:\n" + service("a", "198.19.0.21", "443") +
                      R"(  - name: web
    listeners:
      - { address: 198.19.0.20, ports: [80, 443], protocol: tcp }
      - { address: 198.19.0.21, ports: [80, 443], protocol: tcp }
      - { address: 198.19.0.1, ports: 80, protocol: tcp }
      - { address: 198.19.0.20, ports: 80-90, protocol: udp }
      - { address: 198.19.0.20, ports: 8080-8090, protocol: both }
      - { address: 198.19.0.20, ports: 8090, protocol: tcp }
    mode: nat
    real_servers: []
)"),
            (Lines{"test.yaml:20:45: virtual_services[1].listeners[1].ports[1]: duplicate "
                   "virtual service 198.19.0.21:443/tcp, also defined at 13:13",
                   "test.yaml:21:20: virtual_services[1].listeners[2].address: address "
                   "198.19.0.1 is an address of interface 'front'",
                   "test.yaml:24:40: virtual_services[1].listeners[5].ports: duplicate virtual "
                   "service 198.19.0.20:8090/tcp, also defined at 23:40"}));
}

std::string service_with_servers(const std::string& mode, const std::string& ports,
                                 const std::string& servers) {
  return kTopology + R"(virtual_services:
  - name: v
    address: 198.19.0.10
    ports: [)" +
         ports + R"(]
    protocol: tcp
    mode: )" +
         mode + R"(
    real_servers:
)" + servers;
}

// A service of `mode` on `ports` with `servers` (service_with_servers: the first server on
// line 17), and the errors they make.
struct ServerCase {
  std::string what;
  std::string mode;
  std::string ports;
  std::string servers;
  Lines errors;
};

void PrintTo(const ServerCase& c, std::ostream* os) { *os << c.what; }

class ValidateServerErrors : public testing::TestWithParam<ServerCase> {};

TEST_P(ValidateServerErrors, AreReportedAtTheServer) {
  const ServerCase& c = GetParam();
  EXPECT_EQ(errors_of(service_with_servers(c.mode, c.ports, c.servers)), c.errors);
}

INSTANTIATE_TEST_SUITE_P(
    Servers, ValidateServerErrors,
    testing::Values(
        ServerCase{"a server without port collides with a port inside a range", "nat",
                   "\"400-500\"",
                   "      - { address: 198.19.0.20 }\n"
                   "      - { address: 198.19.0.20, port: 443 }\n"
                   "      - { address: 198.19.0.20, port: 8080 }\n",
                   {"test.yaml:18:9: virtual_services[0].real_servers[1]: duplicate real server "
                    "198.19.0.20:443, also defined at 17:9"}},
        ServerCase{"the same server twice", "nat", "80",
                   "      - { address: 198.19.0.20 }\n"
                   "      - { address: 198.19.0.21, port: 8080 }\n"
                   "      - { address: 198.19.0.20 }\n"
                   "      - { address: 198.19.0.21, port: 8080, weight: 5 }\n",
                   {"test.yaml:19:9: virtual_services[0].real_servers[2]: duplicate real server "
                    "198.19.0.20, also defined at 17:9",
                    "test.yaml:20:9: virtual_services[0].real_servers[3]: duplicate real server "
                    "198.19.0.21:8080, also defined at 18:9"}},
        ServerCase{"a server without port collides with a service port given explicitly", "nat",
                   "80, 443",
                   "      - { address: 198.19.0.20, port: 443 }\n"
                   "      - { address: 198.19.0.20 }\n"
                   "      - { address: 198.19.0.21 }\n"
                   "      - { address: 198.19.0.21, port: 80 }\n",
                   {"test.yaml:18:9: virtual_services[0].real_servers[1]: duplicate real server "
                    "198.19.0.20:443, also defined at 17:9",
                    "test.yaml:20:9: virtual_services[0].real_servers[3]: duplicate real server "
                    "198.19.0.21:80, also defined at 19:9"}},
        ServerCase{"dr cannot translate ports", "dr", "80",
                   "      - { address: 198.19.0.20 }\n"
                   "      - { address: 198.19.0.21, port: 80 }\n",
                   {"test.yaml:18:39: virtual_services[0].real_servers[1].port: dr mode cannot "
                    "translate ports; remove port"}},
        ServerCase{"an unreachable server", "nat", "80",
                   "      - { address: 198.19.0.20 }\n"
                   "      - { address: 198.19.159.1 }\n"
                   "      - { address: 192.0.2.1 }\n",
                   {"test.yaml:19:20: virtual_services[0].real_servers[2].address: real server "
                    "192.0.2.1 is not reachable: no interface subnet or route covers it"}},
        ServerCase{"a dr server behind a route", "dr", "80",
                   "      - { address: 198.19.16.20 }\n"
                   "      - { address: 198.19.144.1 }\n",
                   {"test.yaml:18:20: virtual_services[0].real_servers[1].address: real server "
                    "198.19.144.1 is not in a connected subnet (dr mode needs the same L2)"}}));

TEST(ValidateServers, SameAddressOnOtherPortsIsFine) {
  const Config c = load_valid(service_with_servers("nat", "80", R"(      - { address: 198.19.0.20 }
      - { address: 198.19.0.20, port: 8080 }
      - { address: 198.19.0.20, port: 8081 }
)"));
  EXPECT_EQ(c.virtual_services.at(0).real_servers.size(), 3u);
}

TEST(ValidateServers, DefaultRouteReachesEverything) {
  const Config c = load_valid(R"(interfaces:
  - { name: a, device: d, addresses: [198.19.0.1/24] }
routes:
  - { prefix: 0.0.0.0/0, via: 198.19.0.254 }
virtual_services:
  - { name: v, address: 198.19.0.10, ports: 80, protocol: tcp, mode: nat,
      real_servers: [{ address: 203.0.113.7, port: 8080 }] }
)");
  EXPECT_EQ(c.routes.at(0).prefix.length, 0);
  EXPECT_EQ(c.routes.at(0).via, ip("198.19.0.254"));
  EXPECT_EQ(c.routes.at(0).origin.path, "routes[0]");
  EXPECT_EQ(c.routes.at(0).origin.line, 4);
}

TEST(ValidateRoutes, RouteErrorsAreReported) {
  EXPECT_EQ(errors_of(R"(interfaces:
  - { name: a, device: d, addresses: [198.19.0.1/24] }
routes:
  - { prefix: 198.19.144.0/20, via: 198.19.80.1 }
  - { prefix: 198.19.128.1/20, via: 198.19.0.2 }
  - { prefix: 198.19.144.0/20, via: 198.19.0.3 }
  - { prefix: 198.19.112.0/20, via: 198.19.0.1 }
  - { prefix: 198.19.96.0/20, via: 198.19.0.300 }
)"),
            (Lines{"test.yaml:4:37: routes[0].via: next hop 198.19.80.1 is not in a connected "
                   "subnet of any interface",
                   "test.yaml:5:15: routes[1].prefix: prefix '198.19.128.1/20' has host bits set "
                   "(the network is 198.19.128.0/20)",
                   "test.yaml:6:15: routes[2].prefix: duplicate route 198.19.144.0/20, also "
                   "defined at 4:15",
                   "test.yaml:7:37: routes[3].via: next hop 198.19.0.1 is an address of "
                   "interface 'a'",
                   "test.yaml:8:36: routes[4].via: invalid IP address '198.19.0.300'"}));
}

TEST(ValidateInterfaces, DuplicatesAreReported) {
  EXPECT_EQ(errors_of(R"(interfaces:
  - { name: a, device: d1, addresses: [198.19.0.1/24] }
  - { name: a, device: d2, addresses: [198.19.1.1/24], tap: t2 }
  - { name: c, device: d1, addresses: [198.19.2.1/24], tap: t2 }
  - { name: d, device: d4, addresses: [198.19.3.1/24], tap: sl-a }
  - { name: e, device: "net_af_packet0,iface=x", addresses: [198.19.4.1/24] }
  - { name: f, device: "net_af_packet0,iface=y", addresses: [198.19.5.1/24] }
)"),
            (Lines{"test.yaml:3:13: interfaces[1].name: duplicate interface name 'a', also "
                   "defined at 2:13",
                   "test.yaml:4:24: interfaces[2].device: duplicate device 'd1', also defined "
                   "at 2:24",
                   "test.yaml:4:61: interfaces[2].tap: duplicate TAP name 't2', also defined "
                   "at 3:61",
                   "test.yaml:5:61: interfaces[3].tap: duplicate TAP name 'sl-a', also defined "
                   "at 2:5",
                   "test.yaml:7:24: interfaces[5].device: duplicate device 'net_af_packet0', "
                   "also defined at 6:24"}));
}

TEST(ValidateErrors, AFieldErrorDoesNotCascadeIntoSemanticErrors) {
  // The bad mtu must not make the servers behind "back" look unreachable, and the service
  // with a bad mode must not be reported again as a duplicate of "b".
  EXPECT_EQ(errors_of(R"(interfaces:
  - { name: front, device: d0, addresses: [198.19.0.1/24] }
  - { name: back, device: d1, mtu: 1, addresses: [198.19.16.1/24] }
virtual_services:
  - { name: a, address: 198.19.0.10, ports: 80, protocol: tcp, mode: direct, real_servers: [] }
  - { name: b, address: 198.19.0.10, ports: 80, protocol: tcp, mode: nat,
      real_servers: [{ address: 198.19.16.20 }, { address: 198.19.16.21, weight: -5 }] }
)"),
            (Lines{"test.yaml:3:36: interfaces[1].mtu: out of range: 1 (expected 576..9216)",
                   "test.yaml:5:70: virtual_services[0].mode: unknown mode 'direct' "
                   "(expected dr, nat, snat or tun)",
                   "test.yaml:7:82: virtual_services[1].real_servers[1].weight: out of range: "
                   "-5 (expected 0..65535)"}));
}

// ---- the data plane's fixed capacities ----

std::string many_interfaces(int count) {
  std::string yaml = "interfaces:\n";
  for (int i = 0; i < count; ++i) {
    yaml += "  - { name: i" + std::to_string(i) + ", device: net_null" + std::to_string(i) +
            ", addresses: [198.18." + std::to_string(i) + ".1/24] }\n";
  }
  return yaml;
}

TEST(ValidateCapacity, AtMostEightInterfaces) {
  EXPECT_EQ(errors_of(many_interfaces(8)), Lines{});
  EXPECT_EQ(errors_of(many_interfaces(9)),
            (Lines{"test.yaml:10:5: interfaces[8]: at most 8 interfaces"}));
}

TEST(ValidateCapacity, AtMost1024VirtualServices) {
  std::string yaml = many_interfaces(1) + "virtual_services:\n";
  for (int i = 0; i < 1025; ++i) {
    yaml += "  - { name: s" + std::to_string(i) + ", address: 198.19." + std::to_string(i / 250) +
            "." + std::to_string(1 + i % 250) +
            ", ports: [80], protocol: tcp, mode: dr, real_servers: [] }\n";
  }
  const Lines errors = errors_of(yaml);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("virtual_services[1024]: at most 1024 virtual services"),
            std::string::npos)
      << errors[0];
}

TEST(ValidateCapacity, AtMost4096RealServersInAll) {
  std::string yaml =
      "interfaces: [ { name: n, device: d, addresses: [198.18.0.1/15] } ]\n"
      "virtual_services:\n";
  for (int v = 0; v < 2; ++v) {
    yaml += "  - name: s" + std::to_string(v) + "\n    address: 198.19.255." +
            std::to_string(v + 1) + "\n    ports: [80]\n    protocol: tcp\n    mode: dr\n" +
            "    real_servers:\n";
    for (int i = 0; i < 2049; ++i) {
      yaml += "      - { address: 198.18." + std::to_string(i / 250) + "." +
              std::to_string(1 + i % 250) + " }\n";
    }
  }
  const Lines errors = errors_of(yaml);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find(
                "virtual_services[1].real_servers[2047]: at most 4096 real and fallback servers"),
            std::string::npos)
      << errors[0];
}

// Two workers and the three lcores they need.
const std::string kTwoWorkers = "workers: { count: 2 }\neal: { lcores: \"0-2\" }\n";

TEST(ValidateCapacity, EveryModeRunsOnSeveralWorkers) {
  for (const char* mode : {"nat", "snat", "dr", "tun"}) {
    SCOPED_TRACE(mode);
    const std::string pool = std::string(mode) == "snat" ? ", snat_pool: [198.18.0.5]" : "";
    const std::string port = std::string(mode) == "nat" || pool.size() ? ", port: 8080" : "";
    const std::string service =
        "virtual_services:\n  - { name: web, address: 198.18.0.10, "
        "ports: [80], protocol: tcp, mode: " +
        std::string(mode) + pool + ",\n      real_servers: [ { address: 198.18.0.20" + port +
        " } ] }\n";
    EXPECT_EQ(errors_of(kTwoWorkers + many_interfaces(1) + service), Lines{});
  }
}

TEST(ValidateFallback, IsCheckedLikeARealServer) {
  std::string dr = kOneService;
  dr.replace(dr.find("mode: nat"), 9, "mode: dr ");
  EXPECT_EQ(errors_of(dr + R"(    real_servers: []
    fallback: { address: 198.18.0.99, port: 9081, weight: 3 }
)"),
            (Lines{"test.yaml:11:51: virtual_services[0].fallback: unknown key 'weight'"}));
  EXPECT_EQ(errors_of(dr + R"(    real_servers: []
    fallback: { address: 198.18.0.99, port: 9081 }
)"),
            (Lines{"test.yaml:11:45: virtual_services[0].fallback.port: dr mode cannot translate "
                   "ports; remove port"}));
  EXPECT_EQ(errors_of(kOneService + R"(    real_servers: []
    fallback: { address: 198.19.5.9 }
)"),
            (Lines{"test.yaml:11:26: virtual_services[0].fallback.address: real server "
                   "198.19.5.9 is not reachable: no interface subnet or route covers it"}));
}

TEST(ValidateSnat, PoolAddressesAreOwnedOnAConnectedSubnetAndListedOnce) {
  EXPECT_EQ(
      errors_of(snat_service(
          "snat", "    snat_pool: [198.18.1.1, 198.19.9.9, 198.18.1.5, 198.18.1.5, 1.2.3]\n")),
      (Lines{"test.yaml:10:17: virtual_services[0].snat_pool[0]: snat_pool address 198.18.1.1 "
             "is an address of interface 'back'; use an address of its own",
             "test.yaml:10:29: virtual_services[0].snat_pool[1]: snat_pool address 198.19.9.9 is "
             "not in a connected subnet: nothing would answer ARP or ND for it",
             "test.yaml:10:53: virtual_services[0].snat_pool[3]: duplicate snat_pool address "
             "198.18.1.5, also defined at 10:41",
             "test.yaml:10:65: virtual_services[0].snat_pool[4]: invalid IP address '1.2.3'"}));
}

// ---- tun ----

TEST(ValidateTun, ServersMayBeRoutedButCannotTranslatePorts) {
  const std::string tun = kTopology + R"(virtual_services:
  - name: t
    address: 198.19.0.13
    ports: [80]
    protocol: tcp
    mode: tun
    real_servers:
      - { address: 198.19.144.1 }
      - { address: 198.19.0.22, port: 8080 }
)";
  EXPECT_EQ(errors_of(tun),
            (Lines{"test.yaml:18:39: virtual_services[0].real_servers[1].port: tun mode cannot "
                   "translate ports; remove port"}));
}

TEST(ValidateTun, RunsOnSeveralWorkers) {
  // Replies go straight to the clients: nothing needs steering back to a worker.
  EXPECT_EQ(errors_of(kTwoWorkers + kTopology + R"(virtual_services:
  - { name: t, address: 198.19.0.13, ports: [80], protocol: tcp, mode: tun,
      real_servers: [ { address: 198.19.0.21 } ] }
)"),
            Lines{});
}

TEST(ValidateSnat, PoolAddressesMayNotBeAnotherHostsOrServicesAddress) {
  const std::string config =
      kOneService.substr(0, kOneService.find("    mode: nat")) + R"(    mode: snat
    snat_pool: [198.18.1.21, 198.18.0.10, 198.18.1.99]
    real_servers: [ { address: 198.18.1.21, port: 8080 } ]
    fallback: { address: 198.18.1.99, port: 9081 }
)";
  EXPECT_EQ(errors_of(config),
            (Lines{"test.yaml:10:17: virtual_services[0].snat_pool[0]: snat_pool address "
                   "198.18.1.21 is a real server",
                   "test.yaml:10:30: virtual_services[0].snat_pool[1]: snat_pool address "
                   "198.18.0.10 is the address of virtual service 'web'",
                   "test.yaml:10:43: virtual_services[0].snat_pool[2]: snat_pool address "
                   "198.18.1.99 is a fallback server"}));
}

TEST(ValidateFallback, IsNotOneOfTheServicesRealServers) {
  const Lines errors =
      errors_of(kOneService + R"(    real_servers: [ { address: 198.18.1.21, port: 8080 } ]
    fallback: { address: 198.18.1.21, port: 8080 }
)");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("the fallback server is also a real server of this service"),
            std::string::npos)
      << errors[0];
}

TEST(ValidateIpv6, AServiceKeepsToOneFamily) {
  EXPECT_EQ(errors_of(kDualStack + R"(virtual_services:
  - name: mixed
    address: 2001:2::10
    ports: [80]
    protocol: tcp
    mode: nat
    real_servers:
      - { address: 198.18.1.21, port: 8080 }
    fallback: { address: 198.18.1.99, port: 8080 }
)"),
            (Lines{"test.yaml:13:20: virtual_services[0].real_servers[0].address: real server "
                   "198.18.1.21 is IPv4 but the service's address 2001:2::10 is IPv6 (no "
                   "translation between families)",
                   "test.yaml:14:26: virtual_services[0].fallback.address: fallback server "
                   "198.18.1.99 is IPv4 but the service's address 2001:2::10 is IPv6 (no "
                   "translation between families)"}));
  const Lines pool = errors_of(kDualStack + R"(virtual_services:
  - name: pool
    address: 198.18.0.12
    ports: [80]
    protocol: tcp
    mode: snat
    snat_pool: ["2001:2:0:1::5"]
    real_servers:
      - { address: 198.18.1.21, port: 8080 }
)");
  ASSERT_EQ(pool.size(), 1u);
  EXPECT_NE(pool[0].find("snat_pool address 2001:2:0:1::5 is IPv6 but the service's address "
                         "198.18.0.12 is IPv4"),
            std::string::npos);
}

TEST(ValidateIpv6, ARouteAndItsNextHopShareAFamily) {
  const Lines errors = errors_of(R"(interfaces:
  - { name: front, device: net_null0, addresses: [198.18.0.1/24, "2001:2::1/64"] }
routes:
  - { prefix: "2001:2:9::/48", via: 198.18.0.254 }
  - { prefix: 198.19.0.0/16, via: "2001:2::fe" }
)");
  EXPECT_EQ(errors, (Lines{"test.yaml:4:37: routes[0].via: next hop 198.18.0.254 is not of the "
                           "prefix's family (2001:2:9::/48)",
                           "test.yaml:5:35: routes[1].via: next hop 2001:2::fe is not of the "
                           "prefix's family (198.19.0.0/16)"}));
}

TEST(ValidateIpv6, UnreachableAndDuplicateIpv6AreNamed) {
  const Lines errors = errors_of(kDualStack + R"(virtual_services:
  - name: a
    address: "2001:2::10"
    ports: [80]
    protocol: tcp
    mode: dr
    real_servers:
      - { address: "2001:2:7::21" }
  - name: b
    address: "2001:2::10"
    ports: [80]
    protocol: tcp
    mode: nat
    real_servers:
      - { address: "2001:2:0:1::21", port: 8080 }
      - { address: "2001:2:0:1::21", port: 8080 }
)");
  EXPECT_EQ(errors,
            (Lines{"test.yaml:13:20: virtual_services[0].real_servers[0].address: real server "
                   "2001:2:7::21 is not in a connected subnet (dr mode needs the same L2)",
                   "test.yaml:16:13: virtual_services[1].ports[0]: duplicate virtual service "
                   "[2001:2::10]:80/tcp, also defined at 9:13",
                   "test.yaml:21:9: virtual_services[1].real_servers[1]: duplicate real server "
                   "[2001:2:0:1::21]:8080, also defined at 20:9"}));
}

TEST(ValidateIpv6, PersistenceGroupsIpv6ClientsByAPrefixLength) {
  const std::string service = kDualStack + R"(virtual_services:
  - name: sticky
    address: "2001:2::10"
    ports: [80]
    protocol: tcp
    mode: nat
    persistence: { timeout: 60, netmask: @mask@ }
    real_servers:
      - { address: "2001:2:0:1::21", port: 8080 }
)";
  const auto with = [&](const std::string& mask) {
    std::string yaml = service;
    yaml.replace(yaml.find("@mask@"), 6, mask);
    return yaml;
  };
  EXPECT_EQ(load_valid(with("64")).virtual_services[0].persistence->prefix_length, 64);
  EXPECT_EQ(load_valid(with("0")).virtual_services.at(0).persistence->prefix_length, 0);
  const Lines dotted = errors_of(with("255.255.255.0"));
  ASSERT_EQ(dotted.size(), 1u);
  EXPECT_NE(dotted[0].find("persistence.netmask: an IPv6 service groups clients by a prefix "
                           "length (netmask: 64)"),
            std::string::npos);
  for (const char* bad : {"129", "064", "-1", "00"}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(errors_of(with(bad)).size(), 1u);
  }
}

TEST(ValidatePersistence, AnIpv4PrefixLengthIsItsNetmask) {
  const Config c =
      load_valid(kOneService + "    persistence: { netmask: 24 }\n    real_servers: []\n");
  EXPECT_EQ(c.virtual_services[0].persistence->netmask, 0xffffff00u);
  const Lines errors =
      errors_of(kOneService + "    persistence: { netmask: 33 }\n    real_servers: []\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("prefix length 33 is longer than an IPv4 address (expected 0..32)"),
            std::string::npos)
      << errors[0];
}

TEST(ValidateIpv6, AServiceNeedsAnInterfaceAddressOfItsFamily) {
  EXPECT_EQ(errors_of(R"(interfaces:
  - { name: front, device: net_null0, addresses: [198.18.0.1/24] }
virtual_services:
  - name: web6
    address: "2001:2::10"
    ports: [80]
    protocol: tcp
    mode: dr
    real_servers: []
)"),
            (Lines{"test.yaml:5:14: virtual_services[0].address: no interface has an IPv6 "
                   "address for 2001:2::10"}));
}

}  // namespace
}  // namespace sluice::config
