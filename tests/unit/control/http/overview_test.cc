// The status page's overview fragment and shell: the seeds' colours as classes, and nothing
// from the configuration able to add markup or script.
#include "control/http/overview.h"

#include <gtest/gtest.h>

#include "control/http/page.h"
#include "tests/unit/control/http/views.h"

namespace sluice::control::http {
namespace {

OverviewInput input() {
  OverviewInput in;
  in.api.vips = {vip_view("web")};
  in.api.servers = {server_view("web", "198.18.1.21:8080"),
                    server_view("web", "198.18.1.22:8080", AdminState::halt),
                    server_view("web", "198.18.1.23:8080", AdminState::online, Health::down)};
  in.now = 1700000000;
  return in;
}

TEST(Overview, ServersAndServicesInTheSeedsColours) {
  const std::string html = render_overview(input());
  EXPECT_NE(html.find("<tr class=\"vip state-degraded\">"), std::string::npos) << html;
  EXPECT_NE(html.find("<tr class=\"rip colour-green\" data-server=\"198.18.1.21:8080\">"), std::string::npos);
  EXPECT_NE(html.find("<tr class=\"rip colour-blue\" data-server=\"198.18.1.22:8080\">"), std::string::npos);
  EXPECT_NE(html.find("<tr class=\"rip colour-red\" data-server=\"198.18.1.23:8080\">"), std::string::npos);
  EXPECT_NE(html.find("Online (Halt)"), std::string::npos);
  EXPECT_NE(html.find("2023-11-14 22:13:20 UTC"), std::string::npos);
  EXPECT_EQ(html.find("<button"), std::string::npos);  // read-only without actions
}

TEST(Overview, RatesInTheServersAndSummedForTheService) {
  OverviewInput in = input();
  in.api.servers[0].rates = {.conns = 12.5, .bytes_in = 1000, .bytes_out = 1500000};
  in.api.servers[1].rates = {.conns = 2.5, .bytes_in = 250, .bytes_out = 0};
  const std::string html = render_overview(in);
  EXPECT_NE(html.find("<td class=\"n\">12.5</td><td class=\"n\">8.0 kbit/s / 12.0 Mbit/s</td>"),
            std::string::npos) << html;
  EXPECT_NE(html.find("<td class=\"n\">15.0</td><td class=\"n\">10.0 kbit/s / 12.0 Mbit/s</td>"),
            std::string::npos) << html;
}

TEST(Overview, ActionsNameTheServerAsSetServerDoes) {
  OverviewInput in = input();
  in.action_refs["web"] = "198.18.0.11:80/tcp";
  const std::string html = render_overview(in);
  EXPECT_NE(html.find("data-ref=\"198.18.0.11:80/tcp 198.18.1.21:8080\""), std::string::npos) << html;
  EXPECT_NE(html.find("<button data-state=\"drain\">drain</button>"), std::string::npos);
}

// A service may have no real server (real_servers: []): it is listed, and down.
TEST(Overview, AServiceWithoutRealServersIsListedAsDown) {
  OverviewInput in = input();
  in.api.vips.push_back(vip_view("empty"));
  const std::string html = render_overview(in);
  const size_t at = html.find("<tbody class=\"service\" data-service=\"empty\">");
  ASSERT_NE(at, std::string::npos) << html;
  EXPECT_EQ(html.find("<tr class=\"vip state-down\">", at), at + 44) << html.substr(at, 120);
}

TEST(Overview, HostileNamesAreEscaped) {
  OverviewInput in = input();
  const std::string hostile = "<script>alert(1)</script>\"><img src=x onerror=alert(2)>'&";
  in.api.vips[0].name = hostile;
  for (ServerView& s : in.api.servers) {
    s.service = hostile;
    s.run.check_result = hostile;
  }
  HaView ha;
  ha.name = hostile;
  ha.state = "master";
  ha.last_change = hostile;
  in.api.ha = {ha};
  in.action_refs[hostile] = "198.18.0.11:80/tcp";
  const std::string html = render_overview(in);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_EQ(html.find("\"><img"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x "
                      "onerror=alert(2)&gt;&#39;&amp;"),
            std::string::npos);
}

TEST(Page, ShellRefreshesTheOverviewWithoutReloading) {
  const std::string page = render_page("<p>OVERVIEW</p>", 1000, false);
  EXPECT_TRUE(page.starts_with("<!DOCTYPE html>"));
  EXPECT_NE(page.find("<div id=\"overview\"><p>OVERVIEW</p></div>"), std::string::npos);
  EXPECT_NE(page.find("setInterval(refresh, 1000)"), std::string::npos);
  EXPECT_NE(page.find("fetch('/status/overview'"), std::string::npos);
  EXPECT_EQ(page.find("id=\"token\""), std::string::npos);
  EXPECT_EQ(page.find("'/action'"), std::string::npos);
  const std::string with_actions = render_page("", 500, true);
  EXPECT_NE(with_actions.find("id=\"token\""), std::string::npos);
  EXPECT_NE(with_actions.find("'Bearer '"), std::string::npos);
}

}  // namespace
}  // namespace sluice::control::http
