#include "control/ha_instances.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <rte_log.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>

#include "common/ip_text.h"
#include "control/announcer.h"
#include "control/ha/vrrp_packet.h"

namespace sluice::control {
namespace {

constexpr uint32_t kVrrpGroup = 0xe0000012;  // 224.0.0.18, host order
// Tracking looks every 100 ms; a worker whose loop counter stood still for 10 looks (1 s) is
// stuck: a busy worker loops millions of times a second, an idle one thousands.
constexpr uint64_t kTrackEveryMs = 100;
constexpr uint32_t kHeartbeatPatience = 10;
constexpr size_t kMaxPacket = 2048;          // an IPv4 header and 255 addresses fit

// Drops that are not the packet's fault but ours to refuse: an advert from outside the
// configured unicast peers.
constexpr std::string_view kNotAPeer = "not_a_peer";
constexpr size_t kDropReasons = ha::kVrrpDrops + 1;  // VrrpDrop's, then not_a_peer

sockaddr_in ipv4_socket_address(const IpAddress& a) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(a.to_v4());
  return sa;
}

// A raw socket of protocol 112 on `tap`: sends with TTL 255 (multicast and unicast), hears
// the group on that device only, not its own multicast.
int open_vrrp_socket(const std::string& tap, unsigned ifindex) {
  const int fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, ha::kVrrpProtocol);
  if (fd < 0) return -1;
  const int ttl = ha::kVrrpTtl;
  const int off = 0;
  ip_mreqn group{};
  group.imr_multiaddr.s_addr = htonl(kVrrpGroup);
  group.imr_ifindex = static_cast<int>(ifindex);
  ip_mreqn out{};
  out.imr_ifindex = static_cast<int>(ifindex);
  const bool ok =
      setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, tap.c_str(), static_cast<socklen_t>(tap.size())) == 0 &&
      setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof ttl) == 0 &&
      setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl) == 0 &&
      setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &off, sizeof off) == 0 &&
      setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &out, sizeof out) == 0 &&
      setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &group, sizeof group) == 0;
  if (!ok) {
    close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

struct HaInstances::Instance {
  config::HaInstance config;
  IpAddress source;  // the interface's first IPv4 address: ours in adverts and tie-breaks
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
  std::vector<IpAddress> advertised;  // the IPv4 addresses: adverts carry their family only
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
                         [](const IpAddress& a) { return a.is_v4(); });
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
    IpAddress own;
    for (const Prefix& p : ifc->addresses) {  // validation: the interface exists, with IPv4
      if (p.address.is_v4()) {
        own = p.address;
        break;
      }
    }
    auto in = std::make_unique<Instance>(c, own, loop_, api_);
    const unsigned ifindex = if_nametoindex(ifc->tap.c_str());
    in->fd = ifindex == 0 ? -1 : open_vrrp_socket(ifc->tap, ifindex);
    if (in->fd < 0) {
      RTE_LOG(ERR, USER1, "sluiced: ha instance %s: no VRRP socket on %s: %s; it stays down\n",
              c.name.c_str(), ifc->tap.c_str(), std::strerror(errno));
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
    RTE_LOG(ERR, USER1, "sluiced: ha instance %s: floating addresses not %s: %s\n",
            in.config.name.c_str(), here ? "taken" : "released", r.error().c_str());
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
  if (to.empty()) to.push_back(IpAddress::v4(kVrrpGroup));
  for (const IpAddress& peer : to) {
    const std::vector<uint8_t> message = ha::build_advert(advert, in.source, peer);
    const sockaddr_in sa = ipv4_socket_address(peer);
    if (sendto(in.fd, message.data(), message.size(), 0, reinterpret_cast<const sockaddr*>(&sa),
               sizeof sa) == static_cast<ssize_t>(message.size())) {
      ++in.sent;
    }
  }
}

void HaInstances::receive(Instance& in) {
  uint8_t packet[kMaxPacket];
  for (;;) {
    const ssize_t n = recv(in.fd, packet, sizeof packet, 0);
    if (n < 0) return;  // EAGAIN: all read
    if (n < 20) {
      ++in.drops[static_cast<size_t>(ha::VrrpDrop::truncated)];
      continue;
    }
    const size_t header = static_cast<size_t>(packet[0] & 0x0f) * 4;
    if (header < 20 || header > static_cast<size_t>(n)) {
      ++in.drops[static_cast<size_t>(ha::VrrpDrop::truncated)];
      continue;
    }
    const auto address_at = [&packet](size_t at) {
      return IpAddress::v4(uint32_t{packet[at]} << 24 | uint32_t{packet[at + 1]} << 16 |
                           uint32_t{packet[at + 2]} << 8 | packet[at + 3]);
    };
    const IpAddress source = address_at(12), destination = address_at(16);
    if (source == in.source) continue;  // our own, looped back by a peer's switch
    const ha::ParsedAdvert p = ha::parse_advert(
        {packet + header, static_cast<size_t>(n) - header}, source, destination, packet[8]);
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
