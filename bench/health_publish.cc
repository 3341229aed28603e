// How health changes should reach the workers, for 2,000 real servers flapping: a new snapshot
// per batch of changes (what sluice does), or one typed message per change and worker. Prints
//   - the control thread's cost of one compile of the whole snapshot (2,000 servers in 20
//     services, a tenth of them down), median of 25;
//   - the cost of carrying 2,000 changes as ControlMessages through a worker's ring (enqueue
//     and dequeue, per message), which is only the transport: a worker would then need a
//     mutable per-server table of its own and, for sh/dh/maglev, a rebuilt lookup table.
//   build/release/bench/health_publish [servers]
#include <rte_ring.h>
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "config/load.h"
#include "control/compile/compile.h"
#include "dataplane/messages.h"
#include "tests/support/eal_env.h"

namespace {

using namespace sluice;

uint64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000 + static_cast<uint64_t>(ts.tv_nsec);
}

// `servers` real servers in services of 100, on 198.18.1.0/24 (addresses) x ports.
std::string config_with(int servers) {
  std::string yaml =
      "interfaces:\n  - { name: back, device: net_null0, addresses: [198.18.1.1/24] }\n"
      "virtual_services:\n";
  for (int v = 0; v * 100 < servers; ++v) {
    yaml += "  - name: s" + std::to_string(v) + "\n    address: 198.18.1." +
            std::to_string(200 + v % 50) + "\n    ports: [" + std::to_string(1000 + v) +
            "]\n    protocol: tcp\n    mode: nat\n    scheduler: " + std::string(std::getenv("SCHED") ? std::getenv("SCHED") : "maglev") + "\n"
            "    health_check: { type: connect }\n    real_servers:\n";
    for (int k = 0; k < 100 && v * 100 + k < servers; ++k) {
      yaml += "      - { address: 198.18.1." + std::to_string(2 + k % 100) +
              ", port: " + std::to_string(2000 + v) + " }\n";
    }
  }
  return yaml;
}

control::NeighbourSlotFor slots() {
  return [](const control::NextHop& h) {
    return control::NeighbourSlot{.slot = static_cast<uint16_t>(h.address.bytes[15]),
                                  .resolved = true};
  };
}

// Median milliseconds of 25 compiles of `cfg` with `run`, each after `previous` (or none).
double compile_ms(const config::Config& cfg, const control::RunStates& run,
                  const dp::Snapshot* previous) {
  std::vector<double> runs;
  for (int i = 0; i < 25; ++i) {
    control::ServerIds ids;
    const uint64_t t0 = now_ns();
    control::CompileResult r =
        control::compile(cfg, 1, ids, {}, slots(), {previous, [](uint32_t) { return false; }}, run);
    runs.push_back(static_cast<double>(now_ns() - t0) / 1e6);
    if (!r) {
      std::fprintf(stderr, "compile: %s\n", r.error().c_str());
      std::exit(1);
    }
  }
  std::sort(runs.begin(), runs.end());
  return runs[runs.size() / 2];
}

std::unique_ptr<dp::Snapshot> compiled(const config::Config& cfg, const control::RunStates& run) {
  control::ServerIds ids;
  return std::move(control::compile(cfg, 1, ids, {}, slots(), {}, run)).value();
}

double message_ns(int messages) {
  rte_ring* ring = rte_ring_create_elem("bench_health", sizeof(dp::ControlMessage), 4096,
                                        SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
  if (ring == nullptr) {
    std::fprintf(stderr, "cannot create a ring\n");
    std::exit(1);
  }
  std::vector<dp::ControlMessage> out(static_cast<size_t>(messages)), in(out.size());
  std::vector<double> runs;
  for (int i = 0; i < 25; ++i) {
    const uint64_t t0 = now_ns();
    for (int done = 0; done < messages;) {
      const unsigned n = std::min(256, messages - done);
      rte_ring_enqueue_burst_elem(ring, &out[static_cast<size_t>(done)], sizeof(dp::ControlMessage), n, nullptr);
      rte_ring_dequeue_burst_elem(ring, &in[static_cast<size_t>(done)], sizeof(dp::ControlMessage), n, nullptr);
      done += static_cast<int>(n);
    }
    runs.push_back(static_cast<double>(now_ns() - t0) / messages);
  }
  rte_ring_free(ring);
  std::sort(runs.begin(), runs.end());
  return runs[runs.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const int servers = argc > 1 ? std::atoi(argv[1]) : 2000;
  test::init_eal_or_die(256);
  config::LoadResult loaded = config::load_string(config_with(servers), "bench.yaml");
  if (!loaded.config) {
    std::fprintf(stderr, "%s\n", loaded.errors.front().format().c_str());
    return 1;
  }
  const config::Config& cfg = *loaded.config;
  control::RunStates run;
  int k = 0;
  for (const config::VirtualService& vs : cfg.virtual_services) {
    for (const config::RealServer& rs : vs.real_servers) {
      run[control::key_of(vs, rs)].health = (k++ % 10 == 0) ? Health::down : Health::up;
    }
  }
  const char* scheduler = std::getenv("SCHED") != nullptr ? std::getenv("SCHED") : "maglev";
  const double full = compile_ms(cfg, run, nullptr);
  // One server of one service changes: only that service's table is built again.
  const std::unique_ptr<dp::Snapshot> before = compiled(cfg, run);
  control::RunStates one = run;
  one.begin()->second.health = one.begin()->second.health == Health::up ? Health::down : Health::up;
  const double one_changed = compile_ms(cfg, one, before.get());
  // One server of every service flaps at once: every table is built again.
  control::RunStates many = run;
  for (const config::VirtualService& vs : cfg.virtual_services) {
    Health& h = many[control::key_of(vs, vs.real_servers[1])].health;
    h = h == Health::up ? Health::down : Health::up;
  }
  const double all_changed = compile_ms(cfg, many, before.get());
  const double per_message = message_ns(servers);
  std::printf("snapshot  %d servers in %zu %s services: compile %.2f ms from scratch, %.2f ms when one "
              "server changed, %.2f ms when every service changed (medians of 25)\n",
              servers, cfg.virtual_services.size(), scheduler, full, one_changed, all_changed);
  std::printf("messages  %d changes: %.1f ns per message through one ring (transport only): "
              "%.3f ms per worker\n",
              servers, per_message, per_message * servers / 1e6);
  test::cleanup_eal();
  return 0;
}
