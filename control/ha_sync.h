// Connection sync with the HA peer (config `ha.sync`): one UDP socket on the sync
// interface's TAP twin, so the datagrams travel the exception path like any traffic of the
// appliance's own. What it sends and takes:
//   - connections this appliance is master of (their VIP is not standby here), as the
//     workers create them and as their TCP state moves, batched into signed datagrams
//     (control/ha/sync_packet.h) sent within 10 ms; closed ones age out on the peer by the
//     timer their last state gave them;
//   - its server directory (ids are each appliance's own), at start, after every reload and
//     with every refresh; persistence entries that are new or moved, every second and 50 ms
//     after a new connection;
//   - everything (directory, every connection, every persistence entry) every `refresh`,
//     and when the peer asks for it: at its start (a resync request), or when it restarted.
// It takes from the peer only what belongs to addresses that are standby here (the peer is
// their master): the workers insert those connections through their control rings, and the
// shared persistence table records the entries, with our server ids.
// `sluicectl ha push` rides the same channel: the virtual_services block in chunks, in order,
// and the peer's answer (applied and reloaded, or every error), within 5 s.
// Thread safety: the event loop's thread only.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <unordered_map>
#include <vector>

#include "config/model.h"
#include "control/api.h"
#include "control/event_loop.h"
#include "control/ha/sync_packet.h"

namespace sluice::control {

class HaSync {
 public:
  // `cfg.ha.sync` must be set.
  HaSync(EventLoop& loop, ControlApi& api, const config::Config& cfg);
  ~HaSync();
  HaSync(const HaSync&) = delete;
  HaSync& operator=(const HaSync&) = delete;

  SyncView view() const;
  // A clean stop: the connections reported so far leave now, before the peer takes over.
  void stop();

 private:
  void on_event(const dp::WorkerMessage& m);
  template <class Record>
  void add(const Record& r);
  void flush();
  void send_everything();
  void send_directory();
  void send_persistence(bool everything);
  void pump();  // the outbox to the socket, learnt connections to the workers
  void receive();
  void take(const ha::SyncMessage& m);
  bool ours(const IpAddress& vip) const { return api_.owns(vip); }
  bool service_is_ours(uint32_t persistence_key) const;
  void note_services();  // at start and after reloads
  void translate();      // peer_ids_ from peer_directory_ and our ids
  void push(ControlApi::PushDone done);
  void take_chunk(const ha::SyncConfigChunk& c);
  void take_result(const ha::SyncConfigResult& r);

  EventLoop& loop_;
  ControlApi& api_;
  const config::Config& cfg_;
  config::SyncSettings settings_;
  int fd_ = -1;
  FdWatch watch_;
  Timer flush_timer_, refresh_timer_, persistence_timer_, persistence_soon_, everything_soon_;
  uint64_t last_everything_ms_ = 0;
  std::deque<ha::SyncConnection> refreshing_;  // a full send's connections, not yet in datagrams
  uint32_t longest_timeout_ = 0;      // seconds: what a learnt connection may have left
  uint32_t longest_persistence_ = 0;  // and a learnt persistence entry
  bool persistence_pending_ = false;  // persistence_soon_ is running
  Spinner pump_;
  uint64_t boot_id_ = 0;  // ours, drawn at start
  ha::SyncWriter writer_;
  ha::ReplayState replay_;
  std::map<uint32_t, ServerKey> peer_directory_;  // the peer's server id -> which server
  std::map<uint32_t, uint32_t> peer_ids_;         // the peer's server id -> ours (both reloads)
  std::unordered_map<uint64_t, uint32_t> persistence_sent_;  // service << 32 | client -> server
  // Persistent services by their persistence key (note_services), pointing into cfg_.
  std::unordered_map<uint32_t, const config::VirtualService*> persistent_;
  std::deque<std::vector<uint8_t>> outbox_;
  std::deque<dp::ConnRecord> learnt_;
  // Our push waiting for the peer's answer, and the peer's push being received.
  struct Outgoing {
    uint32_t id = 0;
    ControlApi::PushDone done;
  };
  std::optional<Outgoing> pushing_;
  Timer push_timer_;
  uint32_t next_push_ = 0;
  std::optional<ha::SyncConfigChunk> incoming_;  // its bytes so far
  bool heard_ = false;
  uint64_t peer_boot_ = 0;  // the peer's boot id, from its last accepted datagram
  uint64_t last_heard_ms_ = 0;
  SyncView counters_;
  std::array<uint64_t, ha::kSyncDrops> drops_{};
  // Gone with this: a dump answered later must not call into it.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace sluice::control
