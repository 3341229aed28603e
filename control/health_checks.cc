#include "control/health_checks.h"


#include <algorithm>
#include <chrono>
#include <ctime>

#include "control/health/agent_reply.h"
#include "control/health/check_state.h"
#include "control/health/http_expect.h"
#include "control/log.h"

namespace sluice::control {

using health::ProbeResult;

struct HealthChecks::Server {
  ServerKey key;
  uint64_t serial = 0;  // this incarnation: results of an earlier one (before a reload) are stale
  std::string service;
  std::string label;  // ADDRESS:PORT, as show servers names it
  IpAddress address;
  std::optional<uint16_t> check_port;
  IpAddress vip;      // external checks: the service's first address and lowest port
  uint16_t vport = 0;
  std::optional<config::HealthCheck> check;
  std::optional<config::Feedback> feedback;
  std::optional<health::HttpExpect> expect;
  health::CheckState state;
  health::NegotiateSchedule schedule;
  RunState run;
  RunState announced;  // the agent's words as the last event told them
  Timer check_timer;
  Timer agent_timer;
  bool checking = false;
  bool polling = false;
};

namespace {

// The agent's words as events and show servers name them: "down", "drain 50%", "75%", or
// "normal" when it reports nothing out of the ordinary.
std::string agent_words(const RunState& run) {
  std::string text;
  const auto add = [&text](const std::string& word) { text += (text.empty() ? "" : " ") + word; };
  if (run.agent_up) add(*run.agent_up ? "up" : "down");
  if (run.agent_admin) add(*run.agent_admin == health::AgentAdmin::drain ? "drain" : "maint");
  return text;
}

std::string agent_text(const RunState& run) {
  std::string text = agent_words(run);
  if (run.agent_percent) text += (text.empty() ? "" : " ") + std::to_string(*run.agent_percent) + "%";
  return text.empty() ? "normal" : text;
}

// The seeds' agents report idle CPU, which moves at nearly every poll: an event (and a notify
// command) for each would flood both. News is a change of words, a weight reaching or
// leaving 0, or a move of 10 points or more since the last event; show servers has the rest.
bool agent_news(const RunState& was, const RunState& now) {
  const uint32_t before = was.agent_percent.value_or(100), after = now.agent_percent.value_or(100);
  const uint32_t moved = before > after ? before - after : after - before;
  return agent_words(was) != agent_words(now) || (before == 0) != (after == 0) || moved >= 10;
}

int64_t wall_clock() { return static_cast<int64_t>(std::time(nullptr)); }

}  // namespace

HealthChecks::HealthChecks(EventLoop& loop, ControlApi& api, health::Probes& probes)
    : loop_(loop),
      api_(api),
      probes_(probes),
      flush_(loop.timer([this] { flush(); })),
      random_(static_cast<uint32_t>(std::time(nullptr))) {}

HealthChecks::~HealthChecks() = default;

size_t HealthChecks::checks() const {
  return static_cast<size_t>(std::ranges::count_if(servers_, [](const auto& entry) {
    return entry.second->check || entry.second->feedback;
  }));
}

void HealthChecks::configure(const config::Config& cfg) {
  std::map<ServerKey, std::unique_ptr<Server>> next;
  for (const config::VirtualService& vs : cfg.virtual_services) {
    for (const config::RealServer& rs : vs.real_servers) {
      auto s = std::make_unique<Server>();
      s->key = key_of(vs, rs);
      s->serial = next_serial_++;
      s->service = vs.name;
      s->label = server_label(vs, rs);
      s->address = rs.address;
      s->vip = vs.listeners.front().address;
      s->vport = vs.listeners.front().ports.lowest();
      s->check = vs.check_of(rs);
      s->feedback = vs.feedback_of(rs);
      if (s->check) {
        s->check_port = config::check_port(vs, rs, *s->check);
        s->schedule = health::NegotiateSchedule(s->check->connects_between);
        if (s->check->type == CheckType::http || s->check->type == CheckType::https) {
          Result<health::HttpExpect> expect = health::HttpExpect::make(
              s->check->expect_status, {.contains = s->check->expect_body,
                                        .regex = s->check->expect_body_regex,
                                        .absent = s->check->expect_body_absent});
          if (expect) s->expect = std::move(expect).value();  // the loader compiled it already
        }
      }
      const auto old = servers_.find(s->key);
      carry_over(*s, old == servers_.end() ? nullptr : old->second.get());
      start_timers(*s);
      report(*s);
      next.emplace(s->key, std::move(s));
    }
  }
  servers_ = std::move(next);
}

namespace {

// A check that runs: not none, on or off.
bool probing(const std::optional<config::HealthCheck>& check) {
  return check && check->type != CheckType::on && check->type != CheckType::off;
}

bool serving(Health h) { return h == Health::up || h == Health::falling || h == Health::unchecked; }

}  // namespace

// What was found about a server survives a reload while it still means something: the health
// found by the same kind of check (a new path or interval keeps it; a server that was not
// checked, or was on or off, or is now checked another way starts afresh, up until its first
// result), and the agent's words while there is an agent. A change the configuration makes
// (type off, a check removed) is an event like any other.
void HealthChecks::carry_over(Server& s, const Server* old) {
  if (old != nullptr && probing(s.check) && probing(old->check) &&
      old->check->type == s.check->type) {
    s.state = old->state;
    s.run.check_result = old->run.check_result;
    s.run.health_since = old->run.health_since;
  }
  if (old != nullptr && s.feedback && old->feedback) {
    s.run.agent_percent = old->run.agent_percent;
    s.run.agent_admin = old->run.agent_admin;
    s.run.agent_up = old->run.agent_up;
    s.run.agent_result = old->run.agent_result;
    s.announced = old->announced;
  }
  s.run.has_agent = s.feedback.has_value();
  if (!s.check) {
    s.run.health = Health::unchecked;
  } else if (!probing(s.check)) {
    s.run.health = s.check->type == CheckType::on ? Health::up : Health::down;
    s.run.check_result = std::string("check type ") + to_string(s.check->type);
  } else {
    s.run.health = s.state.health();
  }
  const Health before = old != nullptr ? old->run.health : Health::unchecked;
  if (serving(before) != serving(s.run.health)) {
    s.run.health_since = wall_clock();
    api_.announce({.kind = "health", .service = s.service, .server = s.label,
                   .from = serving(before) ? "up" : "down",
                   .to = serving(s.run.health) ? "up" : "down", .reason = "configuration"});
  }
}

void HealthChecks::start_timers(Server& s) {
  const auto spread = [this](uint32_t interval_ms) {
    return std::uniform_int_distribution<uint32_t>(0, interval_ms - 1)(random_);
  };
  if (s.check && s.check->type != CheckType::on && s.check->type != CheckType::off) {
    s.check_timer = loop_.timer([this, &s] { run_check(s); });
    s.check_timer.start(spread(s.check->interval_ms), s.check->interval_ms);
  }
  if (s.feedback) {
    s.agent_timer = loop_.timer([this, &s] { poll_agent(s); });
    s.agent_timer.start(spread(s.feedback->interval_ms), s.feedback->interval_ms);
  }
}

HealthChecks::Server* HealthChecks::find(const ServerKey& key, uint64_t serial) {
  const auto it = servers_.find(key);
  return it != servers_.end() && it->second->serial == serial ? it->second.get() : nullptr;
}

void HealthChecks::run_check(Server& s) {
  if (s.checking) return;  // cannot happen while timeout <= interval; a guard all the same
  s.checking = true;
  const config::HealthCheck& c = *s.check;
  const auto judged = [this, key = s.key, serial = s.serial](const ProbeResult& r) {
    on_check(key, serial, r.ok, r.reason);
  };
  const Endpoint to{c.address.value_or(s.address), s.check_port.value_or(0)};
  switch (c.type) {
    case CheckType::http:
    case CheckType::https:
      if (s.schedule.next_is_full()) {
        const health::HttpRequest request{.https = c.type == CheckType::https,
                                          .method = c.method,
                                          .to = to,
                                          .path = c.path,
                                          .host = c.host,
                                          .verify_certificate = c.verify_certificate,
                                          .ca_file = c.ca_file,
                                          .timeout_ms = c.timeout_ms};
        probes_.http(request, [this, key = s.key, serial = s.serial,
                               expect = s.expect](const ProbeResult& r) {
          if (!r.ok || !expect) return on_check(key, serial, false, r.reason);
          const std::optional<std::string> why = expect->mismatch(r.status, r.body);
          on_check(key, serial, !why, why.value_or(r.reason));
        });
        return;
      }
      return probes_.connect(to, c.timeout_ms, judged);
    case CheckType::connect: return probes_.connect(to, c.timeout_ms, judged);
    case CheckType::ping: return probes_.ping(to.address, c.timeout_ms, judged);
    case CheckType::dns:
      return probes_.dns(to, c.query_name, c.query_type, c.timeout_ms, judged);
    case CheckType::udp:
      return probes_.udp(to, c.payload, c.expect_reply, c.timeout_ms, judged);
    case CheckType::external: {
      // ldirectord's order: the virtual address and port, then the real server's.
      const std::string vip = format_ip(s.vip), vport = std::to_string(s.vport);
      const std::string rip = format_ip(to.address), rport = std::to_string(to.port);
      return probes_.script({c.command, vip, vport, rip, rport},
                            {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                             "SLUICE_SERVICE=" + s.service, "SLUICE_VIP=" + vip,
                             "SLUICE_VPORT=" + vport, "SLUICE_RIP=" + rip, "SLUICE_RPORT=" + rport},
                            c.timeout_ms, judged);
    }
    case CheckType::on:
    case CheckType::off: break;  // no timer runs for them
  }
  s.checking = false;
}

void HealthChecks::on_check(const ServerKey& key, uint64_t serial, bool success,
                            const std::string& reason) {
  Server* s = find(key, serial);
  if (s == nullptr) return;  // the server left, or a reload replaced its check
  s->checking = false;
  const Health before = s->state.health();
  const health::CheckState::Change change =
      s->state.record(success, {.rise = s->check->rise, .fall = s->check->fall});
  const bool reason_changed = s->run.check_result != reason;
  s->run.check_result = reason;
  if (change.shown) {
    s->run.health = s->state.health();
    s->run.health_since = wall_clock();
    logger().info("health_state", {{"service", s->service}, {"server", s->label},
                                   {"from", to_string(before)}, {"to", to_string(s->run.health)},
                                   {"reason", reason}});
  }
  if (change.serving) {
    api_.announce({.kind = "health", .service = s->service, .server = s->label,
                   .from = s->state.serving() ? "down" : "up",
                   .to = s->state.serving() ? "up" : "down", .reason = reason});
  }
  if (change.shown || reason_changed) report(*s);
}

void HealthChecks::poll_agent(Server& s) {
  if (s.polling) return;
  s.polling = true;
  const config::Feedback& f = *s.feedback;
  const Endpoint to{s.address, f.port};
  const auto heard = [this, key = s.key, serial = s.serial](const ProbeResult& r) {
    on_agent(key, serial, r);
  };
  if (f.type == FeedbackType::agent) return probes_.line(to, f.send, f.timeout_ms, heard);
  probes_.http({.https = false,
                .method = HttpMethod::GET,
                .to = to,
                .path = f.path,
                .host = "",
                .verify_certificate = false,
                .ca_file = "",
                .timeout_ms = f.timeout_ms},
               heard);
}

// An agent that cannot be reached, or says nothing usable, changes nothing: the server
// keeps the last weight it reported (HAProxy: "failure to connect to the agent is not an
// error"), and show servers says why.
void HealthChecks::on_agent(const ServerKey& key, uint64_t serial, const ProbeResult& r) {
  Server* s = find(key, serial);
  if (s == nullptr) return;
  s->polling = false;
  const RunState was = s->run;
  std::string result = r.reason;
  const bool http = s->feedback->type == FeedbackType::http;
  if (r.ok && (!http || (r.status >= 200 && r.status <= 299))) {
    // Each reply is the agent's whole word on the server, as the seeds' agents send it
    // every interval ("75", "drain", "up ready"): what it leaves out is back to normal
    // (up, ready, 100%). HAProxy keeps unreported words instead; ours cannot leave a server
    // drained by an agent that went on to report a percentage.
    const health::AgentReply reply = health::parse_agent_reply(r.body);
    if (!reply.empty()) {
      s->run.agent_percent = reply.percent;
      s->run.agent_admin = reply.admin == health::AgentAdmin::ready ? std::nullopt : reply.admin;
      s->run.agent_up = reply.up == true ? std::nullopt : reply.up;
    }
    result = reply.empty() ? "no usable reply" : "replied";
    const std::string first_line = r.body.substr(0, r.body.find_first_of("\r\n"));
    if (!first_line.empty()) result += " \"" + first_line.substr(0, 64) + "\"";
    if (!reply.unknown.empty() && s->run.agent_result != result) {
      logger().warning("agent_unknown_word", {{"service", s->service}, {"server", s->label},
                                              {"word", reply.unknown.front().substr(0, 32)}});
    }
  }
  const bool changed = s->run.agent_result != result || s->run.agent_percent != was.agent_percent ||
                       s->run.agent_admin != was.agent_admin || s->run.agent_up != was.agent_up;
  s->run.agent_result = result;
  if (agent_news(s->announced, s->run)) {
    api_.announce({.kind = "agent", .service = s->service, .server = s->label,
                   .from = agent_text(s->announced), .to = agent_text(s->run), .reason = result});
    s->announced = s->run;
  }
  if (changed) report(*s);
}

void HealthChecks::report(Server& s) {
  batch_.insert(s.key);
  if (flush_pending_) return;
  flush_pending_ = true;
  // At once (after every other result of this loop turn), unless the last publication was
  // too recent.
  const uint64_t now = loop_.now_ms();
  flush_.start(next_flush_ms_ > now ? next_flush_ms_ - now : 0, 0);
}

// A publication compiles the whole snapshot: about 1 ms for 2,000 servers, and 2.5 ms more
// per sh/dh/maglev service whose servers changed (bench/health_publish). The next one waits
// four times as long as this one took, so that 2,000 servers flapping at once cost the
// control thread at most a fifth of its time, and a lone change reaches the workers at once.
void HealthChecks::flush() {
  flush_pending_ = false;
  std::vector<std::pair<ServerKey, RunState>> changes;
  for (const ServerKey& key : batch_) {
    if (auto it = servers_.find(key); it != servers_.end()) changes.emplace_back(key, it->second->run);
  }
  batch_.clear();
  const auto started = std::chrono::steady_clock::now();
  if (Result<void> r = api_.report_health(changes); !r) {
    logger().warning("health_not_published", {{"error", r.error()}});
  }
  const auto took = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - started);
  loop_.update_time();
  // Rounded up: a 0.9 ms publication still waits 4 ms.
  next_flush_ms_ = loop_.now_ms() + (4 * static_cast<uint64_t>(took.count()) + 999) / 1000;
}

}  // namespace sluice::control
