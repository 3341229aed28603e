// The feedback agent's reply grammar (control/health/agent_reply.cc): Loadbalancer.org's bare
// idle percentage and HAProxy's agent-check words.
#include "control/health/agent_reply.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sluice::control::health {
namespace {

using Words = std::vector<std::string>;

TEST(AgentReply, BareIntegerIsTheIdlePercentage) {
  for (uint32_t percent = 0; percent <= 100; ++percent) {
    const AgentReply reply = parse_agent_reply(std::to_string(percent) + "\n");
    EXPECT_EQ(reply.percent, percent);
    EXPECT_FALSE(reply.admin);
    EXPECT_FALSE(reply.up);
    EXPECT_TRUE(reply.unknown.empty());
    EXPECT_FALSE(reply.empty());
  }
}

TEST(AgentReply, PercentWordsFromZeroToAHundred) {
  for (uint32_t percent = 0; percent <= 100; ++percent) {
    EXPECT_EQ(parse_agent_reply(std::to_string(percent) + "%").percent, percent);
  }
  EXPECT_EQ(parse_agent_reply("007%").percent, 7u);
}

// An agent may lower a server's weight, never raise it above the configured one.
TEST(AgentReply, PercentagesAboveAHundredAreAHundred) {
  EXPECT_EQ(parse_agent_reply("101%").percent, 100u);
  EXPECT_EQ(parse_agent_reply("250").percent, 100u);
  EXPECT_EQ(parse_agent_reply("4294967295%").percent, 100u);
}

TEST(AgentReply, EveryKeyword) {
  EXPECT_EQ(parse_agent_reply("ready").admin, AgentAdmin::ready);
  EXPECT_EQ(parse_agent_reply("drain").admin, AgentAdmin::drain);
  EXPECT_EQ(parse_agent_reply("maint").admin, AgentAdmin::maint);
  EXPECT_EQ(parse_agent_reply("up").up, true);
  EXPECT_EQ(parse_agent_reply("down").up, false);
  EXPECT_EQ(parse_agent_reply("fail").up, false);
  EXPECT_EQ(parse_agent_reply("stopped").up, false);
  // Each word says one thing only.
  const AgentReply admin = parse_agent_reply("maint");
  EXPECT_FALSE(admin.up);
  EXPECT_FALSE(admin.percent);
  const AgentReply operational = parse_agent_reply("down");
  EXPECT_FALSE(operational.admin);
  EXPECT_FALSE(operational.percent);
  EXPECT_TRUE(operational.unknown.empty());
}

TEST(AgentReply, WordsAreMatchedWhateverTheirCase) {
  EXPECT_EQ(parse_agent_reply("READY").admin, AgentAdmin::ready);
  EXPECT_EQ(parse_agent_reply("Drain").admin, AgentAdmin::drain);
  EXPECT_EQ(parse_agent_reply("mAiNt").admin, AgentAdmin::maint);
  EXPECT_EQ(parse_agent_reply("UP").up, true);
  EXPECT_EQ(parse_agent_reply("Down").up, false);
  EXPECT_EQ(parse_agent_reply("FAIL").up, false);
  EXPECT_EQ(parse_agent_reply("StOpPeD").up, false);
}

TEST(AgentReply, SeveralWordsInOneReply) {
  const AgentReply all = parse_agent_reply("up 75% ready\n");
  EXPECT_EQ(all.up, true);
  EXPECT_EQ(all.percent, 75u);
  EXPECT_EQ(all.admin, AgentAdmin::ready);
  EXPECT_TRUE(all.unknown.empty());

  const AgentReply comma = parse_agent_reply("drain,50%");
  EXPECT_EQ(comma.admin, AgentAdmin::drain);
  EXPECT_EQ(comma.percent, 50u);

  const AgentReply mixed = parse_agent_reply(" \t50%,\t, maint  up \r\n");
  EXPECT_EQ(mixed.percent, 50u);
  EXPECT_EQ(mixed.admin, AgentAdmin::maint);
  EXPECT_EQ(mixed.up, true);
  EXPECT_TRUE(mixed.unknown.empty());
}

// Words are read in order; of each kind the last one counts.
TEST(AgentReply, TheLastWordOfEachKindCounts) {
  const AgentReply reply = parse_agent_reply("down 20% maint up 30% ready");
  EXPECT_EQ(reply.up, true);
  EXPECT_EQ(reply.percent, 30u);
  EXPECT_EQ(reply.admin, AgentAdmin::ready);
  EXPECT_EQ(parse_agent_reply("up stopped").up, false);
  EXPECT_EQ(parse_agent_reply("ready drain").admin, AgentAdmin::drain);
}

TEST(AgentReply, TheTextAfterASharpIsTheReason) {
  const AgentReply down = parse_agent_reply("down#disk full\n");
  EXPECT_EQ(down.up, false);
  EXPECT_EQ(down.reason, "disk full");
  EXPECT_TRUE(down.unknown.empty());

  const AgentReply spaced = parse_agent_reply("fail # backend gone, retry later \r\n");
  EXPECT_EQ(spaced.up, false);
  EXPECT_EQ(spaced.reason, "backend gone, retry later");  // commas in a reason are not words
  EXPECT_TRUE(spaced.unknown.empty());

  const AgentReply stopped = parse_agent_reply("STOPPED#maintenance window");
  EXPECT_EQ(stopped.up, false);
  EXPECT_EQ(stopped.reason, "maintenance window");

  // Words in the reason are not read: "up" there does not bring the server up.
  const AgentReply words = parse_agent_reply("down#will be up 50% soon");
  EXPECT_EQ(words.up, false);
  EXPECT_FALSE(words.percent);

  EXPECT_EQ(parse_agent_reply("down#").reason, "");
  EXPECT_EQ(parse_agent_reply("down").reason, "");
}

TEST(AgentReply, OnlyTheFirstLineCounts) {
  const AgentReply crlf = parse_agent_reply("75%\r\nignored down");
  EXPECT_EQ(crlf.percent, 75u);
  EXPECT_FALSE(crlf.up);
  EXPECT_TRUE(crlf.unknown.empty());

  EXPECT_EQ(parse_agent_reply("up\ndown").up, true);
  EXPECT_EQ(parse_agent_reply("up\rdown").up, true);
  EXPECT_EQ(parse_agent_reply("down#dead\nup").reason, "dead");
  EXPECT_TRUE(parse_agent_reply("\nup 50%").empty());
}

// A reply without its line end (the agent closed early) is still read.
TEST(AgentReply, APartialLineIsRead) {
  const AgentReply reply = parse_agent_reply("drain 40");
  EXPECT_EQ(reply.admin, AgentAdmin::drain);
  EXPECT_EQ(reply.percent, 40u);
  EXPECT_FALSE(reply.cut);
}

TEST(AgentReply, EmptyOrBlankRepliesSayNothing) {
  for (const char* text : {"", "\n", "\r\n", "   ", " \t , ,\t", "  \r\n75%"}) {
    const AgentReply reply = parse_agent_reply(text);
    EXPECT_TRUE(reply.empty()) << '"' << text << '"';
    EXPECT_TRUE(reply.unknown.empty()) << '"' << text << '"';
  }
}

TEST(AgentReply, GarbageIsKeptAsUnknownWordsAndChangesNothing) {
  for (const char* word :
       {"12abc", "-5", "+5", "50.5%", "%", "5%%", "%5", "0x10", "99999999999999999999",
        "4294967296%", "upp", "dow", "weight:5", "maxconn:10", "ready!", "\xff\xfe"}) {
    const AgentReply reply = parse_agent_reply(word);
    EXPECT_TRUE(reply.empty()) << word;
    EXPECT_EQ(reply.unknown, Words{word});
  }
}

TEST(AgentReply, UnknownWordsAreKeptAsReceivedNextToKnownOnes) {
  const AgentReply reply = parse_agent_reply("Hello 75% WORLD,up");
  EXPECT_EQ(reply.percent, 75u);
  EXPECT_EQ(reply.up, true);
  EXPECT_EQ(reply.unknown, (Words{"Hello", "WORLD"}));
}

TEST(AgentReply, AtMostEightUnknownWordsAreKept) {
  const AgentReply reply = parse_agent_reply("a b c d e f g h i j up");
  EXPECT_EQ(reply.unknown, (Words{"a", "b", "c", "d", "e", "f", "g", "h"}));
  EXPECT_EQ(reply.up, true);  // words after the eighth unknown are still read
}

TEST(AgentReply, AReplyLongerThanTheLimitIsCut) {
  const AgentReply exact = parse_agent_reply(std::string(kMaxAgentReply - 3, ' ') + "up\n");
  EXPECT_FALSE(exact.cut);
  EXPECT_EQ(exact.up, true);

  // The first line ends in time; what is cut is past it.
  const AgentReply after = parse_agent_reply("50%\n" + std::string(2 * kMaxAgentReply, 'x'));
  EXPECT_TRUE(after.cut);
  EXPECT_EQ(after.percent, 50u);
  EXPECT_TRUE(after.unknown.empty());

  // Words past the limit are not read.
  const AgentReply beyond = parse_agent_reply(std::string(kMaxAgentReply, ' ') + "down");
  EXPECT_TRUE(beyond.cut);
  EXPECT_TRUE(beyond.empty());
  EXPECT_TRUE(beyond.unknown.empty());
}

// "75%" cut to "7" would be believed as 7%: a word the cut splits is not trusted.
TEST(AgentReply, AWordSplitByTheCutIsNotBelieved) {
  const std::string padding(kMaxAgentReply - 4, ' ');
  const AgentReply split = parse_agent_reply(padding + "up 75%");
  EXPECT_TRUE(split.cut);
  EXPECT_EQ(split.up, true);
  EXPECT_FALSE(split.percent);
  EXPECT_EQ(split.unknown, Words{"7"});

  // Cut just before a separator, a line end or a '#': the word is whole.
  for (const char* after : {" ", ",", "\t", "\n", "\r", "#why"}) {
    const AgentReply whole = parse_agent_reply(padding + "up 7" + after);
    EXPECT_TRUE(whole.cut) << after;
    EXPECT_EQ(whole.percent, 7u) << after;
    EXPECT_TRUE(whole.unknown.empty()) << after;
  }

  // A cut inside the reason only shortens the reason.
  const AgentReply reason = parse_agent_reply("down#" + std::string(kMaxAgentReply, 'r'));
  EXPECT_TRUE(reason.cut);
  EXPECT_EQ(reason.up, false);
  EXPECT_EQ(reason.reason, std::string(kMaxAgentReply - 5, 'r'));
}

}  // namespace
}  // namespace sluice::control::health
