#include "control/ha_sync.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/ip_text.h"
#include "control/compile/compile.h"
#include "control/log.h"
#include "control/sync_records.h"

namespace sluice::control {
namespace {

// Datagrams waiting to leave: ~23 MB, the whole table of about 480k connections at once.
constexpr size_t kMaxOutbox = 16384;
// Learnt connections waiting for room in a worker's control ring (~11 MB).
constexpr size_t kMaxLearnt = 65536;
// Per loop turn: the exception path takes a few hundred packets per turn, and each learnt
// connection costs its worker ~1 us (dataplane/control_channel.cc takes 64 per loop).
constexpr unsigned kSendPerTurn = 64;
constexpr unsigned kLearnPerTurn = 256;
constexpr unsigned kReceivePerTurn = 64;
constexpr uint64_t kFlushMs = 10;                 // a record leaves within this
constexpr uint64_t kPersistenceEveryMs = 1000;   // new or moved persistence entries
// ...and this soon after a new connection, which may have made one: a takeover a moment
// later still finds the client's server. At most 20 table scans (65,536 slots, a few ms
// when full) a second.
constexpr uint64_t kPersistenceSoonMs = 50;
constexpr size_t kMaxReceived = ha::kMaxUdpPayload;
constexpr uint64_t kPushTimeoutMs = 5000;
constexpr uint64_t kEverythingEveryMs = 1000;  // full sends the peer asks for, at most  // the peer validates and reloads: milliseconds

uint64_t random_boot_id() {
  std::random_device r;
  return uint64_t{r()} << 32 | r();
}

socklen_t socket_address(const IpAddress& a, uint16_t port, sockaddr_storage& out) {
  out = {};
  if (a.is_v4()) {
    auto* sa = reinterpret_cast<sockaddr_in*>(&out);
    sa->sin_family = AF_INET;
    sa->sin_port = htons(port);
    sa->sin_addr.s_addr = htonl(a.to_v4());
    return sizeof(sockaddr_in);
  }
  auto* sa = reinterpret_cast<sockaddr_in6*>(&out);
  sa->sin6_family = AF_INET6;
  sa->sin6_port = htons(port);
  std::memcpy(sa->sin6_addr.s6_addr, a.bytes.data(), 16);
  return sizeof(sockaddr_in6);
}

// A UDP socket on `tap` at our address and the sync port.
int open_sync_socket(const std::string& tap, const IpAddress& own, uint16_t port) {
  const int fd = socket(own.is_v4() ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_storage sa;
  const socklen_t length = socket_address(own, port, sa);
  const int on = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, tap.c_str(), static_cast<socklen_t>(tap.size())) != 0 ||
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 ||
      bind(fd, reinterpret_cast<const sockaddr*>(&sa), length) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

bool same_endpoint(const sockaddr_storage& a, const sockaddr_storage& b) {
  if (a.ss_family != b.ss_family) return false;
  if (a.ss_family == AF_INET) {
    const auto& x = reinterpret_cast<const sockaddr_in&>(a);
    const auto& y = reinterpret_cast<const sockaddr_in&>(b);
    return x.sin_port == y.sin_port && x.sin_addr.s_addr == y.sin_addr.s_addr;
  }
  const auto& x = reinterpret_cast<const sockaddr_in6&>(a);
  const auto& y = reinterpret_cast<const sockaddr_in6&>(b);
  return x.sin6_port == y.sin6_port && std::memcmp(&x.sin6_addr, &y.sin6_addr, 16) == 0;
}

}  // namespace

HaSync::HaSync(EventLoop& loop, ControlApi& api, const config::Config& cfg)
    : loop_(loop),
      api_(api),
      cfg_(cfg),
      settings_(*cfg.ha.sync),
      boot_id_(random_boot_id()),
      writer_(settings_.key, boot_id_) {
  const config::Interface* ifc = nullptr;
  IpAddress own;
  for (const config::Interface& i : cfg.interfaces) {
    for (const Prefix& p : i.addresses) {
      if (i.name == settings_.interface && p.address.is_v4() == settings_.peer.is_v4()) {
        ifc = &i;
        own = p.address;
      }
    }
  }
  counters_.peer = format_endpoint(settings_.peer, settings_.port);
  note_services();
  fd_ = ifc == nullptr ? -1 : open_sync_socket(ifc->tap, own, settings_.port);
  if (fd_ < 0) {
    logger().error("sync_socket", {{"interface", settings_.interface}, {"port", settings_.port},
                                   {"error", std::strerror(errno)},
                                   {"effect", "nothing is synced"}});
    return;
  }
  watch_ = loop_.watch(fd_, UV_READABLE, [this] { receive(); });
  pump_ = loop_.spinner([this] { pump(); });
  flush_timer_ = loop_.timer([this] { flush(); });
  refresh_timer_ = loop_.timer([this] { send_everything(); });
  everything_soon_ = loop_.timer([this] { send_everything(); });
  refresh_timer_.start(settings_.refresh_ms, settings_.refresh_ms);
  persistence_timer_ = loop_.timer([this] { send_persistence(false); });
  persistence_timer_.start(kPersistenceEveryMs, kPersistenceEveryMs);
  persistence_soon_ = loop_.timer([this] {
    persistence_pending_ = false;
    send_persistence(false);
  });
  api_.on_connection_event([this](const dp::WorkerMessage& m) { on_event(m); });
  api_.on_reload([this] {
    note_services();
    translate();  // our ids of the peer's servers may be new (a push applied, say)
    send_directory();
  });
  api_.on_sync_view([this] { return std::optional<SyncView>(view()); });
  api_.on_ha_push([this](ControlApi::PushDone done) { push(std::move(done)); });
  push_timer_ = loop_.timer([this] {
    if (!pushing_) return;
    const ControlApi::PushDone done = std::move(pushing_->done);
    pushing_.reset();
    done(Error{"the peer " + counters_.peer + " did not answer the push within 5 s"});
  });
  next_push_ = static_cast<uint32_t>(random_boot_id());
  // We know nothing yet: the peer, if it runs, sends everything it is master of.
  send_directory();
  outbox_.push_back(writer_.resync_request());
  pump_.start();
}

HaSync::~HaSync() {
  api_.on_connection_event({});
  api_.on_sync_view({});
  api_.on_ha_push({});
  if (fd_ >= 0) {
    watch_ = FdWatch();
    close(fd_);
  }
}

void HaSync::stop() {
  if (fd_ < 0) return;
  api_.drain_connection_events();  // what the workers reported and the loop has not taken
  if (!persistent_.empty()) send_persistence(false);  // the newest clients' servers too
  flush();
  while (!outbox_.empty()) {
    const size_t before = outbox_.size();
    pump();
    if (outbox_.size() == before) break;  // the TAP queue is full: what is left is lost
  }
}

void HaSync::on_event(const dp::WorkerMessage& m) {
  // A closed connection ages out on the peer by the timer its last state gave it; and the
  // expiry of a connection learnt from the peer must never close the peer's own.
  if (m.type == dp::FromWorker::connection_closed) return;
  const ha::SyncConnection c = sync_record(
      m.record, m.now,
      m.type == dp::FromWorker::connection_created ? ha::SyncEvent::created : ha::SyncEvent::updated);
  if (!ours(c.vip)) return;
  add(c);
  if (m.type == dp::FromWorker::connection_created && !persistent_.empty() && !persistence_pending_) {
    persistence_pending_ = true;
    persistence_soon_.start(kPersistenceSoonMs, 0);
  }
}

template <class Record>
void HaSync::add(const Record& r) {
  if (!writer_.add(r)) {
    flush();
    writer_.add(r);
  }
  ++counters_.records_sent;
  if (writer_.records() == 1) flush_timer_.start(kFlushMs, 0);
}

void HaSync::flush() {
  std::vector<uint8_t> datagram = writer_.seal();
  if (datagram.empty()) return;
  if (outbox_.size() >= kMaxOutbox) {
    ++counters_.send_failed;
    return;
  }
  outbox_.push_back(std::move(datagram));
  pump_.start();
}

void HaSync::send_directory() {
  for (const auto& [key, id] : api_.server_ids()) {
    add(ha::SyncServer{.id = id, .service = key.service, .address = key.address,
                       .port = key.port, .fallback = key.fallback});
  }
  flush();
}

void HaSync::translate() {
  peer_ids_.clear();
  const auto& ours = api_.server_ids();
  for (const auto& [id, key] : peer_directory_) {
    if (const auto it = ours.find(key); it != ours.end()) peer_ids_[id] = it->second;
  }
}

void HaSync::note_services() {
  persistent_.clear();
  const auto longest = [](const config::Timeouts& t) {
    return std::max({t.tcp, t.tcp_fin, t.tcp_syn, t.tcp_close, t.udp});
  };
  longest_timeout_ = longest(cfg_.connections.timeouts);
  longest_persistence_ = 0;
  for (const config::VirtualService& vs : cfg_.virtual_services) {
    longest_timeout_ = std::max(longest_timeout_, longest(vs.timeouts));
    if (!vs.persistence) continue;
    persistent_[persistence_key_of(vs.name)] = &vs;
    longest_persistence_ = std::max(longest_persistence_, vs.persistence->timeout);
  }
}

bool HaSync::service_is_ours(uint32_t persistence_key) const {
  const auto it = persistent_.find(persistence_key);
  return it != persistent_.end() &&
         std::ranges::any_of(it->second->listeners,
                             [this](const config::Listener& l) { return ours(l.address); });
}

// Every second what is new or moved; with `everything`, all of it.
void HaSync::send_persistence(bool everything) {
  const uint32_t now = api_.worker_now();
  std::unordered_map<uint64_t, uint32_t> sent;
  for (const dp::PersistenceTable::Entry& e : api_.persistence_entries()) {
    if (!service_is_ours(e.service)) continue;
    const uint64_t key = uint64_t{e.service} << 32 | e.client;
    sent[key] = e.server_id;
    const auto before = persistence_sent_.find(key);
    if (!everything && before != persistence_sent_.end() && before->second == e.server_id) continue;
    add(sync_record(e, now));
  }
  persistence_sent_ = std::move(sent);
  flush();
}

void HaSync::send_everything() {
  last_everything_ms_ = loop_.now_ms();
  send_directory();
  const std::weak_ptr<bool> alive = alive_;
  const Result<void> asked =
      api_.dump_connection_records(loop_.now_ms(), [this, alive](ConnDumpResult r) {
        if (alive.expired()) return;
        // Into the outbox as it drains (pump): a table of millions must not overflow it.
        for (const ConnDump& d : r.dumps) {
          for (const dp::ConnRecord& record : d.records) {
            const ha::SyncConnection c = sync_record(record, d.worker_now, ha::SyncEvent::updated);
            if (ours(c.vip)) refreshing_.push_back(c);
          }
        }
        pump_.start();
      });
  if (!asked) logger().warning("sync_full_send", {{"error", asked.error()}});
  send_persistence(true);
}

void HaSync::pump() {
  sockaddr_storage peer;
  const socklen_t length = socket_address(settings_.peer, settings_.port, peer);
  for (unsigned n = 0; n < kSendPerTurn && !outbox_.empty(); ++n) {
    const std::vector<uint8_t>& d = outbox_.front();
    if (sendto(fd_, d.data(), d.size(), 0, reinterpret_cast<const sockaddr*>(&peer), length) < 0) {
      if (errno == EAGAIN || errno == ENOBUFS) break;  // the TAP's queue is full: next turn
      ++counters_.send_failed;
    } else {
      ++counters_.datagrams_sent;
    }
    outbox_.pop_front();
  }
  for (unsigned n = 0; n < kLearnPerTurn && !learnt_.empty(); ++n) {
    if (!api_.learn_connection(learnt_.front())) break;  // its worker's ring is full: next turn
    learnt_.pop_front();
  }
  // A full send's connections follow as the outbox drains.
  while (!refreshing_.empty() && outbox_.size() < kSendPerTurn) {
    add(refreshing_.front());
    refreshing_.pop_front();
    if (refreshing_.empty()) flush();
  }
  if (outbox_.empty() && learnt_.empty() && refreshing_.empty()) pump_.stop();
}

void HaSync::receive() {
  static thread_local std::vector<uint8_t> buffer(kMaxReceived);
  sockaddr_storage expected;
  socket_address(settings_.peer, settings_.port, expected);
  for (unsigned n = 0; n < kReceivePerTurn; ++n) {
    sockaddr_storage from{};
    socklen_t from_length = sizeof from;
    const ssize_t got = recvfrom(fd_, buffer.data(), buffer.size(), 0,
                                 reinterpret_cast<sockaddr*>(&from), &from_length);
    if (got < 0) return;  // EAGAIN: all read
    // Only the peer's address and port speak sync (the key proves the rest).
    if (!same_endpoint(from, expected)) {
      ++counters_.not_from_peer;
      continue;
    }
    const ha::ParsedSync p =
        ha::parse_sync({buffer.data(), static_cast<size_t>(got)}, settings_.key, replay_);
    if (!p.message) {
      ++drops_[static_cast<size_t>(p.drop)];
      continue;
    }
    ++counters_.datagrams_received;
    heard_ = true;
    last_heard_ms_ = loop_.now_ms();
    peer_boot_ = p.message->boot_id;
    take(*p.message);
  }
}

void HaSync::take(const ha::SyncMessage& m) {
  if (m.new_boot) peer_directory_.clear();  // its ids may have changed; its directory follows
  counters_.records_received += m.connections.size() + m.persistence.size() + m.servers.size();
  for (const ha::SyncServer& s : m.servers) {
    peer_directory_[s.id] = {s.service, s.address, s.port, s.fallback};
  }
  if (m.new_boot || !m.servers.empty()) translate();
  for (const ha::SyncConnection& c : m.connections) {
    if (ours(c.vip)) {
      ++counters_.not_ours;
      continue;
    }
    const auto id = peer_ids_.find(c.server_id);
    if (id == peer_ids_.end()) {
      ++counters_.unknown_server;
      continue;
    }
    // A peer's clock may say anything: no learnt connection outlives our longest timeout.
    ha::SyncConnection bounded = c;
    bounded.seconds_left = std::min(c.seconds_left, longest_timeout_);
    std::optional<dp::ConnRecord> record = learnt_record(bounded, id->second);
    if (!record) {
      ++counters_.bad_state;
    } else if (learnt_.size() >= kMaxLearnt) {
      ++counters_.learnt_refused;
    } else {
      learnt_.push_back(*record);
      pump_.start();
    }
  }
  for (const ha::SyncPersistence& p : m.persistence) {
    if (service_is_ours(p.service)) {
      ++counters_.not_ours;
      continue;
    }
    const auto id = peer_ids_.find(p.server_id);
    if (id == peer_ids_.end()) {
      ++counters_.unknown_server;
      continue;
    }
    ha::SyncPersistence bounded = p;
    bounded.seconds_left = std::min(p.seconds_left, longest_persistence_);
    api_.learn_persistence(learnt_entry(bounded, id->second));
  }
  if (m.chunk) take_chunk(*m.chunk);
  if (m.result) take_result(*m.result);
  // The peer (re)started, or asks: it has nothing of what we are master of.
  // At most one full send a second for these: asking costs the peer nothing.
  if (m.type == ha::SyncType::resync_request || m.new_boot) {
    const uint64_t since = loop_.now_ms() - last_everything_ms_;
    if (since >= kEverythingEveryMs) {
      send_everything();
    } else {
      everything_soon_.start(kEverythingEveryMs - since, 0);
    }
  }
}

void HaSync::push(ControlApi::PushDone done) {
  if (fd_ < 0) return done(Error{"sync has no socket: nothing can be pushed"});
  if (pushing_) return done(Error{"a push is under way already"});
  if (!heard_) return done(Error{"the peer " + counters_.peer + " has not been heard yet"});
  Result<std::string> text = api_.services_text();
  if (!text) return done(Error{text.error()});
  const std::string& block = text.value();
  if (block.size() > ha::kMaxPushedConfig) return done(Error{"virtual_services larger than 1 MiB"});
  pushing_ = Outgoing{.id = ++next_push_, .done = std::move(done)};
  for (size_t at = 0; at < block.size(); at += writer_.max_chunk()) {
    outbox_.push_back(writer_.config_chunk({.to_boot = peer_boot_,
                                            .push = pushing_->id,
                                            .total = static_cast<uint32_t>(block.size()),
                                            .offset = static_cast<uint32_t>(at),
                                            .bytes = block.substr(at, writer_.max_chunk())}));
  }
  pump_.start();
  push_timer_.start(kPushTimeoutMs, 0);
}

// Chunks come in order (one sender, one segment): a gap or another push starts afresh. A
// chunk for an earlier boot of ours is a recording (counted as not_ours: not for us now).
void HaSync::take_chunk(const ha::SyncConfigChunk& c) {
  if (c.to_boot != boot_id_) {
    ++counters_.not_ours;
    return;
  }
  if (c.offset == 0) incoming_ = ha::SyncConfigChunk{.push = c.push, .total = c.total, .offset = 0, .bytes = {}};
  if (!incoming_ || incoming_->push != c.push || incoming_->total != c.total ||
      incoming_->bytes.size() != c.offset) {
    incoming_.reset();
    return;
  }
  incoming_->bytes += c.bytes;
  if (incoming_->bytes.size() != incoming_->total) return;
  const uint32_t id = incoming_->push;
  Result<std::string> applied = api_.apply_services(incoming_->bytes);
  incoming_.reset();
  const std::string text = applied ? applied.value() : applied.error();
  api_.announce({.kind = "ha_push", .service = "", .server = counters_.peer, .from = "",
                 .to = applied ? "applied" : "refused", .reason = text.substr(0, text.find('\n'))});
  outbox_.push_back(writer_.config_result(
      {.push = id, .ok = bool(applied), .text = text.substr(0, ha::kMaxPushResult)}));
  pump_.start();
}

void HaSync::take_result(const ha::SyncConfigResult& r) {
  if (!pushing_ || pushing_->id != r.push) return;  // late, or not ours
  push_timer_.stop();
  const ControlApi::PushDone done = std::move(pushing_->done);
  pushing_.reset();
  done(r.ok ? Result<std::string>{r.text} : Result<std::string>{Error{r.text}});
}

SyncView HaSync::view() const {
  SyncView v = counters_;
  v.outbox = outbox_.size();
  v.lost = replay_.lost();
  v.last_heard_ms = heard_ ? static_cast<int64_t>(loop_.now_ms() - last_heard_ms_) : -1;
  for (size_t i = 0; i < ha::kSyncDrops; ++i) {
    v.drops.emplace_back(ha::to_string(static_cast<ha::SyncDrop>(i)), drops_[i]);
  }
  return v;
}

}  // namespace sluice::control
