// The listing against ipvsadm's documented output (ipvsadm(8) and its print functions):
// column widths, forward names, persistence flags, number abbreviations and ordering.
#include "control/ipvs_listing.h"

#include <gtest/gtest.h>

#include "control/api.h"

namespace sluice::control {
namespace {

IpAddress ip(const char* text) { return *parse_ip(text); }

config::PortSet port(uint16_t p) { return {.all = false, .ranges = {{p, p}}, .except = {}}; }

ServerStatsView server(const char* address, uint16_t port, uint32_t weight, uint64_t active,
                       uint64_t inactive) {
  ServerStatsView s;
  s.address = ip(address);
  s.port = port;
  s.weight = weight;
  s.counts.active = active;
  s.counts.inactive = inactive;
  return s;
}

ServiceStatsView web() {
  ServiceStatsView s;
  s.name = "web";
  s.mode = Mode::dr;
  s.scheduler = Scheduler::wrr;
  s.listeners = {{ip("192.0.2.10"), port(80), {Protocol::tcp}}};
  s.servers = {server("192.0.2.14", 80, 1, 150, 2148), server("192.0.2.13", 80, 1, 171, 2153)};
  return s;
}

TEST(IpvsListing, TheDefaultListingHasIpvsadmsColumns) {
  EXPECT_EQ(ipvs_listing({web()}, IpvsFormat::list, 4096),
            "IP Virtual Server version 1.2.1 (size=4096)\n"
            "Prot LocalAddress:Port Scheduler Flags\n"
            "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"
            "TCP  192.0.2.10:80 wrr\n"
            "  -> 192.0.2.13:80                Route   1      171        2153      \n"
            "  -> 192.0.2.14:80                Route   1      150        2148      \n");
}

TEST(IpvsListing, StatsAndRatesLineUpUnderTheirHeaders) {
  ServiceStatsView s = web();
  s.counts = {.active = 0, .inactive = 0, .conns = 29,
              .traffic = {.packets_in = 203, .bytes_in = 13021, .packets_out = 145, .bytes_out = 14877}};
  s.servers.resize(1);
  s.servers[0].counts.conns = 12;
  s.servers[0].counts.traffic = {.packets_in = 84, .bytes_in = 5388, .packets_out = 60, .bytes_out = 6156};
  EXPECT_EQ(ipvs_listing({s}, IpvsFormat::stats, 4096),
            "IP Virtual Server version 1.2.1 (size=4096)\n"
            "Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes\n"
            "  -> RemoteAddress:Port\n"
            "TCP  192.0.2.10:80                      29      203      145    13021    14877\n"
            "  -> 192.0.2.14:80                      12       84       60     5388     6156\n");
  s.rates = {.conns = 54.4, .packets_in = 288, .bytes_in = 31825, .packets_out = 0, .bytes_out = 0};
  s.servers[0].rates = {.conns = 17.6, .packets_in = 95, .bytes_in = 10384, .packets_out = 0,
                        .bytes_out = 0};
  EXPECT_EQ(ipvs_listing({s}, IpvsFormat::rate, 4096),
            "IP Virtual Server version 1.2.1 (size=4096)\n"
            "Prot LocalAddress:Port                 CPS    InPPS   OutPPS    InBPS   OutBPS\n"
            "  -> RemoteAddress:Port\n"
            "TCP  192.0.2.10:80                      54      288        0    31825        0\n"
            "  -> 192.0.2.14:80                      18       95        0    10384        0\n");
}

TEST(IpvsListing, LargeNumbersAreAbbreviatedAsIpvsadmDoes) {
  EXPECT_EQ(ipvs_number(99999999), " 99999999");
  EXPECT_EQ(ipvs_number(123456789), "  123456K");
  EXPECT_EQ(ipvs_number(12345678901ULL), "   12345M");
  EXPECT_EQ(ipvs_number(1234567890123ULL), "    1234G");
  EXPECT_EQ(ipvs_number(123456789012345ULL), "     123T");
}

TEST(IpvsListing, PersistenceForwardingAndServicesInIpvsadmsOrder) {
  ServiceStatsView nat;
  nat.name = "nat";
  nat.mode = Mode::nat;
  nat.scheduler = Scheduler::wlc;
  nat.persistence = config::Persistence{.timeout = 360, .netmask = 0xffffff00, .prefix_length = {}};
  nat.listeners = {{ip("192.0.2.11"), port(443), {Protocol::tcp, Protocol::udp}}};
  nat.servers = {server("198.51.100.1", 8443, 2, 0, 0)};
  ServiceStatsView v6;
  v6.name = "v6";
  v6.mode = Mode::tun;
  v6.scheduler = Scheduler::rr;
  v6.persistence = config::Persistence{.timeout = 300, .netmask = 0xffffffff, .prefix_length = 64};
  v6.listeners = {{ip("2001:db8::1"), port(53), {Protocol::tcp}}};  // after IPv4 UDP: family first
  v6.servers = {server("2001:db8:1::2", 0, 1, 0, 0)};  // port-less: the VIP's port
  const std::string out = ipvs_listing({v6, nat, web()}, IpvsFormat::list, 65536);
  EXPECT_EQ(out,
            "IP Virtual Server version 1.2.1 (size=65536)\n"
            "Prot LocalAddress:Port Scheduler Flags\n"
            "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"
            "TCP  192.0.2.10:80 wrr\n"
            "  -> 192.0.2.13:80                Route   1      171        2153      \n"
            "  -> 192.0.2.14:80                Route   1      150        2148      \n"
            "TCP  192.0.2.11:443 wlc persistent 360 mask 255.255.255.0\n"
            "  -> 198.51.100.1:8443            Masq    2      0          0         \n"
            "UDP  192.0.2.11:443 wlc persistent 360 mask 255.255.255.0\n"
            "  -> 198.51.100.1:8443            Masq    2      0          0         \n"
            "TCP  [2001:db8::1]:53 rr persistent 300 mask 64\n"
            "  -> [2001:db8:1::2]:53           Tunnel  1      0          0         \n");
}

TEST(IpvsListing, AllPortsIsPortZeroAndTheFallbackShowsOnlyWhileInUse) {
  ServiceStatsView all;
  all.name = "all";
  all.mode = Mode::snat;
  all.scheduler = Scheduler::sh;
  all.listeners = {{ip("192.0.2.12"), {.all = true, .ranges = {}, .except = {}}, {Protocol::tcp}}};
  all.servers = {server("198.51.100.1", 0, 1, 0, 0), server("198.51.100.9", 0, 1, 0, 0)};
  all.servers[1].fallback = true;
  const std::string idle = ipvs_listing({all}, IpvsFormat::list, 1);
  EXPECT_NE(idle.find("TCP  192.0.2.12:0 sh\n  -> 198.51.100.1:0               FullNat 1"),
            std::string::npos)
      << idle;
  EXPECT_EQ(idle.find("198.51.100.9"), std::string::npos) << idle;
  all.fallback_in_use = true;
  EXPECT_NE(ipvs_listing({all}, IpvsFormat::list, 1).find("  -> 198.51.100.9:0"),
            std::string::npos);
}

}  // namespace
}  // namespace sluice::control
