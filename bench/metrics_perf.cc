// The HTTP endpoint's rendering for 10,000 real servers (docs/performance.md, "HTTP
// endpoint"): the views as ControlApi gives them, made up here (an appliance takes 4,096 at
// most; bench/scrape.sh times the whole scrape of 4,000 on a running sluiced). Prints the
// median of 11 renderings of GET /metrics's text and of the status page's overview, and
// their sizes.
//   build/release/bench/metrics_perf [servers]
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "control/http/metrics.h"
#include "control/http/overview.h"

namespace {

using namespace sluice;
using namespace sluice::control;

uint64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000 + static_cast<uint64_t>(ts.tv_nsec);
}

// `servers` in services of 100, as bench/scrape.sh configures them.
http::ApiReading reading(int servers) {
  http::ApiReading in;
  for (int i = 0; i < servers; ++i) {
    const std::string service = "bench" + std::to_string(i / 100);
    if (i % 100 == 0) {
      in.vips.push_back({.name = service, .address = IpAddress::v4(0xc612000b),
                         .ports = std::to_string(1001 + i / 100), .protocol = "tcp",
                         .mode = Mode::nat, .scheduler = Scheduler::wlc, .servers = 100});
    }
    ServerView s;
    s.service = service;
    s.vip = IpAddress::v4(0xc612000b);
    s.ports = std::to_string(1001 + i / 100);
    s.protocol = "tcp";
    s.server = "198.18.1.2" + std::to_string(i % 3 + 1) + ":" + std::to_string(10000 + i / 3);
    s.configured_weight = s.weight = 1;
    s.counts = {.active = 12345, .inactive = 67, .conns = 123456789,
                .traffic = {.packets_in = 9876543210, .bytes_in = 987654321098,
                            .packets_out = 9876543210, .bytes_out = 987654321098}};
    in.servers.push_back(s);
  }
  return in;
}

// Median milliseconds of 11 runs; `bytes` gets the size of the last.
double median_ms(const std::function<std::string()>& render, size_t& bytes) {
  std::vector<double> runs;
  for (int i = 0; i < 11; ++i) {
    const uint64_t t0 = now_ns();
    bytes = render().size();
    runs.push_back(static_cast<double>(now_ns() - t0) / 1e6);
  }
  std::sort(runs.begin(), runs.end());
  return runs[runs.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const int servers = argc > 1 ? std::atoi(argv[1]) : 10000;
  const http::ApiReading in = reading(servers);
  size_t bytes = 0;
  const double metrics = median_ms([&] { return http::render_metrics(in, {}); }, bytes);
  std::printf("%d real servers\n", servers);
  std::printf("metrics text   %7.1f ms  %6.2f MB\n", metrics, static_cast<double>(bytes) / 1e6);
  http::OverviewInput page{.api = in, .action_refs = {}, .now = 0};
  const double overview = median_ms([&] { return http::render_overview(page); }, bytes);
  std::printf("page overview  %7.1f ms  %6.2f MB\n", overview, static_cast<double>(bytes) / 1e6);
  return 0;
}
