#include "control/ha/sync_packet.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <stdexcept>

#include "common/bounds.h"

namespace sluice::control::ha {
namespace {

// Record sizes: a connection's before its four addresses, a persistence entry's, a server's
// less its address and name.
constexpr size_t kConnectionFixed = 28, kPersistenceRecord = 17, kServerFixed = 9;
// Where the header's count and sequence are, written at seal.
constexpr size_t kCountAt = 6, kSequenceAt = 16;
static_assert(kConnectionFixed + 4 * 16 == kLargestSyncRecord);
// Modes go by names.h's numbers: another order there would need a new kSyncVersion.
static_assert(static_cast<int>(Mode::dr) == 0 && static_cast<int>(Mode::nat) == 1 &&
              static_cast<int>(Mode::snat) == 2 && static_cast<int>(Mode::tun) == 3);
// A datagram's count (16 bits) never runs out, even of the smallest records.
static_assert((kMaxUdpPayload - kSyncHeader - kSyncSignature) / kPersistenceRecord <= UINT16_MAX);

size_t address_size(Family f) { return f == Family::v4 ? 4 : 16; }

// Writes `value` big-endian over all of `at`.
void set(std::span<uint8_t> at, uint64_t value) {
  for (size_t i = at.size(); i-- > 0; value >>= 8) at[i] = static_cast<uint8_t>(value);
}

void put(std::vector<uint8_t>& out, uint64_t value, size_t bytes) {
  out.resize(out.size() + bytes);
  set(std::span(out).last(bytes), value);
}

// An address as a record of the family carries it: IPv4 its last 4 bytes, IPv6 all 16.
void put_address(std::vector<uint8_t>& out, const IpAddress& a, Family f) {
  out.insert(out.end(), a.bytes.end() - static_cast<long>(address_size(f)), a.bytes.end());
}

// Reads a datagram front to back; callers check left() before they read.
class Reader {
 public:
  explicit Reader(std::span<const uint8_t> bytes) : b_(bytes) {}
  size_t left() const { return b_.size() - at_; }
  uint64_t get(size_t bytes) {
    uint64_t value = 0;
    for (size_t i = 0; i < bytes; ++i) value = value << 8 | b_[at_++];
    return value;
  }
  std::span<const uint8_t> take(size_t bytes) {
    at_ += bytes;
    return b_.subspan(at_ - bytes, bytes);
  }
  IpAddress address(Family f) {
    if (f == Family::v4) return IpAddress::v4(static_cast<Ipv4>(get(4)));
    IpAddress a;
    std::ranges::copy(take(16), a.bytes.begin());
    return a;
  }

 private:
  std::span<const uint8_t> b_;
  size_t at_ = 0;
};

std::optional<Family> family_of(uint64_t value) {
  if (value == static_cast<uint8_t>(Family::v4)) return Family::v4;
  if (value == static_cast<uint8_t>(Family::v6)) return Family::v6;
  return std::nullopt;
}

// One of the values names.h lists for Enum.
template <Named Enum>
std::optional<Enum> known(uint64_t value) {
  for (Enum e : Vocabulary<Enum>::values) {
    if (static_cast<uint64_t>(e) == value) return e;
  }
  return std::nullopt;
}

// Each record reader starts with the family byte, which gives the record's length (a
// server's name length comes later). Running out of bytes means the count promised more
// records than the datagram holds.
std::optional<SyncDrop> read(Reader& r, SyncConnection& c) {
  if (r.left() < 1) return SyncDrop::bad_count;
  const std::optional<Family> family = family_of(r.get(1));
  if (!family) return SyncDrop::bad_family;
  if (r.left() < kConnectionFixed - 1 + 4 * address_size(*family)) return SyncDrop::bad_count;
  c.family = *family;
  const std::optional<Protocol> protocol = known<Protocol>(r.get(1));
  if (!protocol) return SyncDrop::bad_protocol;
  c.protocol = *protocol;
  const std::optional<Mode> mode = known<Mode>(r.get(1));
  if (!mode) return SyncDrop::bad_mode;
  c.mode = *mode;
  c.tcp_state = static_cast<uint8_t>(r.get(1));
  const uint64_t event = r.get(1);
  if (event > static_cast<uint8_t>(SyncEvent::closed)) return SyncDrop::bad_event;
  c.event = static_cast<SyncEvent>(event);
  c.client_interface = static_cast<uint8_t>(r.get(1));
  // An index into the receiver's ports: a value no appliance has is refused here.
  if (c.client_interface >= kMaxInterfaces) return SyncDrop::bad_interface;
  std::ranges::copy(r.take(6), c.client_mac.bytes);
  c.server_id = static_cast<uint32_t>(r.get(4));
  if (c.server_id >= kMaxRealServers) return SyncDrop::bad_server_id;
  c.seconds_left = static_cast<uint32_t>(r.get(4));
  for (uint16_t* port : {&c.client_port, &c.vip_port, &c.server_port, &c.backend_source_port}) {
    *port = static_cast<uint16_t>(r.get(2));
  }
  for (IpAddress* a : {&c.client, &c.vip, &c.server, &c.backend_source}) *a = r.address(c.family);
  return std::nullopt;
}

std::optional<SyncDrop> read(Reader& r, SyncPersistence& p) {
  if (r.left() < kPersistenceRecord) return SyncDrop::bad_count;
  const std::optional<Family> family = family_of(r.get(1));
  if (!family) return SyncDrop::bad_family;
  p.family = *family;
  p.service = static_cast<uint32_t>(r.get(4));
  // 0 marks an empty slot of the persistence table.
  if (p.service == 0) return SyncDrop::bad_service;
  p.client = static_cast<uint32_t>(r.get(4));
  p.server_id = static_cast<uint32_t>(r.get(4));
  if (p.server_id >= kMaxRealServers) return SyncDrop::bad_server_id;
  p.seconds_left = static_cast<uint32_t>(r.get(4));
  return std::nullopt;
}

std::optional<SyncDrop> read(Reader& r, SyncServer& s) {
  if (r.left() < 1) return SyncDrop::bad_count;
  const std::optional<Family> family = family_of(r.get(1));
  if (!family) return SyncDrop::bad_family;
  if (r.left() < kServerFixed - 1 + address_size(*family)) return SyncDrop::bad_count;
  const uint64_t fallback = r.get(1);
  if (fallback > 1) return SyncDrop::bad_flag;
  s.fallback = fallback == 1;
  s.port = static_cast<uint16_t>(r.get(2));
  s.id = static_cast<uint32_t>(r.get(4));
  if (s.id >= kMaxRealServers) return SyncDrop::bad_server_id;
  s.address = r.address(*family);
  // A sender writes an IPv4 address in 4 bytes (IpAddress holds both alike), never as a
  // mapped one in 16: a datagram has one spelling.
  if (*family == Family::v6 && s.address.is_v4()) return SyncDrop::bad_family;
  const size_t name = r.get(1);
  if (name == 0 || name > kMaxSyncName) return SyncDrop::bad_name;
  if (r.left() < name) return SyncDrop::bad_count;
  const std::span<const uint8_t> text = r.take(name);
  s.service.assign(text.begin(), text.end());
  return std::nullopt;
}

std::optional<SyncDrop> read(Reader& r, SyncConfigChunk& c) {
  if (r.left() < SyncWriter::kChunkFixed) return SyncDrop::bad_count;
  c.to_boot = r.get(8);
  c.push = static_cast<uint32_t>(r.get(4));
  c.total = static_cast<uint32_t>(r.get(4));
  c.offset = static_cast<uint32_t>(r.get(4));
  const size_t size = r.get(2);
  if (size == 0 || c.total > kMaxPushedConfig || c.offset > c.total || size > c.total - c.offset) {
    return SyncDrop::bad_chunk;
  }
  if (r.left() < size) return SyncDrop::bad_count;
  const std::span<const uint8_t> bytes = r.take(size);
  c.bytes.assign(bytes.begin(), bytes.end());
  return std::nullopt;
}

std::optional<SyncDrop> read(Reader& r, SyncConfigResult& result) {
  if (r.left() < 7) return SyncDrop::bad_count;
  result.push = static_cast<uint32_t>(r.get(4));
  const uint64_t ok = r.get(1);
  if (ok > 1) return SyncDrop::bad_flag;
  result.ok = ok == 1;
  const size_t size = r.get(2);
  if (size > kMaxPushResult) return SyncDrop::bad_chunk;
  if (r.left() < size) return SyncDrop::bad_count;
  const std::span<const uint8_t> text = r.take(size);
  result.text.assign(text.begin(), text.end());
  return std::nullopt;
}

// A datagram of one record (config chunks and results): count 1.
template <class Record>
std::optional<SyncDrop> read_one(Reader& r, uint64_t count, std::optional<Record>& out) {
  if (count != 1) return SyncDrop::bad_count;
  return read(r, out.emplace());
}

// A datagram of records has at least one: the writer sends no empty ones.
template <class Record>
std::optional<SyncDrop> read_all(Reader& r, uint64_t count, std::vector<Record>& out) {
  if (count == 0) return SyncDrop::bad_count;
  for (uint64_t i = 0; i < count; ++i) {
    if (std::optional<SyncDrop> drop = read(r, out.emplace_back())) return drop;
  }
  return std::nullopt;
}

std::vector<uint8_t> header(SyncType type, uint64_t boot_id) {
  std::vector<uint8_t> d(kSyncMagic.begin(), kSyncMagic.end());
  put(d, kSyncVersion, 1);
  put(d, static_cast<uint8_t>(type), 1);
  put(d, 0, 2);  // kCountAt
  put(d, boot_id, 8);
  put(d, 0, 8);  // kSequenceAt
  return d;
}

}  // namespace

bool ReplayState::fresh(uint64_t boot_id, uint64_t sequence) const {
  for (const Stream& s : streams_) {
    if (s.boot_id == boot_id) return sequence > s.sequence;
  }
  return sequence > 0;  // a sender numbers its datagrams from 1
}

bool ReplayState::accept(uint64_t boot_id, uint64_t sequence) {
  const auto known = std::ranges::find(streams_, boot_id, &Stream::boot_id);
  const bool is_new = known == streams_.end();
  if (!is_new) {
    lost_ += sequence - known->sequence - 1;
    streams_.erase(known);
  } else if (streams_.size() == kSyncBoots) {
    streams_.pop_back();
  }
  streams_.insert(streams_.begin(), {boot_id, sequence});
  return is_new;
}

std::array<uint8_t, kSyncSignature> sync_signature(std::span<const uint8_t> key,
                                                   std::span<const uint8_t> bytes) {
  std::array<uint8_t, kSyncSignature> md{};
  unsigned int size = 0;
  // HMAC fails only when OpenSSL cannot allocate or lacks its default provider: no input
  // causes it (docs/architecture.md, errors).
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), bytes.data(), bytes.size(),
           md.data(), &size) == nullptr) {
    throw std::runtime_error("HMAC(SHA-256) failed");
  }
  return md;
}

ParsedSync parse_sync(std::span<const uint8_t> datagram, std::span<const uint8_t> key,
                      ReplayState& replay, size_t max_datagram) {
  if (datagram.size() > std::min(max_datagram, kMaxUdpPayload)) {
    return {std::nullopt, SyncDrop::oversized};
  }
  if (datagram.size() < kSyncHeader + kSyncSignature) return {std::nullopt, SyncDrop::truncated};
  // Magic and version before the signature: they say whose datagram this is and how it is
  // signed, so a stray or newer peer's datagram is named as such rather than as a forgery.
  if (!std::ranges::equal(datagram.first(kSyncMagic.size()), kSyncMagic)) {
    return {std::nullopt, SyncDrop::bad_magic};
  }
  if (datagram[kSyncMagic.size()] != kSyncVersion) return {std::nullopt, SyncDrop::bad_version};
  // Nothing else in it is believed before the signature holds. CRYPTO_memcmp takes the same
  // time wherever the first difference is, so a forger learns nothing from the timing.
  const std::span<const uint8_t> body = datagram.first(datagram.size() - kSyncSignature);
  if (CRYPTO_memcmp(sync_signature(key, body).data(), datagram.last(kSyncSignature).data(),
                    kSyncSignature) != 0) {
    return {std::nullopt, SyncDrop::bad_signature};
  }
  Reader r(body);
  r.take(kSyncMagic.size() + 1);
  const uint64_t type = r.get(1);
  if (type < static_cast<uint8_t>(SyncType::connections) ||
      type > static_cast<uint8_t>(SyncType::config_result)) {
    return {std::nullopt, SyncDrop::bad_type};
  }
  const uint64_t count = r.get(2);
  SyncMessage m;
  m.type = static_cast<SyncType>(type);
  m.boot_id = r.get(8);
  m.sequence = r.get(8);
  if (!replay.fresh(m.boot_id, m.sequence)) return {std::nullopt, SyncDrop::replayed};
  std::optional<SyncDrop> drop;
  switch (m.type) {
    case SyncType::connections: drop = read_all(r, count, m.connections); break;
    case SyncType::persistence: drop = read_all(r, count, m.persistence); break;
    case SyncType::servers: drop = read_all(r, count, m.servers); break;
    case SyncType::resync_request:
      if (count != 0) drop = SyncDrop::bad_count;
      break;
    case SyncType::config_chunk: drop = read_one(r, count, m.chunk); break;
    case SyncType::config_result: drop = read_one(r, count, m.result); break;
  }
  // Exactly the records the count announces: a datagram is one thing only.
  if (!drop && r.left() != 0) drop = SyncDrop::bad_count;
  if (drop) return {std::nullopt, *drop};
  m.new_boot = replay.accept(m.boot_id, m.sequence);
  return {std::move(m), SyncDrop::truncated};
}

SyncWriter::SyncWriter(std::span<const uint8_t> key, uint64_t boot_id, size_t max_datagram)
    : key_(key.begin(), key.end()), boot_id_(boot_id), max_(max_datagram) {
  if (max_ < kMinSyncDatagram || max_ > kMaxUdpPayload) {
    throw std::invalid_argument("sync datagram size out of range");
  }
}

bool SyncWriter::open(SyncType type, size_t record_size) {
  if (count_ == 0) {
    open_ = header(type, boot_id_);
    type_ = type;
  }
  return type_ == type && open_.size() + record_size + kSyncSignature <= max_;
}

bool SyncWriter::add(const SyncConnection& c) {
  if (!open(SyncType::connections, kConnectionFixed + 4 * address_size(c.family))) return false;
  put(open_, static_cast<uint8_t>(c.family), 1);
  put(open_, static_cast<uint8_t>(c.protocol), 1);
  put(open_, static_cast<uint8_t>(c.mode), 1);
  put(open_, c.tcp_state, 1);
  put(open_, static_cast<uint8_t>(c.event), 1);
  put(open_, c.client_interface, 1);
  open_.insert(open_.end(), std::begin(c.client_mac.bytes), std::end(c.client_mac.bytes));
  put(open_, c.server_id, 4);
  put(open_, c.seconds_left, 4);
  for (uint16_t port : {c.client_port, c.vip_port, c.server_port, c.backend_source_port}) {
    put(open_, port, 2);
  }
  for (const IpAddress* a : {&c.client, &c.vip, &c.server, &c.backend_source}) {
    put_address(open_, *a, c.family);
  }
  ++count_;
  return true;
}

bool SyncWriter::add(const SyncPersistence& p) {
  if (!open(SyncType::persistence, kPersistenceRecord)) return false;
  put(open_, static_cast<uint8_t>(p.family), 1);
  put(open_, p.service, 4);
  put(open_, p.client, 4);
  put(open_, p.server_id, 4);
  put(open_, p.seconds_left, 4);
  ++count_;
  return true;
}

bool SyncWriter::add(const SyncServer& s) {
  // The loader keeps service names to this; the peer would refuse the whole datagram.
  if (s.service.empty() || s.service.size() > kMaxSyncName) {
    throw std::invalid_argument("sync: service name of 1 to 64 bytes expected");
  }
  const Family family = s.address.is_v4() ? Family::v4 : Family::v6;
  if (!open(SyncType::servers, kServerFixed + address_size(family) + s.service.size())) {
    return false;
  }
  put(open_, static_cast<uint8_t>(family), 1);
  put(open_, s.fallback ? 1 : 0, 1);
  put(open_, s.port, 2);
  put(open_, s.id, 4);
  put_address(open_, s.address, family);
  put(open_, s.service.size(), 1);
  open_.insert(open_.end(), s.service.begin(), s.service.end());
  ++count_;
  return true;
}

std::vector<uint8_t> SyncWriter::seal() {
  if (count_ == 0) return {};
  const uint16_t count = count_;
  count_ = 0;
  return finish(std::move(open_), count);
}

std::vector<uint8_t> SyncWriter::resync_request() {
  return finish(header(SyncType::resync_request, boot_id_), 0);
}

std::vector<uint8_t> SyncWriter::config_chunk(const SyncConfigChunk& c) {
  if (c.bytes.empty() || c.bytes.size() > max_chunk()) {
    throw std::invalid_argument("sync: config chunk of 1 to max_chunk() bytes expected");
  }
  std::vector<uint8_t> d = header(SyncType::config_chunk, boot_id_);
  put(d, c.to_boot, 8);
  put(d, c.push, 4);
  put(d, c.total, 4);
  put(d, c.offset, 4);
  put(d, c.bytes.size(), 2);
  d.insert(d.end(), c.bytes.begin(), c.bytes.end());
  return finish(std::move(d), 1);
}

std::vector<uint8_t> SyncWriter::config_result(const SyncConfigResult& r) {
  if (r.text.size() > kMaxPushResult) throw std::invalid_argument("sync: result text too long");
  std::vector<uint8_t> d = header(SyncType::config_result, boot_id_);
  put(d, r.push, 4);
  put(d, r.ok ? 1 : 0, 1);
  put(d, r.text.size(), 2);
  d.insert(d.end(), r.text.begin(), r.text.end());
  return finish(std::move(d), 1);
}

std::vector<uint8_t> SyncWriter::finish(std::vector<uint8_t> datagram, uint16_t count) {
  set(std::span(datagram).subspan(kCountAt, 2), count);
  set(std::span(datagram).subspan(kSequenceAt, 8), ++sequence_);
  const std::array<uint8_t, kSyncSignature> signature = sync_signature(key_, datagram);
  datagram.insert(datagram.end(), signature.begin(), signature.end());
  return datagram;
}

}  // namespace sluice::control::ha
