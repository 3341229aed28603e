#include "control/ha_instances.h"

#include <net/if.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>

#include "common/ip_text.h"
#include "control/announcer.h"
#include "control/ha/vrrp_packet.h"
#include "control/log.h"
#include "control/vrrp_socket.h"

namespace sluice::control {
namespace {

// Tracking looks every 100 ms; a worker whose loop counter stood still for 10 looks (1 s) is
// stuck: a busy worker loops millions of times a second, an idle one thousands.
constexpr uint64_t kTrackEveryMs = 100;
constexpr uint32_t kHeartbeatPatience = 10;
constexpr size_t kMaxPacket = 4096;          // 255 IPv6 addresses fit (4088 bytes)

// Drops that are not the packet's fault but ours to refuse: an advert from outside the
// configured unicast peers.
constexpr std::string_view kNotAPeer = "not_a_peer";
constexpr size_t kDropReasons = ha::kVrrpDrops + 1;  // VrrpDrop's, then not_a_peer

}  // namespace

struct HaInstances::Instance {
  config::HaInstance config;
  IpAddress source;  // ours in adverts and tie-breaks (vrrp_socket.h, advert_source)
  unsigned ifindex = 0;  // the TAP twin's
  ha::VrrpInstance vrrp;
  int fd = -1;
  FdWatch watch;
  Timer timer;
  IpAddress master;  // who advertised last (or we, as master)
  bool heard_master = false;
  uint8_t master_priority = 0;
  ha::VrrpState shown = ha::VrrpState::initialize;  // as the last event told it
  bool maintenance = false;
  std::vector<std::string> tracked_down;
  std::string last_change = "not started";
  int64_t since = 0;
  uint64_t sent = 0, received = 0;
  std::array<uint64_t, kDropReasons> drops{};
  std::vector<IpAddress> advertised;  // the election's family: adverts carry one family only
  uint64_t announced_ms = 0;          // the last round announce_again started
  Announcer announcer;

  Instance(const config::HaInstance& c, const IpAddress& own, EventLoop& loop, ControlApi& api)
      : config(c),
        source(own),
        vrrp({.vrid = c.vrid,
              .priority = c.priority,
              .interval_cs = c.interval_cs,
              .preempt = c.preempt,
              .preempt_delay_ms = c.preempt_delay_ms,
              .address = own}),
        announcer(loop, c.garp, [&api, this] { api.announce_addresses(config.addresses); }) {
    std::ranges::copy_if(c.addresses, std::back_inserter(advertised),
                         [&c](const IpAddress& a) { return a.is_v4() != c.ipv6(); });
  }
};

HaInstances::HaInstances(EventLoop& loop, ControlApi& api, const config::Config& cfg)
    : loop_(loop),
      api_(api),
      heartbeats_(kHeartbeatPatience),
      aws_(loop, [this](const ha::AwsReport& r) {
        // Each EC2 or metadata request's result: the operator's record of what moved where.
        api_.announce({.kind = "aws", .service = r.instance, .server = r.call, .from = r.what,
                       .to = r.outcome == ha::AwsOutcome::ok         ? "ok"
                             : r.outcome == ha::AwsOutcome::retrying ? "retrying"
                                                                     : "failed",
                       .reason = r.result});
      }) {
  for (const config::HaInstance& c : cfg.ha.instances) {
    const config::Interface* ifc = nullptr;
    for (const config::Interface& i : cfg.interfaces) {
      if (i.name == c.interface) ifc = &i;
    }
    // Validation: the interface exists, with an address of the election's family.
    const std::optional<IpAddress> own = advert_source(c, *ifc, link_local_address(ifc->tap));
    auto in = std::make_unique<Instance>(c, own.value_or(IpAddress{}), loop_, api_);
    in->ifindex = if_nametoindex(ifc->tap.c_str());
    if (!own) {
      logger().error("vrrp_no_link_local", {{"instance", c.name}, {"interface", ifc->tap},
                                            {"effect", "it stays down"}});
      instances_.push_back(std::move(in));
      continue;
    }
    in->fd = in->ifindex == 0 ? -1 : open_vrrp_socket(ifc->tap, in->ifindex, c.ipv6());
    if (in->fd < 0) {
      logger().error("vrrp_socket", {{"instance", c.name}, {"interface", ifc->tap},
                                     {"error", std::strerror(errno)}, {"effect", "it stays down"}});
      instances_.push_back(std::move(in));
      continue;
    }
    Instance& ref = *in;
    in->watch = loop_.watch(in->fd, UV_READABLE, [this, &ref] { receive(ref); });
    in->timer = loop_.timer([this, &ref] { act(ref, ref.vrrp.on_timer(monotonic_ms())); });
    instances_.push_back(std::move(in));
    act(ref, ref.vrrp.start(monotonic_ms()));
  }
  track_timer_ = loop_.timer([this] { track(); });
  track_timer_.start(kTrackEveryMs, kTrackEveryMs);
  api_.on_ha_view([this] { return views(); });
  api_.on_ha_command([this](const HaCommand& c) {
    return c.failover ? failover(c.instance) : maintenance(c.instance, c.maintenance);
  });
}

void HaInstances::stop() {
  track_timer_.stop();
  for (auto& in : instances_) {
    if (in->fd < 0 || in->vrrp.state() == ha::VrrpState::initialize) continue;
    const ha::VrrpActions a = in->vrrp.stop();
    if (a.send_advert) send(*in, a.advert_priority);
    in->timer.stop();
    in->last_change = a.why;
  }
}

HaInstances::~HaInstances() {
  stop();
  api_.on_ha_view({});
  api_.on_ha_command({});
  for (auto& in : instances_) {
    if (in->fd < 0) continue;
    in->watch = FdWatch();
    in->timer = Timer();
    close(in->fd);
  }
}

void HaInstances::arm(Instance& in) {
  const uint64_t deadline = in.vrrp.deadline_ms();
  if (deadline == UINT64_MAX) return in.timer.stop();
  const uint64_t now = monotonic_ms();
  in.timer.start(deadline > now ? deadline - now : 0, 0);
}

void HaInstances::act(Instance& in, const ha::VrrpActions& a) {
  if (a.send_advert) send(in, a.advert_priority);
  // At most once a second: a peer that keeps claiming must not make a storm of ARP (or of
  // EC2 calls: on AWS the loser may have moved the addresses to itself, so they move back).
  const uint64_t now = monotonic_ms();
  if (a.announce_again && now >= in.announced_ms + 1000) {
    in.announced_ms = now;
    if (in.config.aws) {
      aws_.take_over(in.config.name, in.config.aws->moves, in.config.aws->settings);
    } else {
      in.announcer.start();
    }
  }
  if (a.entered) {
    const ha::VrrpState to = *a.entered;
    api_.announce({.kind = "ha", .service = in.config.name, .server = "",
                   .from = in.since == 0 ? "" : ha::to_string(in.shown), .to = ha::to_string(to),
                   .reason = a.why});
    if (to == ha::VrrpState::master || in.shown == ha::VrrpState::master) {
      move_addresses(in, to == ha::VrrpState::master);
    }
    in.shown = to;
    in.last_change = a.why;
    in.since = static_cast<int64_t>(std::time(nullptr));
    if (to == ha::VrrpState::master) {
      in.master = in.source;
      in.master_priority = in.vrrp.priority();
      in.heard_master = true;
    }
  }
  arm(in);
}

void HaInstances::track() {
  const std::vector<size_t> stuck = heartbeats_.look(api_.worker_loops());
  for (auto& in : instances_) {
    if (in->fd < 0) continue;
    const config::Track& t = in->config.track;
    std::vector<std::string> down;
    for (const std::string& name : t.interfaces) {
      if (!api_.link_up(name)) down.push_back("interface " + name + ": link down");
    }
    for (const std::string& name : t.services) {
      if (!api_.serving(name)) down.push_back("service " + name + ": no real server");
    }
    if (t.workers) {
      for (const size_t w : stuck) down.push_back("worker " + std::to_string(w) + ": stuck");
    }
    if (down == in->tracked_down) continue;
    const uint8_t before = in->vrrp.priority();
    const uint8_t now = ha::tracked_priority(in->config.priority, static_cast<uint32_t>(down.size()),
                                             t.weight);
    std::string why = "tracking: ";
    for (size_t i = 0; i < down.size(); ++i) why += (i == 0 ? "" : ", ") + down[i];
    if (down.empty()) why += "all up";
    in->tracked_down = std::move(down);
    if (now == before) continue;
    api_.announce({.kind = "ha_priority", .service = in->config.name, .server = "",
                   .from = std::to_string(before), .to = std::to_string(now), .reason = why});
    ha::VrrpActions a = in->vrrp.set_priority(monotonic_ms(), now);
    a.why = why;
    act(*in, a);
  }
}

// Master: the addresses are answered and forwarded here from now on, then announced. Leaving
// master: they are the peer's again (the new master announces them).
void HaInstances::move_addresses(Instance& in, bool here) {
  if (Result<void> r = api_.set_floating(in.config.addresses, here); !r) {
    logger().error("floating_addresses", {{"instance", in.config.name},
                                          {"not", here ? "taken" : "released"},
                                          {"error", r.error()}});
    // Not answered here: pulling the hosts over would have their traffic dropped.
    if (here) return;
  }
  // On AWS the VPC ignores gratuitous ARP: the addresses move by EC2 calls instead.
  if (in.config.aws) {
    if (here) {
      aws_.take_over(in.config.name, in.config.aws->moves, in.config.aws->settings);
    } else {
      aws_.cancel(in.config.name);
    }
  } else if (here) {
    in.announcer.start();
  } else {
    in.announcer.stop();
  }
}

void HaInstances::send(Instance& in, uint8_t priority) {
  const ha::Advert advert{in.config.vrid, priority, in.config.interval_cs, in.advertised};
  std::vector<IpAddress> to = in.config.peers;
  if (to.empty()) to.push_back(vrrp_group(in.config.ipv6()));
  for (const IpAddress& peer : to) {
    const std::vector<uint8_t> message = ha::build_advert(advert, in.source, peer);
    if (send_vrrp(in.fd, message, in.source, peer, in.ifindex)) ++in.sent;
  }
}

void HaInstances::receive(Instance& in) {
  uint8_t packet[kMaxPacket];
  VrrpDatagram d;
  for (;;) {
    const VrrpRead r = read_vrrp(in.fd, in.config.ipv6(), packet, d);
    if (r == VrrpRead::none) return;  // EAGAIN: all read
    if (r == VrrpRead::truncated) {
      ++in.drops[static_cast<size_t>(ha::VrrpDrop::truncated)];
      continue;
    }
    const IpAddress& source = d.source;
    if (source == in.source) continue;  // our own, looped back by a peer's switch
    const ha::ParsedAdvert p = ha::parse_advert(d.message, source, d.destination, d.ttl);
    if (!p.advert) {
      ++in.drops[static_cast<size_t>(p.drop)];
      continue;
    }
    if (p.advert->vrid != in.config.vrid) continue;  // another instance's
    if (!in.config.peers.empty() &&
        std::find(in.config.peers.begin(), in.config.peers.end(), source) == in.config.peers.end()) {
      ++in.drops[kDropReasons - 1];
      continue;
    }
    ++in.received;
    if (p.advert->priority != 0) {
      in.master = source;
      in.master_priority = p.advert->priority;
      in.heard_master = true;
    }
    act(in, in.vrrp.on_advert(monotonic_ms(), *p.advert, source));
  }
}

Result<std::vector<HaInstances::Instance*>> HaInstances::select(const std::string& name) {
  std::vector<Instance*> out;
  for (auto& in : instances_) {
    if (in->fd >= 0 && (name.empty() || in->config.name == name)) out.push_back(in.get());
  }
  if (out.empty()) {
    return Error{name.empty() ? "no VRRP instance is running" : "no VRRP instance named " + name};
  }
  return out;
}

Result<void> HaInstances::failover(const std::string& name) {
  Result<std::vector<Instance*>> chosen = select(name);
  if (!chosen) return Error{chosen.error()};
  for (Instance* in : chosen.value()) act(*in, in->vrrp.hand_over(monotonic_ms()));
  return {};
}

Result<void> HaInstances::maintenance(const std::string& name, bool on) {
  Result<std::vector<Instance*>> chosen = select(name);
  if (!chosen) return Error{chosen.error()};
  for (Instance* in : chosen.value()) {
    act(*in, in->vrrp.set_maintenance(monotonic_ms(), on));
    in->maintenance = on;
  }
  return {};
}

std::vector<HaView> HaInstances::views() const {
  std::vector<HaView> out;
  for (const auto& in : instances_) {
    HaView v{.name = in->config.name,
             .interface = in->config.interface,
             .vrid = in->config.vrid,
             .state = in->fd < 0 ? "fault" : ha::to_string(in->vrrp.state()),
             .priority = in->vrrp.priority(),
             .configured_priority = in->config.priority,
             .interval_cs = in->config.interval_cs,
             .master_interval_cs = in->vrrp.master_interval_cs(),
             .master = in->heard_master ? format_ip(in->master) : "",
             .master_priority = in->master_priority,
             .last_change = in->last_change,
             .maintenance = in->maintenance,
             .tracked_down = in->tracked_down,
             .aws = std::nullopt,
             .since = in->since,
             .addresses = in->config.addresses,
             .adverts_sent = in->sent,
             .adverts_received = in->received,
             .drops = {}};
    for (size_t i = 0; i + 1 < kDropReasons; ++i) {
      v.drops.emplace_back(ha::to_string(static_cast<ha::VrrpDrop>(i)), in->drops[i]);
    }
    v.drops.emplace_back(kNotAPeer, in->drops[kDropReasons - 1]);
    if (in->config.aws) {
      const ha::AwsCounters c = aws_.counters(in->config.name);
      v.aws = AwsView{.calls = c.calls, .retries = c.retries, .failures = c.failures,
                      .moving = c.moving};
    }
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace sluice::control
