// How operator, health check and feedback agent together decide a server's state
// (control/health/combine.cc).
#include "control/health/combine.h"

#include <gtest/gtest.h>

#include <ostream>

namespace sluice::control::health {

// Readable failures: "drain weight 10 by health down".
void PrintTo(const Effective& e, std::ostream* os) {
  *os << to_string(e.state) << " weight " << e.weight << " by \"" << e.decided_by << '"';
}

namespace {

constexpr uint32_t kWeight = 10;

ServerSources online() {
  ServerSources s;
  s.weight = kWeight;
  return s;
}

TEST(Combine, WithNothingToSayTheOperatorsWeightStands) {
  EXPECT_EQ(combine(online()), (Effective{AdminState::online, kWeight, ""}));
  for (const Health health : {Health::unchecked, Health::up, Health::falling}) {
    ServerSources s = online();
    s.health = health;
    EXPECT_EQ(combine(s), (Effective{AdminState::online, kWeight, ""})) << to_string(health);
  }
}

TEST(Combine, OperatorHalt) {
  ServerSources s = online();
  s.admin = AdminState::halt;
  EXPECT_EQ(combine(s), (Effective{AdminState::halt, kWeight, "operator halt"}));
}

TEST(Combine, HealthDownAndRisingTakeNoNewConnections) {
  ServerSources s = online();
  s.health = Health::down;
  EXPECT_EQ(combine(s), (Effective{AdminState::drain, kWeight, "health down"}));
  s.health = Health::rising;  // not yet back
  EXPECT_EQ(combine(s), (Effective{AdminState::drain, kWeight, "health rising"}));
}

// IPVS's expire_nodest_conn: a failed server's connections are cut when the service says so.
TEST(Combine, OnFailureCutHaltsAFailedServer) {
  ServerSources s = online();
  s.on_failure = KeepOrCut::cut;
  s.health = Health::down;
  EXPECT_EQ(combine(s), (Effective{AdminState::halt, kWeight, "health down"}));
  s.health = Health::rising;
  EXPECT_EQ(combine(s), (Effective{AdminState::halt, kWeight, "health rising"}));
  s.health = Health::up;
  s.agent_up = false;
  EXPECT_EQ(combine(s), (Effective{AdminState::halt, kWeight, "agent down"}));
}

// Cut is for failures only: a drain, the operator's or the agent's, lets connections finish.
TEST(Combine, OnFailureCutLeavesDrainsAlone) {
  ServerSources s = online();
  s.on_failure = KeepOrCut::cut;
  s.admin = AdminState::drain;
  EXPECT_EQ(combine(s), (Effective{AdminState::drain, kWeight, "operator drain"}));
  s.admin = AdminState::online;
  s.agent_admin = AgentAdmin::maint;
  EXPECT_EQ(combine(s), (Effective{AdminState::drain, kWeight, "agent maint"}));
  s.agent_percent = 0;
  s.agent_admin = std::nullopt;
  EXPECT_EQ(combine(s), (Effective{AdminState::online, 0, "agent 0%"}));
}

TEST(Combine, AgentDownIsAsHealthDownUntilItSaysUp) {
  ServerSources s = online();
  s.agent_up = false;
  EXPECT_EQ(combine(s), (Effective{AdminState::drain, kWeight, "agent down"}));
  s.agent_up = true;
  EXPECT_EQ(combine(s), (Effective{AdminState::online, kWeight, ""}));
}

TEST(Combine, OperatorDrain) {
  ServerSources s = online();
  s.admin = AdminState::drain;
  EXPECT_EQ(combine(s), (Effective{AdminState::drain, kWeight, "operator drain"}));
}

TEST(Combine, AgentMaintAndDrainAreAsOperatorDrainUntilItSaysReady) {
  ServerSources s = online();
  s.agent_admin = AgentAdmin::maint;
  EXPECT_EQ(combine(s), (Effective{AdminState::drain, kWeight, "agent maint"}));
  s.agent_admin = AgentAdmin::drain;
  EXPECT_EQ(combine(s), (Effective{AdminState::drain, kWeight, "agent drain"}));
  s.agent_admin = AgentAdmin::ready;
  EXPECT_EQ(combine(s), (Effective{AdminState::online, kWeight, ""}));
}

// The seeds' formula: floor(weight * percent / 100).
TEST(Combine, TheAgentsPercentageScalesTheWeightRoundingDown) {
  struct Case {
    uint32_t weight, percent, effective;
  };
  for (const Case c :
       {Case{10, 100, 10}, Case{10, 75, 7}, Case{10, 79, 7}, Case{10, 1, 0}, Case{3, 50, 1},
        Case{100, 33, 33}, Case{65535, 100, 65535}, Case{65535, 99, 64879}, Case{65535, 1, 655}}) {
    ServerSources s = online();
    s.weight = c.weight;
    s.agent_percent = c.percent;
    EXPECT_EQ(combine(s).weight, c.effective) << c.weight << " at " << c.percent << "%";
  }
}

TEST(Combine, AWeightScaledToZeroTakesNoNewConnections) {
  ServerSources s = online();
  s.agent_percent = 0;
  EXPECT_EQ(combine(s), (Effective{AdminState::online, 0, "agent 0%"}));
  s.weight = 1;
  s.agent_percent = 50;  // floor(0.5)
  EXPECT_EQ(combine(s), (Effective{AdminState::online, 0, "agent 0%"}));
  // The operator's own weight 0 is not the agent's doing.
  s.weight = 0;
  s.agent_percent = 0;
  EXPECT_EQ(combine(s), (Effective{AdminState::online, 0, ""}));
}

// Rules apply first match first: each added source of a higher rule takes over from those
// below it, which are all still present.
TEST(Combine, EachRuleBeatsEveryRuleBelowIt) {
  ServerSources s = online();
  s.agent_percent = 0;
  EXPECT_EQ(combine(s).decided_by, "agent 0%");
  s.agent_admin = AgentAdmin::drain;
  EXPECT_EQ(combine(s).decided_by, "agent drain");
  s.agent_admin = AgentAdmin::maint;
  EXPECT_EQ(combine(s).decided_by, "agent maint");
  s.admin = AdminState::drain;
  EXPECT_EQ(combine(s).decided_by, "operator drain");
  s.agent_up = false;
  EXPECT_EQ(combine(s).decided_by, "agent down");
  s.health = Health::rising;
  EXPECT_EQ(combine(s).decided_by, "health rising");
  s.health = Health::down;
  EXPECT_EQ(combine(s).decided_by, "health down");
  s.admin = AdminState::halt;
  EXPECT_EQ(combine(s), (Effective{AdminState::halt, kWeight, "operator halt"}));
}

TEST(Combine, HealthDownBeatsAgentUp) {
  ServerSources s = online();
  s.health = Health::down;
  s.agent_up = true;
  s.agent_admin = AgentAdmin::ready;
  s.agent_percent = 100;
  EXPECT_EQ(combine(s), (Effective{AdminState::drain, kWeight, "health down"}));
}

TEST(Combine, OperatorHaltBeatsEverything) {
  for (const Health health :
       {Health::unchecked, Health::up, Health::down, Health::rising, Health::falling}) {
    ServerSources s = online();
    s.admin = AdminState::halt;
    s.health = health;
    s.agent_up = true;
    s.agent_admin = AgentAdmin::ready;
    s.agent_percent = 50;
    EXPECT_EQ(combine(s), (Effective{AdminState::halt, kWeight, "operator halt"}))
        << to_string(health);
  }
}

}  // namespace
}  // namespace sluice::control::health
