// The control plane's event loop under the load the next features bring: 10,000 timers (health
// checks) and 2,000 sockets (checks, VRRP, sync peers, control clients). Prints the loop's own
// cost per timer firing and per socket event, in CPU nanoseconds of this thread.
//   build/release/bench/event_loop_perf [timers] [sockets] [seconds]
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "control/event_loop.h"

namespace {

using sluice::control::EventLoop;

uint64_t cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000 + static_cast<uint64_t>(ts.tv_nsec);
}

// Timers every 10..109 ms (spread as checks with random initial delays are), for `seconds`.
void bench_timers(int count, int seconds) {
  EventLoop loop;
  uint64_t fired = 0;
  std::vector<sluice::control::Timer> timers;
  timers.reserve(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) {
    timers.push_back(loop.timer([&fired] { ++fired; }));
    timers.back().start(static_cast<uint64_t>(i % 100), 10 + static_cast<uint64_t>(i % 100));
  }
  sluice::control::Timer end = loop.timer([&loop] { loop.stop(); });
  end.start(static_cast<uint64_t>(seconds) * 1000, 0);
  const uint64_t t0 = cpu_ns();
  loop.run();
  const uint64_t spent = cpu_ns() - t0;
  std::printf("timers   %6d timers, %9lu firings in %d s: %6.0f ns CPU per firing\n", count,
              static_cast<unsigned long>(fired), seconds,
              static_cast<double>(spent) / static_cast<double>(fired));
}

// `count` socket pairs; each round writes one byte into every pair, then the loop turns until
// every byte has been read by its watch's callback. Only the loop's turns are timed.
void bench_sockets(int count, int rounds) {
  EventLoop loop;
  std::vector<int> ours, theirs;
  std::vector<sluice::control::FdWatch> watches;
  uint64_t events = 0;
  for (int i = 0; i < count; ++i) {
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, pair) != 0) {
      std::perror("socketpair");
      std::exit(1);
    }
    ours.push_back(pair[0]);
    theirs.push_back(pair[1]);
    watches.push_back(loop.watch(pair[0], UV_READABLE, [fd = pair[0], &events] {
      char byte;
      while (read(fd, &byte, 1) == 1) ++events;
    }));
  }
  uint64_t spent = 0;
  for (int r = 0; r < rounds; ++r) {
    for (int fd : theirs) {
      if (write(fd, "x", 1) != 1) std::exit(1);
    }
    const uint64_t want = static_cast<uint64_t>(count) * static_cast<uint64_t>(r + 1);
    const uint64_t t0 = cpu_ns();
    while (events < want) loop.run_once_nowait();
    spent += cpu_ns() - t0;
  }
  watches.clear();
  for (int fd : ours) close(fd);
  for (int fd : theirs) close(fd);
  std::printf("sockets  %6d sockets, %9lu events in %d rounds: %6.0f ns CPU per event\n", count,
              static_cast<unsigned long>(events), rounds,
              static_cast<double>(spent) / static_cast<double>(events));
}

}  // namespace

int main(int argc, char** argv) {
  const int timers = argc > 1 ? std::atoi(argv[1]) : 10000;
  const int sockets = argc > 2 ? std::atoi(argv[2]) : 2000;
  const int seconds = argc > 3 ? std::atoi(argv[3]) : 5;
  rlimit files{};
  getrlimit(RLIMIT_NOFILE, &files);
  files.rlim_cur = files.rlim_max;  // two descriptors per socket pair
  setrlimit(RLIMIT_NOFILE, &files);
  bench_timers(timers, seconds);
  bench_sockets(sockets, 200);
  return 0;
}
