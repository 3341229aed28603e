// The seeds' colours for real servers and states for services.
#include "control/http/status_rules.h"

#include <gtest/gtest.h>

#include "tests/unit/control/http/views.h"

namespace sluice::control::http {
namespace {

TEST(StatusRules, ServerColours) {
  EXPECT_EQ(colour_of(server_view("s", "a")), Colour::green);
  EXPECT_EQ(colour_of(server_view("s", "a", AdminState::drain)), Colour::blue);
  EXPECT_EQ(colour_of(server_view("s", "a", AdminState::halt, Health::down)), Colour::blue);
  EXPECT_EQ(colour_of(server_view("s", "a", AdminState::online, Health::down)), Colour::red);
  EXPECT_EQ(colour_of(server_view("s", "a", AdminState::online, Health::rising)), Colour::red);
  EXPECT_EQ(colour_of(server_view("s", "a", AdminState::online, Health::falling)), Colour::amber);
  EXPECT_EQ(colour_of(server_view("s", "a", AdminState::online, Health::unchecked)), Colour::green);
  ServerView agent_down = server_view("s", "a");
  agent_down.run.agent_up = false;
  EXPECT_EQ(colour_of(agent_down), Colour::red);
  ServerView agent_drain = server_view("s", "a");
  agent_drain.effective_state = AdminState::drain;
  agent_drain.decided_by = "agent drain";
  EXPECT_EQ(colour_of(agent_drain), Colour::amber);
  ServerView weightless = server_view("s", "a");
  weightless.weight = 0;
  EXPECT_EQ(colour_of(weightless), Colour::amber);
  ServerView unresolved = server_view("s", "a");
  unresolved.reachable = false;
  EXPECT_EQ(colour_of(unresolved), Colour::amber);
}

TEST(StatusRules, ServiceStates) {
  const ServerView green = server_view("s", "a");
  const ServerView red = server_view("s", "b", AdminState::online, Health::down);
  const ServerView blue = server_view("s", "c", AdminState::halt);
  ServerView fallback = server_view("s", "f");
  fallback.fallback = true;
  using V = std::vector<ServerView>;
  EXPECT_EQ(state_of(V{green, green}), ServiceState::up);
  EXPECT_EQ(state_of(V{green, red}), ServiceState::degraded);
  EXPECT_EQ(state_of(V{green, blue}), ServiceState::degraded);
  EXPECT_EQ(state_of(V{red, red, fallback}), ServiceState::down);
  EXPECT_EQ(state_of(V{red, blue}), ServiceState::down);
  EXPECT_EQ(state_of(V{blue, blue, fallback}), ServiceState::offline);
  EXPECT_EQ(state_of(V{}), ServiceState::down);
  EXPECT_EQ(state_of(V{fallback}), ServiceState::down);
}

TEST(StatusRules, ServersAreGroupedByService) {
  const std::vector<ServerView> all{server_view("a", "1"), server_view("a", "2"),
                                    server_view("c", "1")};
  // "a" has two listeners; "b" has no real server.
  const std::vector<VipView> vips{vip_view("a"), vip_view("a"), vip_view("b"), vip_view("c")};
  const auto groups = by_service(vips, all);
  ASSERT_EQ(groups.size(), 3u);
  EXPECT_EQ(groups[0].service, &vips[0]);
  EXPECT_EQ(groups[0].servers.size(), 2u);
  EXPECT_EQ(groups[1].service->name, "b");
  EXPECT_TRUE(groups[1].servers.empty());
  EXPECT_EQ(state_of(groups[1].servers), ServiceState::down);
  EXPECT_EQ(groups[2].service->name, "c");
  EXPECT_EQ(groups[2].servers.front().service, "c");
  EXPECT_TRUE(by_service({}, std::vector<ServerView>{}).empty());
}

}  // namespace
}  // namespace sluice::control::http
