// The rise/fall state machine and ldirectord's negotiate schedule
// (control/health/check_state.cc).
#include "control/health/check_state.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sluice::control::health {
namespace {

constexpr RiseFall kRise2Fall3{.rise = 2, .fall = 3};

char letter(Health health) {
  switch (health) {
    case Health::unchecked: return '?';
    case Health::up: return 'U';
    case Health::down: return 'D';
    case Health::rising: return 'R';
    case Health::falling: return 'F';
  }
  return '!';
}

// Feeds results ('+' success, '-' failure) and writes the health after each, one letter per
// result: U up, D down, R rising, F falling.
std::string run(CheckState& state, std::string_view results, RiseFall limits = kRise2Fall3) {
  std::string shown;
  for (const char result : results) {
    state.record(result == '+', limits);
    shown += letter(state.health());
  }
  return shown;
}

std::string run(std::string_view results, RiseFall limits = kRise2Fall3) {
  CheckState state;
  return run(state, results, limits);
}

TEST(CheckState, StartsUpButUnconfirmed) {
  const CheckState state;
  EXPECT_EQ(state.health(), Health::up);
  EXPECT_TRUE(state.serving());
  EXPECT_FALSE(state.confirmed());
  EXPECT_EQ(state.count(), 0u);
}

// HAProxy's init-state: a live server loses no traffic at start, a dead one leaves at once.
TEST(CheckState, TheFirstResultDecidesAtOnce) {
  CheckState live;
  EXPECT_EQ(live.record(true, kRise2Fall3).serving, false);
  EXPECT_EQ(live.health(), Health::up);
  EXPECT_TRUE(live.confirmed());

  CheckState dead;
  const CheckState::Change change = dead.record(false, kRise2Fall3);
  EXPECT_TRUE(change.shown);
  EXPECT_TRUE(change.serving);
  EXPECT_EQ(dead.health(), Health::down);
  EXPECT_FALSE(dead.serving());
  EXPECT_EQ(dead.count(), 0u);  // down at once, without a fall count
  EXPECT_TRUE(dead.confirmed());
}

TEST(CheckState, FallConsecutiveFailuresTakeAnUpServerDown) {
  CheckState state;
  EXPECT_EQ(run(state, "+--"), "UFF");
  EXPECT_EQ(state.count(), 2u);
  EXPECT_TRUE(state.serving());  // falling still serves
  EXPECT_EQ(run(state, "-"), "D");
  EXPECT_FALSE(state.serving());
  EXPECT_EQ(state.count(), 0u);
}

TEST(CheckState, RiseConsecutiveSuccessesBringADownServerUp) {
  CheckState state;
  EXPECT_EQ(run(state, "-+"), "DR");
  EXPECT_EQ(state.count(), 1u);
  EXPECT_FALSE(state.serving());  // rising does not serve yet
  EXPECT_EQ(run(state, "+"), "U");
  EXPECT_TRUE(state.serving());
  EXPECT_EQ(state.count(), 0u);
}

// A flapping server stays where it is: one contrary result restarts the count.
TEST(CheckState, FlappingIsDampedByRiseAndFall) {
  EXPECT_EQ(run("+-+-+-+-"), "UFUFUFUF");
  EXPECT_EQ(run("-+-+-+-+"), "DRDRDRDR");
  EXPECT_EQ(run("+--+---"), "UFFUFFD");
  EXPECT_EQ(run("-+-++"), "DRDRU");
  EXPECT_EQ(run("++---++"), "UUFFDRU");
}

TEST(CheckState, CountsTowardsRiseAndFall) {
  CheckState state;
  const RiseFall limits{.rise = 4, .fall = 4};
  std::vector<uint32_t> counts;
  for (const bool success : {true, false, false, false, false, true, true, true, true}) {
    state.record(success, limits);
    counts.push_back(state.count());
  }
  EXPECT_EQ(counts, (std::vector<uint32_t>{0, 1, 2, 3, 0, 1, 2, 3, 0}));
  EXPECT_EQ(state.health(), Health::up);
}

// ldirectord's failurecount: fall with rise 1.
TEST(CheckState, RiseAndFallOfOneActOnEveryResult) {
  const RiseFall ones{.rise = 1, .fall = 1};
  EXPECT_EQ(run("+-+-", ones), "UDUD");
  EXPECT_EQ(run("--++", ones), "DDUU");
  EXPECT_EQ(run("+---+", {.rise = 1, .fall = 3}), "UFFDU");
}

TEST(CheckState, ChangesSayWhatMoved) {
  CheckState state;
  auto record = [&state](bool success) {
    const CheckState::Change change = state.record(success, kRise2Fall3);
    return std::string{change.shown ? 's' : '.', change.serving ? 'w' : '.'};
  };
  EXPECT_EQ(record(true), "..");   // up, confirmed
  EXPECT_EQ(record(true), "..");   // up
  EXPECT_EQ(record(false), "s.");  // falling: shown, still serving
  EXPECT_EQ(record(false), "..");  // falling, count 2
  EXPECT_EQ(record(false), "sw");  // down: no longer serving
  EXPECT_EQ(record(false), "..");  // down
  EXPECT_EQ(record(true), "s.");   // rising: shown, still not serving
  EXPECT_EQ(record(false), "s.");  // back to down
  EXPECT_EQ(record(true), "s.");   // rising
  EXPECT_EQ(record(true), "sw");   // up: serving again
  EXPECT_EQ(record(false), "s.");  // falling
  EXPECT_EQ(record(true), "s.");   // up again, serving throughout
}

// Limits are read at each result: a reload that changes rise or fall applies to the count.
TEST(CheckState, LimitsMayChangeBetweenResults) {
  CheckState state;
  run(state, "+--");  // falling, count 2 of 3
  state.record(false, {.rise = 2, .fall = 10});
  EXPECT_EQ(state.health(), Health::falling);
  EXPECT_EQ(state.count(), 3u);
  state.record(false, {.rise = 2, .fall = 2});
  EXPECT_EQ(state.health(), Health::down);
}

std::string schedule(uint32_t connects_between, int checks) {
  NegotiateSchedule negotiate(connects_between);
  std::string kinds;
  for (int i = 0; i < checks; ++i) kinds += negotiate.next_is_full() ? 'N' : 'c';
  return kinds;
}

TEST(NegotiateSchedule, FirstCheckIsFullThenNConnectsThenOneFull) {
  EXPECT_EQ(schedule(0, 5), "NNNNN");
  EXPECT_EQ(schedule(1, 6), "NcNcNc");
  EXPECT_EQ(schedule(3, 10), "NcccNcccNc");
  EXPECT_EQ(NegotiateSchedule().next_is_full(), true);
}

}  // namespace
}  // namespace sluice::control::health
