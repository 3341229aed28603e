// sluiced: the appliance daemon.
//   sluiced --config FILE           run
//   sluiced --config FILE --check   validate FILE and exit (0 valid, 1 invalid)
#include <getopt.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_log.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "config/load.h"
#include "control/appliance.h"
#include "control/commands.h"
#include "control/control_socket.h"
#include "control/ports.h"

namespace {

using namespace sluice;

struct Options {
  std::string config;
  bool check = false;
};

void usage(FILE* to) {
  std::fputs(
      "usage: sluiced --config FILE [--check]\n"
      "  --config FILE  the YAML configuration (docs/configuration.md)\n"
      "  --check        validate FILE, print every error, exit 0 if valid\n",
      to);
}

bool parse_options(int argc, char** argv, Options& o) {
  static const option longs[] = {{"config", required_argument, nullptr, 'c'},
                                 {"check", no_argument, nullptr, 't'},
                                 {"help", no_argument, nullptr, 'h'},
                                 {nullptr, 0, nullptr, 0}};
  int c = 0;
  while ((c = getopt_long(argc, argv, "c:th", longs, nullptr)) != -1) {
    switch (c) {
      case 'c': o.config = optarg; break;
      case 't': o.check = true; break;
      case 'h': usage(stdout); std::exit(0);
      default: return false;
    }
  }
  return optind == argc && !o.config.empty();
}

std::optional<config::Config> load_or_report(const std::string& path) {
  config::LoadResult r = config::load_file(path);
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

int serve(control::Appliance& appliance, control::ControlSocket& socket, const sigset_t& signals) {
  const int sfd = signalfd(-1, &signals, SFD_CLOEXEC | SFD_NONBLOCK);
  const int ep = epoll_create1(EPOLL_CLOEXEC);
  for (int fd : {sfd, socket.fd()}) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
  }
  const auto handler = [&appliance](std::string_view line) {
    return control::execute(appliance, line);
  };
  bool running = true;
  uint32_t moved = 0;
  while (running) {
    // 1 ms when idle: the exception path (ping, ARP, ssh) waits at most that long.
    epoll_event events[8];
    const int n = epoll_wait(ep, events, 8, moved != 0 ? 0 : 1);
    for (int i = 0; i < n; ++i) {
      if (events[i].data.fd == socket.fd()) {
        socket.serve_one(handler);
        continue;
      }
      signalfd_siginfo info{};
      while (read(sfd, &info, sizeof info) == sizeof info) {
        if (info.ssi_signo == SIGHUP) {
          appliance.reload();  // logs what it changed, or why it was refused
        } else {
          RTE_LOG(NOTICE, USER1, "sluiced: signal %u, stopping\n", info.ssi_signo);
          running = false;
        }
      }
    }
    moved = appliance.poll();
  }
  close(ep);
  close(sfd);
  return 0;
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

  // EAL fails on a prefix another primary holds without setting rte_errno: say why first.
  if (const std::string dir = control::eal_runtime_dir(cfg->eal.file_prefix);
      control::eal_config_locked(dir)) {
    std::fprintf(stderr,
                 "sluiced: eal.file_prefix '%s' is in use by another DPDK process (%s/config "
                 "is locked); stop it, or give this one another file_prefix\n",
                 cfg->eal.file_prefix.c_str(), dir.c_str());
    return 1;
  }
  const sigset_t signals = block_signals();
  std::vector<std::string> args = control::eal_arguments(*cfg);
  std::vector<char*> eal_argv;
  for (std::string& a : args) eal_argv.push_back(a.data());
  if (rte_eal_init(static_cast<int>(eal_argv.size()), eal_argv.data()) < 0) {
    // Some EAL failures leave rte_errno at 0 ("Success"); EAL logged what went wrong then.
    std::fprintf(stderr, "sluiced: EAL initialisation failed: %s\n",
                 rte_errno != 0 ? rte_strerror(rte_errno) : "see EAL's messages above");
    return 1;
  }
  int status = 1;
  {
    std::string error;
    std::unique_ptr<control::ControlSocket> socket =
        control::ControlSocket::open(cfg->control.socket, error);
    std::unique_ptr<control::Appliance> appliance;
    try {
      if (socket) appliance = control::Appliance::start(std::move(*cfg), error);
    } catch (const std::exception& e) {  // allocation failures while sizing tables
      error = std::string("cannot start: ") + e.what() + " (lower connections.capacity?)";
    }
    if (appliance) {
      RTE_LOG(NOTICE, USER1, "sluiced: ready, control socket %s\n",
              appliance->config().control.socket.c_str());
      status = serve(*appliance, *socket, signals);
    } else {
      std::fprintf(stderr, "sluiced: %s\n", error.c_str());
    }
  }
  // EAL leaves its runtime directory (/run/dpdk/<file_prefix>) behind; nothing else uses it.
  const std::string runtime_dir = rte_eal_get_runtime_dir();
  rte_eal_cleanup();
  std::error_code ignored;
  std::filesystem::remove_all(runtime_dir, ignored);
  return status;
}
