#include "control/health/probes.h"

#include <algorithm>
#include <deque>
#include <unordered_map>

#include "control/health/http_probe.h"
#include "control/health/ping_probe.h"
#include "control/health/probe.h"
#include "control/health/script_probe.h"
#include "control/health/socket_probes.h"

namespace sluice::control::health {

struct Probes::Impl final : ProbeOwner {
  struct Entry {
    std::unique_ptr<Probe> probe;
    ProbeDone done;
    bool holds_script_slot = false;  // a script that runs (not one that waits)
  };

  Impl(EventLoop& event_loop, uint32_t most_scripts)
      : loop(event_loop), max_scripts(std::max<uint32_t>(most_scripts, 1)), pinger(event_loop) {}
  // The probes go first: they take themselves out of the pinger and the HTTP client, and
  // none of their `done`s is called.
  ~Impl() { probes.clear(); }

  // A probe under a new ID, built by `make` from its context; not started yet.
  template <class Make>
  std::pair<const uint64_t, Entry>& add(uint32_t timeout_ms, ProbeDone done, Make make) {
    const uint64_t id = next_id++;
    Entry entry{make(ProbeContext{loop, *this, id, timeout_ms}), std::move(done)};
    return *probes.emplace(id, std::move(entry)).first;
  }

  template <class Make>
  void launch(uint32_t timeout_ms, ProbeDone done, Make make) {
    add(timeout_ms, std::move(done), std::move(make)).second.probe->start();
  }

  void finish(uint64_t id, ProbeResult result) override {
    ProbeDone done;
    {
      auto node = probes.extract(id);
      if (node.mapped().holds_script_slot) --running_scripts;
      done = std::move(node.mapped().done);
    }  // the probe is destroyed: its handles closed, a script of its killed
    run_waiting_scripts();
    done(std::move(result));  // last: it may destroy the Probes
  }

  // Scripts start in the order they were asked for, as slots free up. A start never ends the
  // probe at once, so `entry` holds.
  void run_waiting_scripts() {
    while (running_scripts < max_scripts && !waiting_scripts.empty()) {
      Entry& entry = probes.find(waiting_scripts.front())->second;
      waiting_scripts.pop_front();
      entry.holds_script_slot = true;
      ++running_scripts;
      entry.probe->start();
    }
  }

  EventLoop& loop;
  const uint32_t max_scripts;
  uint64_t next_id = 1;
  std::unordered_map<uint64_t, Entry> probes;  // started, or scripts waiting
  std::deque<uint64_t> waiting_scripts;
  uint32_t running_scripts = 0;
  Pinger pinger;
  std::unique_ptr<HttpClient> http;  // made for the first http probe
};

Probes::Probes(EventLoop& loop, uint32_t max_scripts)
    : impl_(std::make_unique<Impl>(loop, max_scripts)) {}

Probes::~Probes() = default;

void Probes::connect(const Endpoint& to, uint32_t timeout_ms, ProbeDone done) {
  impl_->launch(timeout_ms, std::move(done),
                [&](const ProbeContext& c) { return make_connect_probe(c, to); });
}

void Probes::http(const HttpRequest& request, ProbeDone done) {
  if (!impl_->http) impl_->http = std::make_unique<HttpClient>(impl_->loop);
  HttpClient& client = *impl_->http;
  impl_->launch(request.timeout_ms, std::move(done),
                [&](const ProbeContext& c) { return make_http_probe(c, client, request); });
}

void Probes::ping(const IpAddress& to, uint32_t timeout_ms, ProbeDone done) {
  Pinger& pinger = impl_->pinger;
  impl_->launch(timeout_ms, std::move(done),
                [&](const ProbeContext& c) { return make_ping_probe(c, pinger, to); });
}

void Probes::dns(const Endpoint& to, const std::string& name, DnsType type, uint32_t timeout_ms,
                 ProbeDone done) {
  impl_->launch(timeout_ms, std::move(done),
                [&](const ProbeContext& c) { return make_dns_probe(c, to, name, type); });
}

void Probes::udp(const Endpoint& to, const std::string& payload, const std::string& expect,
                 uint32_t timeout_ms, ProbeDone done) {
  impl_->launch(timeout_ms, std::move(done),
                [&](const ProbeContext& c) { return make_udp_probe(c, to, payload, expect); });
}

void Probes::line(const Endpoint& to, const std::string& send, uint32_t timeout_ms,
                  ProbeDone done) {
  impl_->launch(timeout_ms, std::move(done),
                [&](const ProbeContext& c) { return make_line_probe(c, to, send); });
}

void Probes::script(std::vector<std::string> argv, std::vector<std::string> env,
                    uint32_t timeout_ms, ProbeDone done) {
  auto make = [&](const ProbeContext& c) {
    return make_script_probe(c, std::move(argv), std::move(env));
  };
  impl_->waiting_scripts.push_back(impl_->add(timeout_ms, std::move(done), make).first);
  impl_->run_waiting_scripts();
}

size_t Probes::in_flight() const { return impl_->probes.size(); }

size_t Probes::scripts_waiting() const { return impl_->waiting_scripts.size(); }

}  // namespace sluice::control::health
