// sluiced: the appliance daemon.
//   sluiced --config FILE [--log-level LEVEL]   run
//   sluiced --config FILE --check               validate FILE and exit (0 valid, 1 invalid)
#include <getopt.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "config/load.h"
#include "control/admin_state_file.h"
#include "control/api.h"
#include "control/appliance.h"
#include "control/dpdk_memory.h"
#include "control/event_log.h"
#include "control/health/probes.h"
#include "control/log.h"
#include "control/log_dpdk.h"
#include "control/ha_instances.h"
#include "control/ha_sync.h"
#include "control/health_checks.h"
#include "control/commands.h"
#include "control/control_socket.h"
#include "control/event_loop.h"
#include "control/http/endpoint.h"
#include "control/systemd_notify.h"
#include "control/worker_channels.h"
#include "control/ports.h"

namespace {

using namespace sluice;

struct Options {
  std::string config;
  bool check = false;
  std::optional<LogLevel> log_level;  // else the file's log.level
};

void usage(FILE* to) {
  std::fputs(
      "usage: sluiced --config FILE [--check] [--log-level LEVEL]\n"
      "  --config FILE      the YAML configuration (docs/configuration.md)\n"
      "  --check            validate FILE, print every error, exit 0 if valid\n"
      "  --log-level LEVEL  error, warning, notice, info or debug (else the file's log.level)\n",
      to);
}

bool parse_options(int argc, char** argv, Options& o) {
  static const option longs[] = {{"config", required_argument, nullptr, 'c'},
                                 {"check", no_argument, nullptr, 't'},
                                 {"log-level", required_argument, nullptr, 'l'},
                                 {"help", no_argument, nullptr, 'h'},
                                 {nullptr, 0, nullptr, 0}};
  int c = 0;
  while ((c = getopt_long(argc, argv, "c:th", longs, nullptr)) != -1) {
    switch (c) {
      case 'c': o.config = optarg; break;
      case 't': o.check = true; break;
      case 'l':
        if (const std::optional<LogLevel> l = from_name<LogLevel>(optarg)) {
          o.log_level = *l;
        } else {
          std::fprintf(stderr, "sluiced: unknown log level '%s' (expected %s)\n", optarg,
                       expected_names<LogLevel>().c_str());
          return false;
        }
        break;
      case 'h': usage(stdout); std::exit(0);
      default: return false;
    }
  }
  return optind == argc && !o.config.empty();
}

// The file's errors, then what it would need that EAL will not have (--check refuses what the
// start would).
std::optional<config::Config> load_or_report(const std::string& path) {
  config::LoadResult r = config::load_file(path);
  if (r.config) {
    if (std::optional<config::Error> e = control::check_memory(*r.config, path)) {
      r.errors.push_back(*e);
      r.config.reset();
    }
  }
  for (const config::Error& e : r.errors) std::fprintf(stderr, "%s\n", e.format().c_str());
  return std::move(r.config);
}

// Signals are taken from a signalfd in the event loop, so they are blocked in every thread;
// blocking them before rte_eal_init makes the EAL's threads inherit the mask.
sigset_t block_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGHUP, SIGINT, SIGTERM}) sigaddset(&set, s);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

// Every control-thread job is a handler on one event loop; none of them waits.
//   rings        every 1 ms, and on every loop turn while they had work: the exception path
//                (workers <-> TAP twins) and the workers' message replies
//   neighbours   every 100 ms: resolve and refresh next hops
//   reclamation  every 10 ms: free snapshots no worker can still read
//   rates        every second: sample the counters rates are made of (control/rate_window.h)
//   signals      SIGHUP reloads, SIGINT/SIGTERM stop (a signalfd, so no async handlers)
//   control socket clients, each with its own buffers and deadlines
//   health       each real server's check and agent on its own timer (health_checks.h)
//   ha           each VRRP instance's socket and timer (ha_instances.h)
//   sync         the HA peer's connection sync: its socket, timers and pump (ha_sync.h)
constexpr uint64_t kRingPollMs = 1;  // the exception path (ping, ARP, ssh) waits at most this
constexpr uint64_t kNeighbourTickMs = 100;
constexpr uint64_t kReclaimMs = 10;
constexpr uint64_t kRateSampleMs = 1000;

// What a stop still has to say before the loop ends (VRRP masters hand over), and how long
// the loop keeps turning for it to leave through the exception path.
constexpr uint64_t kStopGraceMs = 50;

void on_signals(int sfd, control::EventLoop& loop, control::ControlApi& api,
                const std::function<void()>& before_stop, control::Timer& stop_timer) {
  signalfd_siginfo info{};
  while (read(sfd, &info, sizeof info) == sizeof info) {
    if (info.ssi_signo != SIGHUP) {
      control::logger().notice("stopping", {{"signal", info.ssi_signo}});
      before_stop();
      stop_timer = loop.timer([&loop] { loop.stop(); });
      stop_timer.start(kStopGraceMs, 0);
      return;
    }
    static_cast<void>(api.reload());  // logs what it changed, or why it was refused
  }
}

// The HTTP endpoint when the configuration has one (null when not).
Result<std::unique_ptr<control::http::HttpEndpoint>> open_http(control::EventLoop& loop,
                                                                control::ControlApi& api) {
  const std::optional<config::HttpSettings>& http = api.config().http;
  if (!http) return std::unique_ptr<control::http::HttpEndpoint>{};
  Result<std::unique_ptr<control::http::HttpEndpoint>> opened =
      control::http::HttpEndpoint::open(loop, api, *http);
  if (opened) {
    const auto on = [](bool b) { return b ? "on" : "off"; };
    control::logger().notice("http_listening",
                             {{"address", format_endpoint(http->listen.address, opened.value()->port())},
                              {"metrics", on(http->metrics)},
                              {"status_page", on(http->status_page)},
                              {"actions", on(!http->token.empty())}});
  }
  return opened;
}

void serve(control::EventLoop& loop, control::Appliance& appliance, control::WorkerChannels& channels,
           control::ControlApi& api, const sigset_t& signals, const std::function<void()>& before_stop) {
  const int sfd = signalfd(-1, &signals, SFD_CLOEXEC | SFD_NONBLOCK);
  control::Timer stop_timer;
  control::FdWatch signal_watch =
      loop.watch(sfd, UV_READABLE, [&] { on_signals(sfd, loop, api, before_stop, stop_timer); });
  control::Spinner keep_polling;
  const auto poll_rings = [&] {
    const uint64_t now = loop.now_ms();
    const uint32_t moved = appliance.poll_exception_path(now) + channels.poll(now);
    if (moved != 0) {
      keep_polling.start();
    } else {
      keep_polling.stop();
    }
  };
  keep_polling = loop.spinner(poll_rings);
  control::Timer rings = loop.timer(poll_rings);
  rings.start(kRingPollMs, kRingPollMs);
  control::Timer neighbours = loop.timer([&] { appliance.tick_neighbours(control::monotonic_ms()); });
  neighbours.start(0, kNeighbourTickMs);
  control::Timer reclaim = loop.timer([&] { appliance.reclaim_snapshots(); });
  reclaim.start(kReclaimMs, kReclaimMs);
  control::Timer rates = loop.timer([&] { api.sample_rates(control::monotonic_ms()); });
  rates.start(0, kRateSampleMs);
  loop.run();
  close(sfd);
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!parse_options(argc, argv, options)) {
    usage(stderr);
    return 2;
  }
  std::optional<config::Config> cfg = load_or_report(options.config);
  if (!cfg) return 1;
  if (options.check) {
    std::printf("%s: configuration valid\n", options.config.c_str());
    return 0;
  }
  control::route_dpdk_log();
  control::set_log_level(options.log_level.value_or(cfg->log.level));

  // EAL fails on a prefix another primary holds without setting rte_errno: say why first.
  if (const std::string dir = control::eal_runtime_dir(cfg->eal.file_prefix);
      control::eal_config_locked(dir)) {
    control::logger().error(
        "not_started", {{"error", "eal.file_prefix '" + cfg->eal.file_prefix +
                                      "' is in use by another DPDK process (" + dir +
                                      "/config is locked); stop it, or give this one another "
                                      "file_prefix"}});
    return 1;
  }
  const sigset_t signals = block_signals();
  std::vector<std::string> args = control::eal_arguments(*cfg);
  std::vector<char*> eal_argv;
  for (std::string& a : args) eal_argv.push_back(a.data());
  if (rte_eal_init(static_cast<int>(eal_argv.size()), eal_argv.data()) < 0) {
    // Some EAL failures leave rte_errno at 0 ("Success"); EAL logged what went wrong then.
    control::logger().error(
        "not_started",
        {{"error", std::string("EAL initialisation failed: ") +
                       (rte_errno != 0 ? rte_strerror(rte_errno) : "see EAL's messages above")}});
    return 1;
  }
  int status = 1;
  try {
    control::EventLoop loop;
    control::ControlApi* api = nullptr;  // set before the loop first runs
    Result<std::unique_ptr<control::ControlSocket>> socket = control::ControlSocket::open(
        loop,
        {.path = cfg->control.socket, .group = cfg->control.group,
         .group_access = cfg->control.group_access},
        [&](std::string_view line, ControlAccess access, const control::Reply& reply) {
          control::execute(*api, loop.now_ms(), line, access, reply);
        });
    // The operator's drains and halts outlive a restart (admin_state_file.h).
    const std::string state_file = control::admin_state_path(cfg->control.socket);
    Result<control::Overrides> restored = control::read_admin_state(state_file);
    if (!restored) {
      control::logger().warning("admin_state_not_restored", {{"error", restored.error()}});
    }
    Result<std::unique_ptr<control::Appliance>> started =
        !socket ? Error{socket.error()}
                : control::Appliance::start(std::move(*cfg),
                                            restored ? restored.value() : control::Overrides{});
    if (started) {
      control::Appliance* appliance = started.value().get();
      control::WorkerChannels channels(appliance->worker_rings());
      control::ControlApi the_api(*appliance, channels, state_file);
      api = &the_api;
      control::health::Probes probes(loop, appliance->config().health.max_scripts);
      control::EventLog events(probes, appliance->config().health.notify,
                               appliance->config().health.max_scripts);
      the_api.on_event([&events](const control::Event& e) { events.record(e); });
      control::HealthChecks checks(loop, the_api, probes);
      the_api.on_reload([&] {
        if (!options.log_level) control::set_log_level(appliance->config().log.level);
        events.set_notify(appliance->config().health.notify);
        checks.configure(appliance->config());
      });
      checks.configure(appliance->config());
      control::HaInstances ha(loop, the_api, appliance->config());
      std::unique_ptr<control::HaSync> sync;
      if (appliance->config().ha.sync) {
        sync = std::make_unique<control::HaSync>(loop, the_api, appliance->config());
      }
      // After the appliance's start: its addresses are on the TAP twins, ready to bind.
      Result<std::unique_ptr<control::http::HttpEndpoint>> http = open_http(loop, the_api);
      if (http) {
        control::SystemdNotifier systemd(loop);
        control::logger().notice("ready", {{"socket", appliance->config().control.socket},
                                           {"watchdog_ms", systemd.watchdog_ms()}});
        systemd.ready("serving, control socket " + appliance->config().control.socket);
        // A clean stop: the connections of the last moments go to the peer first, then the
        // priority 0 adverts that make it take over at once.
        serve(loop, *appliance, channels, the_api, signals, [&ha, &sync, &systemd] {
          systemd.stopping();
          if (sync) sync->stop();
          ha.stop();
        });
        status = 0;
      } else {
        control::logger().error("not_started", {{"error", http.error()}});
      }
    } else {
      control::logger().error("not_started", {{"error", started.error()}});
    }
  } catch (const std::exception& e) {  // allocation failures while sizing tables, libuv
    control::logger().error("not_started", {{"error", std::string("cannot run: ") + e.what()},
                                            {"hint", "lower connections.capacity?"}});
  }
  // EAL leaves its runtime directory (/run/dpdk/<file_prefix>) behind; nothing else uses it.
  const std::string runtime_dir = rte_eal_get_runtime_dir();
  rte_eal_cleanup();
  std::error_code ignored;
  std::filesystem::remove_all(runtime_dir, ignored);
  return status;
}
