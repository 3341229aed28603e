#include "control/command_parse.h"

#include <gtest/gtest.h>

#include "common/ip_text.h"

#include <string>

namespace sluice::control {
namespace {

TEST(CommandParse, ShowCommands) {
  EXPECT_TRUE(std::holds_alternative<ShowVips>(*parse_command("show vips").command));
  EXPECT_TRUE(std::holds_alternative<ShowServers>(*parse_command("  show   servers ").command));
  EXPECT_TRUE(std::holds_alternative<ShowStats>(*parse_command("show\tstats").command));
  EXPECT_TRUE(std::holds_alternative<ShowConns>(*parse_command("show conns").command));
  EXPECT_TRUE(std::holds_alternative<Reload>(*parse_command("reload").command));
  EXPECT_TRUE(std::holds_alternative<ShowPersistence>(*parse_command("show persistence").command));
  EXPECT_TRUE(std::holds_alternative<ShowNeighbours>(*parse_command("show neighbours").command));
  EXPECT_TRUE(
      std::holds_alternative<ClearPersistence>(*parse_command("clear persistence").command));
  EXPECT_TRUE(std::holds_alternative<ShowHa>(*parse_command("show ha").command));
}

TEST(CommandParse, ShowStatsTakesRateAndAVipInEitherOrder) {
  const auto stats = [](const char* line) {
    const ParsedCommand p = parse_command(line);
    EXPECT_TRUE(p.command) << line << ": " << p.error;
    return p.command ? std::get<ShowStats>(*p.command) : ShowStats{};
  };
  EXPECT_FALSE(stats("show stats").vip);
  EXPECT_FALSE(stats("show stats --rate").vip);
  EXPECT_EQ(stats("show stats 198.18.0.10").vip, parse_ip("198.18.0.10"));
  EXPECT_EQ(stats("show stats --rate 2001:db8::10").vip, parse_ip("2001:db8::10"));
  EXPECT_EQ(stats("show stats 198.18.0.10 --rate").vip, parse_ip("198.18.0.10"));
}

TEST(CommandParse, ShowIpvsFormats) {
  const auto ipvs = [](const char* line) { return std::get<ShowIpvs>(*parse_command(line).command); };
  EXPECT_EQ(ipvs("show ipvs").format, IpvsFormat::list);
  EXPECT_EQ(ipvs("show ipvs --stats").format, IpvsFormat::stats);
  EXPECT_EQ(ipvs("show ipvs --rate").format, IpvsFormat::rate);
}

TEST(CommandParse, BadStatsAndIpvsOptionsAreRefusedWithTheUsage) {
  for (const char* line :
       {"show stats --rate --rate", "show stats 198.18.0.10 198.18.0.11", "show stats --bytes",
        "show stats 198.18.0.300", "show stats 198.18.0.10:80", "show ipvs --stats --rate",
        "show ipvs -Ln", "show ipvs --exact"}) {
    const ParsedCommand p = parse_command(line);
    EXPECT_FALSE(p.command) << line;
    EXPECT_TRUE(p.error.starts_with("usage: show") || p.error.starts_with("bad VIP")) << p.error;
  }
}

TEST(CommandParse, HaCommands) {
  const auto ha = [](const char* line) { return std::get<HaCommand>(*parse_command(line).command); };
  EXPECT_TRUE(ha("ha failover").failover);
  EXPECT_EQ(ha("ha failover front").instance, "front");
  EXPECT_FALSE(ha("ha maintenance on").failover);
  EXPECT_TRUE(ha("ha maintenance on").maintenance);
  EXPECT_FALSE(ha("ha maintenance off back").maintenance);
  EXPECT_EQ(ha("ha maintenance off back").instance, "back");
  EXPECT_TRUE(std::holds_alternative<HaPush>(*parse_command("ha push").command));
}

TEST(CommandParse, SetServerState) {
  const auto p = parse_command("set server 198.18.0.11:80 198.18.1.21:8080 state drain");
  ASSERT_TRUE(p.command) << p.error;
  const auto& s = std::get<SetServer>(*p.command);
  EXPECT_EQ(s.service.port, 80);
  EXPECT_EQ(s.server.port, 8080);
  EXPECT_EQ(s.state, AdminState::drain);
  EXPECT_FALSE(s.weight);
  EXPECT_FALSE(s.protocol);
}

TEST(CommandParse, SetServerWeightAndProtocol) {
  const auto p = parse_command("set server 198.18.0.11:53/udp 198.18.1.21:5353 weight 65535");
  ASSERT_TRUE(p.command) << p.error;
  const auto& s = std::get<SetServer>(*p.command);
  EXPECT_EQ(s.weight, 65535u);
  EXPECT_EQ(s.protocol, Protocol::udp);
}

TEST(CommandParse, SetServerTakesIpv6InBrackets) {
  const auto p = parse_command("set server [2001:2::11]:80/tcp [2001:2:0:1::21]:8080 weight 3");
  ASSERT_TRUE(p.command) << p.error;
  const auto& s = std::get<SetServer>(*p.command);
  EXPECT_EQ(s.service.address, *parse_ip("2001:2::11"));
  EXPECT_EQ(s.service.port, 80);
  EXPECT_EQ(s.server.address, *parse_ip("2001:2:0:1::21"));
  EXPECT_EQ(s.server.port, 8080);
  EXPECT_EQ(s.protocol, Protocol::tcp);
  EXPECT_EQ(s.weight, 3u);
  for (const char* bad : {"set server 2001:2::11:80 [2001:2:0:1::21]:8080 weight 3",
                          "set server [2001:2::11]:80 2001:2:0:1::21:8080 weight 3",
                          "set server [2001:2::11:80 [2001:2:0:1::21]:8080 weight 3"}) {
    EXPECT_FALSE(parse_command(bad).command) << bad;
  }
}

// `show servers` prints a server without port of a `ports: all` service as ADDRESS:*.
TEST(CommandParse, SetServerTakesAStarForAServerWithoutPort) {
  for (const char* line : {"set server 198.18.0.11:80 198.18.1.21:* state drain",
                           "set server [2001:2::11]:80 [2001:2:0:1::21]:* state drain"}) {
    const auto p = parse_command(line);
    ASSERT_TRUE(p.command) << line << ": " << p.error;
    EXPECT_EQ(std::get<SetServer>(*p.command).server.port, 0) << line;
  }
  for (const char* bad : {"set server 198.18.0.11:80 198.18.1.21:** state drain",
                          "set server 198.18.0.11:80 *:* state drain",
                          "set server 198.18.0.11:80 198.18.1.21* state drain",
                          "set server 198.18.0.11:* 198.18.1.21:* state drain",
                          "set server 198.18.0.11:80 2001:2:0:1::21:* state drain"}) {
    EXPECT_FALSE(parse_command(bad).command) << bad;
  }
}

struct Naming {
  const char* server;            // in the command: RIP:PORT or RIP:*
  std::optional<uint16_t> port;  // the real server's in the config
  bool named;
};

TEST(CommandParse, SetServerNamesAServerByItsPortTheServicesPortOrAStar) {
  for (const Naming& n : {Naming{"198.18.1.21:*", std::nullopt, true},
                          Naming{"198.18.1.21:*", 8080, false},
                          Naming{"198.18.1.21:80", std::nullopt, true},  // the command's VIP port
                          Naming{"198.18.1.21:81", std::nullopt, false},
                          Naming{"198.18.1.21:8080", 8080, true},
                          Naming{"198.18.1.22:8080", 8080, false}}) {
    const auto p = parse_command(std::string("set server 198.18.0.11:80 ") + n.server + " weight 1");
    ASSERT_TRUE(p.command) << p.error;
    config::RealServer rs;
    rs.address = *parse_ip("198.18.1.21");
    rs.port = n.port;
    EXPECT_EQ(names_server(std::get<SetServer>(*p.command), rs), n.named)
        << n.server << " " << n.port.value_or(0);
  }
}

struct Bad {
  std::string line;
  std::string error_part;
};

class CommandParseErrors : public testing::TestWithParam<Bad> {};

TEST_P(CommandParseErrors, GiveOneLineErrors) {
  const auto p = parse_command(GetParam().line);
  EXPECT_FALSE(p.command);
  EXPECT_NE(p.error.find(GetParam().error_part), std::string::npos) << p.error;
  EXPECT_EQ(p.error.find('\n'), std::string::npos);
  EXPECT_LT(p.error.size(), 200u);
}

INSTANTIATE_TEST_SUITE_P(
    Hostile, CommandParseErrors,
    testing::Values(
        Bad{"", "empty"}, Bad{"   ", "empty"}, Bad{"show", "unknown command"},
        Bad{"show nothing", "show 'nothing'"}, Bad{"show vips extra", "unknown command"},
        Bad{"frobnicate", "unknown command"}, Bad{"clear", "unknown command"},
        Bad{"clear persistence now", "unknown command"}, Bad{"reload now", "unknown command"},
        Bad{"set server", "usage"}, Bad{"set server 1.2.3 x state up", "bad virtual service"},
        Bad{"set server 1.2.3:80 1.2.3.4:80 state up", "bad virtual service"},
        Bad{"set server 1.2.3.4:80 1.2.3.4 state online", "bad real server"},
        Bad{"set server 1.2.3.4:80 1.2.3.4:0 state online", "bad real server"},
        Bad{"set server 1.2.3.4:80 1.2.3.4:80 state up", "unknown state"},
        Bad{"set server 1.2.3.4:80 1.2.3.4:80 weight 70000", "bad weight"},
        Bad{"set server 1.2.3.4:80 1.2.3.4:80 weight -1", "bad weight"},
        Bad{"set server 1.2.3.4:80 1.2.3.4:80 weight 1x", "bad weight"},
        Bad{"set server 1.2.3.4:80 1.2.3.4:80 weight 99999999999999999999", "bad weight"},
        Bad{"set server 1.2.3.4:80/sctp 1.2.3.4:80 weight 1", "unknown protocol"},
        Bad{"set server 1.2.3.4:80 1.2.3.4:80 colour red", "usage"},
        Bad{std::string("show\0vips", 9), "control characters"},
        Bad{"show vips\r", "control characters"}, Bad{std::string(5000, 'a'), "longer than"},
        Bad{std::string(4000, 'a'), "unknown command"}, Bad{"ha", "usage: ha"},
        Bad{"ha failover a b", "usage: ha"}, Bad{"ha maintenance", "usage: ha"},
        Bad{"ha maintenance maybe", "usage: ha"}, Bad{"ha maintenance on a b", "usage: ha"},
        Bad{"ha reboot", "usage: ha"}, Bad{"ha push now", "usage: ha"},
        Bad{"ha push front", "usage: ha"}));

}  // namespace
}  // namespace sluice::control
