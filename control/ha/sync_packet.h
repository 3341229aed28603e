// Connection sync on the wire: UDP datagrams from one appliance of a pair to the other. The
// master streams its connections, persistence entries and server directory; the backup
// inserts them, so that a takeover keeps established connections. sluice alone speaks it.
//
//   header (24 bytes)                         records, `count` of `type`    signature (32)
//   "SLSY" | version | type | count (16) |    ...                           HMAC-SHA256 over
//   boot id (64) | sequence (64)                                            all before it
//
// Integers are big-endian. The boot id is a random number the sender draws at start, and the
// sequence counts its datagrams from 1, so a receiver tells a restarted peer from a replay.
// Records (the family byte, 4 or 6, decides the length of one with addresses):
//   connection   family, protocol, mode, tcp state, event, client interface, client MAC (6),
//                server id (32), seconds left (32), ports: client, vip, server, backend
//                source (16 each), addresses in the same order (4 or 16 each): 44 or 92 bytes
//   persistence  family, service key (32), client (32), server id (32), seconds left (32): 17
//   server       family, fallback (0 or 1), port (16), server id (32), address (4 or 16: an
//                IPv4 one always in 4), name length (8), service name (1 to 64 bytes)
// A resync request has no records. `ha push` sends the running virtual services as config
// chunks (one per datagram: the receiver's boot id (64), push id (32), total (32), offset
// (32), length (16), the bytes, in order) and is answered by a config result (push id (32),
// ok (8), length (16), the text). Naming the receiver's boot keeps a recorded push from being
// replayed to it once it has restarted and forgotten the sender's sequence. Parsing is strict and says why it refused, in the names of
// the drop counters: the signature is checked before anything in the body is believed.
// Thread safety: pure functions; a SyncWriter or ReplayState belongs to one thread.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/ip_address.h"
#include "common/mac.h"
#include "common/named_enum.h"
#include "common/names.h"

namespace sluice::control::ha {

inline constexpr std::array<uint8_t, 4> kSyncMagic = {'S', 'L', 'S', 'Y'};
inline constexpr uint8_t kSyncVersion = 1;
inline constexpr size_t kSyncHeader = 24;
inline constexpr size_t kSyncSignature = 32;  // HMAC-SHA256
// One datagram fits one Ethernet frame, even through a tunnel: 1400 bytes of UDP payload.
inline constexpr size_t kSyncDatagram = 1400;
// The largest UDP payload IPv4 carries (65535 less the IP and UDP headers).
inline constexpr size_t kMaxUdpPayload = 65507;
// A service name as the config loader allows it.
inline constexpr size_t kMaxSyncName = 64;
inline constexpr size_t kLargestSyncRecord = 92;  // an IPv6 connection
// The smallest maximum a writer takes: a datagram of its largest record.
inline constexpr size_t kMinSyncDatagram = kSyncHeader + kLargestSyncRecord + kSyncSignature;

// On the wire as their numbers.
enum class SyncType : uint8_t {
  connections = 1,
  persistence = 2,
  servers = 3,
  resync_request = 4,
  config_chunk = 5,
  config_result = 6
};

// What `ha push` may send: the loader's own limit on a configuration file.
inline constexpr size_t kMaxPushedConfig = 1 << 20;
inline constexpr size_t kMaxPushResult = 1024;  // bytes of a result's text
enum class Family : uint8_t { v4 = 4, v6 = 6 };
enum class SyncEvent : uint8_t { created, updated, closed };

// Protocol goes on the wire as its IP protocol number, Mode as names.h numbers it.
struct SyncConnection {
  Family family = Family::v4;  // not the addresses': an IPv6 one may look like a mapped IPv4
  Protocol protocol = Protocol::tcp;
  Mode mode = Mode::dr;
  uint8_t tcp_state = 0;  // the data plane's, mapped (and checked) by the caller
  SyncEvent event = SyncEvent::created;
  uint8_t client_interface = 0;  // where the client's packets arrive
  Mac client_mac;                // the client side's previous hop
  uint32_t server_id = 0;        // the sender's: translated through its directory
  uint32_t seconds_left = 0;     // before the connection expires
  // IPv4 records carry the last 4 bytes of each (IpAddress::v4). Ports in host order.
  IpAddress client, vip, server, backend_source;  // backend source: what the server sees
  uint16_t client_port = 0, vip_port = 0, server_port = 0, backend_source_port = 0;
  bool operator==(const SyncConnection&) const = default;
};

struct SyncPersistence {
  Family family = Family::v4;  // of the client
  uint32_t service = 0;        // the service's persistence key: a hash of its name, never 0
  uint32_t client = 0;         // IPv4: the masked address, host order; IPv6: its 32-bit digest
  uint32_t server_id = 0;      // the sender's
  uint32_t seconds_left = 0;
  bool operator==(const SyncPersistence&) const = default;
};

// An entry of the sender's directory. Server ids are each appliance's own, so the receiver
// finds its server by what the config says of it: service name, address and port.
struct SyncServer {
  uint32_t id = 0;
  std::string service;  // 1 to kMaxSyncName bytes
  IpAddress address;    // written in 4 bytes when is_v4()
  uint16_t port = 0;    // as configured
  bool fallback = false;
  bool operator==(const SyncServer&) const = default;
};

// A piece of a pushed configuration text: bytes [offset, offset + size) of `total`.
struct SyncConfigChunk {
  uint64_t to_boot = 0;  // the receiver's boot id, as the sender last heard it
  uint32_t push = 0;     // the push it belongs to (the sender's choice)
  uint32_t total = 0;
  uint32_t offset = 0;
  std::string bytes;
  bool operator==(const SyncConfigChunk&) const = default;
};

// The receiver's answer to a whole push: applied, or why not.
struct SyncConfigResult {
  uint32_t push = 0;
  bool ok = false;
  std::string text;  // at most kMaxPushResult bytes
  bool operator==(const SyncConfigResult&) const = default;
};

// Why a datagram was refused; each is a drop counter ("sync_" + name). truncated: shorter
// than a header and a signature; oversized: longer than the pair's maximum; replayed: not above
// the last sequence accepted of its boot; bad_count: the records and the count disagree (a
// record cut short, bytes after the last, none at all, or some in a resync request);
// bad_interface, bad_server_id: beyond what an appliance has (common/bounds.h); bad_service:
// persistence key 0; bad_flag: a fallback flag not 0 or 1; bad_name: not 1 to 64 bytes;
// bad_chunk: a config chunk or result whose sizes disagree or pass their limits.
#define SLUICE_SYNC_DROPS(X)                                                                  \
  X(truncated) X(oversized) X(bad_magic) X(bad_version) X(bad_signature) X(bad_type)         \
      X(replayed) X(bad_count) X(bad_family) X(bad_protocol) X(bad_mode) X(bad_event)        \
          X(bad_interface) X(bad_server_id) X(bad_service) X(bad_flag) X(bad_name)          \
              X(bad_chunk)
SLUICE_NAMED_ENUM(SyncDrop, kSyncDrops, SLUICE_SYNC_DROPS)

// The sender's streams as this receiver accepted them: for each of the kSyncBoots boot ids
// heard from last, the highest sequence. A datagram is accepted only above it, so a replay
// of an accepted datagram is refused; a restarted sender's old process may still have some
// on their way, and they are taken in their own boot's order. A boot forgotten, or sent to
// before this receiver started, is new again: a recorded datagram of it would be taken.
class ReplayState {
 public:
  static constexpr size_t kSyncBoots = 16;

  // Whether `sequence` is above the last accepted of `boot_id` (0 for a boot not heard from).
  bool fresh(uint64_t boot_id, uint64_t sequence) const;
  // Takes an accepted datagram (fresh); true when its boot id is new: the sender restarted
  // (or this receiver did).
  bool accept(uint64_t boot_id, uint64_t sequence);
  // Sequence numbers skipped within a boot: datagrams lost, or refused here.
  uint64_t lost() const { return lost_; }

 private:
  struct Stream {
    uint64_t boot_id;
    uint64_t sequence;
  };
  std::vector<Stream> streams_;  // the most recently accepted first
  uint64_t lost_ = 0;
};

struct SyncMessage {
  SyncType type = SyncType::resync_request;
  uint64_t boot_id = 0;
  uint64_t sequence = 0;
  bool new_boot = false;  // the first accepted of this boot id
  // The records of `type`; the other vectors are empty.
  std::vector<SyncConnection> connections;
  std::vector<SyncPersistence> persistence;
  std::vector<SyncServer> servers;
  std::optional<SyncConfigChunk> chunk;    // config_chunk
  std::optional<SyncConfigResult> result;  // config_result
};

struct ParsedSync {
  std::optional<SyncMessage> message;   // set when accepted
  SyncDrop drop = SyncDrop::truncated;  // why not, otherwise
};

// HMAC-SHA256 of `bytes` (a datagram but its signature) with the pair's shared `key`.
std::array<uint8_t, kSyncSignature> sync_signature(std::span<const uint8_t> key,
                                                   std::span<const uint8_t> bytes);

// A datagram from the peer (the UDP payload), at most `max_datagram` bytes as the writers of
// the pair are configured. `replay` takes it when accepted. O(size).
ParsedSync parse_sync(std::span<const uint8_t> datagram, std::span<const uint8_t> key,
                      ReplayState& replay, size_t max_datagram = kSyncDatagram);

// Fills datagrams of one type with records, numbers and signs them:
//   if (!w.add(record)) { send(w.seal()); w.add(record); }
// and send(w.seal()) when there is nothing more to add for now.
class SyncWriter {
 public:
  // `max_datagram`: kMinSyncDatagram to kMaxUdpPayload, else std::invalid_argument (the
  // setting's loader keeps it within them).
  SyncWriter(std::span<const uint8_t> key, uint64_t boot_id, size_t max_datagram = kSyncDatagram);

  // Appends to the open datagram; false when it holds records of another type or would grow
  // beyond the maximum. A server's service name must be 1 to kMaxSyncName bytes, else
  // std::invalid_argument.
  bool add(const SyncConnection& c);
  bool add(const SyncPersistence& p);
  bool add(const SyncServer& s);
  // The open datagram, numbered and signed, and an empty one opens; empty when it has no
  // records.
  std::vector<uint8_t> seal();
  // "Send me everything": a datagram of its own, numbered in the same sequence.
  std::vector<uint8_t> resync_request();
  // A datagram of its own each. A chunk holds at most max_chunk() bytes, a result's text at
  // most kMaxPushResult (longer: std::invalid_argument).
  std::vector<uint8_t> config_chunk(const SyncConfigChunk& c);
  std::vector<uint8_t> config_result(const SyncConfigResult& r);
  size_t max_chunk() const { return max_ - kSyncHeader - kChunkFixed - kSyncSignature; }
  static constexpr size_t kChunkFixed = 22;

  size_t records() const { return count_; }

 private:
  bool open(SyncType type, size_t record_size);
  std::vector<uint8_t> finish(std::vector<uint8_t> datagram, uint16_t count);

  std::vector<uint8_t> key_;
  uint64_t boot_id_;
  size_t max_;
  uint64_t sequence_ = 0;  // the last one given
  std::vector<uint8_t> open_;
  SyncType type_ = SyncType::resync_request;
  uint16_t count_ = 0;
};

}  // namespace sluice::control::ha
