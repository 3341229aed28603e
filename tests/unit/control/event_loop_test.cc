#include "control/event_loop.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace sluice::control {
namespace {

// Runs the loop until stop() or 5 s (a bound, not a timing goal).
void run_bounded(EventLoop& loop) {
  Timer guard = loop.timer([&loop] { loop.stop(); });
  guard.start(5000, 0);
  loop.run();
}

TEST(EventLoop, TimersFireInDeadlineOrderAndRepeat) {
  EventLoop loop;
  std::string order;
  Timer late = loop.timer([&] { order += 'c'; });
  Timer early = loop.timer([&] { order += 'a'; });
  int ticks = 0;
  Timer repeating = loop.timer([&] {
    order += 'r';
    if (++ticks == 3) loop.stop();
  });
  late.start(40, 0);
  early.start(1, 0);
  repeating.start(15, 15);
  run_bounded(loop);
  EXPECT_EQ(order, "arrcr");  // r at 15, 30; c at 40; r at 45
}

TEST(EventLoop, AStoppedOrDestroyedTimerNeverFires) {
  EventLoop loop;
  int fired = 0;
  Timer stopped = loop.timer([&] { ++fired; });
  stopped.start(1, 0);
  stopped.stop();
  {
    Timer gone = loop.timer([&] { ++fired; });
    gone.start(1, 0);
  }
  Timer end = loop.timer([&] { loop.stop(); });
  end.start(20, 0);
  run_bounded(loop);
  EXPECT_EQ(fired, 0);
}

// A handle closed from its own callback is freed later, not under it.
TEST(EventLoop, AHandleMayBeDestroyedByItsOwnCallback) {
  EventLoop loop;
  Timer self;
  int fired = 0;
  self = loop.timer([&] {
    ++fired;
    self = Timer();
    loop.stop();
  });
  self.start(1, 1);
  run_bounded(loop);
  EXPECT_EQ(fired, 1);
}

TEST(EventLoop, WatchesReportReadableDescriptors) {
  EventLoop loop;
  int pair[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, pair), 0);
  std::vector<char> got;
  FdWatch watch = loop.watch(pair[0], UV_READABLE, [&] {
    char c;
    while (read(pair[0], &c, 1) == 1) got.push_back(c);
    if (got.size() == 2) loop.stop();
  });
  ASSERT_EQ(write(pair[1], "x", 1), 1);
  ASSERT_EQ(write(pair[1], "y", 1), 1);
  run_bounded(loop);
  EXPECT_EQ(got, (std::vector<char>{'x', 'y'}));
  watch = FdWatch();
  close(pair[0]);
  close(pair[1]);
}

// A spinner keeps the loop turning without waiting (the rings' poll while they have work).
TEST(EventLoop, ASpinnerRunsEveryTurnUntilStopped) {
  EventLoop loop;
  int turns = 0;
  Spinner spin;
  spin = loop.spinner([&] {
    if (++turns == 100) {
      spin.stop();
      loop.stop();
    }
  });
  spin.start();
  run_bounded(loop);
  EXPECT_EQ(turns, 100);
}

}  // namespace
}  // namespace sluice::control
