// GET /metrics's text: conventional names, every sample under its family's HELP and TYPE, and
// names from a hostile configuration kept inside their label values.
#include "control/http/metrics.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <sstream>

#include "tests/unit/control/http/views.h"

namespace sluice::control::http {
namespace {

ApiReading reading() {
  ApiReading in;
  in.vips = {vip_view("web")};
  in.servers = {server_view("web", "198.18.1.21:8080"),
                server_view("web", "198.18.1.22:8080", AdminState::drain, Health::down)};
  in.servers[0].counts = {.active = 3, .inactive = 1, .conns = 42,
                          .traffic = {.packets_in = 1000, .bytes_in = 64000, .packets_out = 900,
                                      .bytes_out = 1200000}};
  in.servers[0].run.has_agent = true;
  in.servers[0].run.agent_percent = 75;
  in.stats.rx_packets = 7;
  in.stats.drops = {{"not_for_us", 2}, {"martian_source", 0}};
  in.stats.ports.push_back(PortView{});
  in.stats.ports[0].name = "front";
  in.stats.ports[0].rx_packets = 5;
  in.stats.ports[0].rx_missed = 6;
  in.stats.ports[0].xstats = {{"rx_good_packets", 5}};
  in.stats.workers.push_back(WorkerView{});
  in.stats.workers[0].rx_packets = 7;
  in.stats.workers[0].idle_loops = 8;
  in.stats.workers[0].drops = {{"not_for_us", 2}};
  HaView ha;
  ha.name = "front";
  ha.state = "master";
  ha.priority = 150;
  in.ha = {ha};
  return in;
}

// Checks the text as promtool's linter does the parts that matter here: each line a comment
// of the current family or a sample of it with well-formed labels; families not repeated.
void expect_well_formed(const std::string& text) {
  static const std::regex help(R"(# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) \S.*)");
  static const std::regex type(R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge))");
  static const std::regex sample(
      R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*",?)*\})? (\d+|\d*\.\d+(e[+-]\d+)?|NaN|[+-]Inf))");
  std::istringstream in(text);
  std::string line, family;
  std::set<std::string> seen;
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_match(line, m, help)) {
      family = m[1];
      EXPECT_TRUE(seen.insert(family).second) << "family repeated: " << family;
      EXPECT_EQ(family.rfind("sluice_", 0), 0u) << family;
      // promtool's lint: a name does not say its type.
      EXPECT_EQ(family.find("counter"), std::string::npos) << family;
      EXPECT_EQ(family.find("gauge"), std::string::npos) << family;
    } else if (std::regex_match(line, m, type)) {
      EXPECT_EQ(m[1], family) << line;
      EXPECT_EQ(m[2] == "counter", family.ends_with("_total")) << line;
    } else {
      ASSERT_TRUE(std::regex_match(line, m, sample)) << "not a sample: " << line;
      EXPECT_EQ(m[1], family) << line;
    }
  }
}

TEST(Metrics, ConventionalNamesAndValues) {
  const std::string text = render_metrics(reading(), {.requests = 5, .cut = 1});
  expect_well_formed(text);
  const std::string rs = "service=\"web\",vip=\"198.18.0.11\",port=\"80\",protocol=\"tcp\","
                         "server=\"198.18.1.21:8080\",role=\"real\"";
  for (const std::string& line : {
           "sluice_real_server_connections_total{" + rs + "} 42",
           "sluice_real_server_connections{" + rs + ",state=\"active\"} 3",
           "sluice_real_server_connections{" + rs + ",state=\"inactive\"} 1",
           "sluice_real_server_packets_total{" + rs + ",direction=\"to_server\"} 1000",
           "sluice_real_server_bytes_total{" + rs + ",direction=\"to_client\"} 1200000",
           "sluice_real_server_agent_percent{" + rs + "} 75",
           "sluice_real_server_admin_state{" + rs + ",state=\"online\"} 1",
           "sluice_real_server_admin_state{" + rs + ",state=\"drain\"} 0",
           std::string("sluice_real_server_up{service=\"web\",vip=\"198.18.0.11\",port=\"80\","
                       "protocol=\"tcp\",server=\"198.18.1.22:8080\",role=\"real\"} 0"),
           std::string("sluice_virtual_service_state{service=\"web\",vip=\"198.18.0.11\",port=\"80\","
                       "protocol=\"tcp\",state=\"degraded\"} 1"),
           std::string("sluice_virtual_service_info{service=\"web\",vip=\"198.18.0.11\",port=\"80\","
                       "protocol=\"tcp\",mode=\"nat\",scheduler=\"rr\"} 1"),
           std::string("sluice_received_packets_total 7"),
           std::string("sluice_dropped_packets_total{reason=\"not_for_us\"} 2"),
           std::string("sluice_port_received_packets_total{interface=\"front\"} 5"),
           std::string("sluice_worker_received_packets_total{worker=\"0\"} 7"),
           std::string("sluice_worker_idle_polls_total{worker=\"0\"} 8"),
           std::string("sluice_worker_dropped_packets_total{worker=\"0\",reason=\"not_for_us\"} 2"),
           std::string("sluice_port_missed_packets_total{interface=\"front\"} 6"),
           std::string("sluice_port_xstats_total{interface=\"front\",name=\"rx_good_packets\"} 5"),
           std::string("sluice_ha_state{instance=\"front\",state=\"master\"} 1"),
           std::string("sluice_ha_state{instance=\"front\",state=\"backup\"} 0"),
           std::string("sluice_ha_priority{instance=\"front\"} 150"),
           std::string("sluice_http_requests_total 5"),
       }) {
    EXPECT_NE(text.find("\n" + line + "\n"), std::string::npos) << line;
  }
  // Only servers with an agent's word have an agent series.
  EXPECT_EQ(text.find("sluice_real_server_agent_percent{service=\"web\",vip=\"198.18.0.11\",port="
                      "\"80\",protocol=\"tcp\",server=\"198.18.1.22:8080\""),
            std::string::npos);
  EXPECT_EQ(text.find("sluice_sync_"), std::string::npos);  // no sync configured
}

TEST(Metrics, AServiceWithoutRealServersHasItsState) {
  ApiReading in = reading();
  in.vips.push_back(vip_view("empty"));
  const std::string text = render_metrics(in, {});
  EXPECT_NE(text.find("sluice_virtual_service_state{service=\"empty\",vip=\"198.18.0.11\",port="
                      "\"80\",protocol=\"tcp\",state=\"down\"} 1"),
            std::string::npos)
      << text;
}

TEST(Metrics, HostileNamesStayInsideTheirLabels) {
  ApiReading in = reading();
  const std::string hostile = "x\"} 1\nsluice_fake_total{a=\"\\\n\xFF<b>";
  in.vips[0].name = hostile;
  for (ServerView& s : in.servers) s.service = hostile;
  in.ha[0].name = hostile;
  in.stats.ports[0].name = hostile;
  const std::string text = render_metrics(in, {});
  expect_well_formed(text);
  EXPECT_EQ(text.find("\nsluice_fake_total"), std::string::npos);
  EXPECT_NE(text.find("service=\"x\\\"} 1\\nsluice_fake_total{a=\\\"\\\\\\n\xEF\xBF\xBD<b>\""),
            std::string::npos);
}

TEST(Metrics, SyncCountersWhenConfigured) {
  ApiReading in = reading();
  in.sync = SyncView{};
  in.sync->peer = "198.18.1.6:7778";
  in.sync->records_sent = 9;
  in.sync->outbox = 2;
  in.sync->drops = {{"sync_bad_signature", 1}};
  const std::string text = render_metrics(in, {});
  expect_well_formed(text);
  EXPECT_NE(text.find("\nsluice_sync_records_sent_total{peer=\"198.18.1.6:7778\"} 9\n"), std::string::npos);
  EXPECT_NE(text.find("\nsluice_sync_outbox{peer=\"198.18.1.6:7778\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("\nsluice_sync_dropped_total{peer=\"198.18.1.6:7778\",reason=\"sync_bad_signature\"} 1\n"),
            std::string::npos);
}

}  // namespace
}  // namespace sluice::control::http
