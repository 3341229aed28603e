// Connection sync on the wire (control/ha/sync_packet.cc): datagrams against an encoding
// written apart from it (Python's struct and hmac, from the layout in sync_packet.h), round
// trips of every type in both families, full datagrams, every way a hostile one can be wrong,
// and replays.
#include "control/ha/sync_packet.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <type_traits>
#include <vector>

#include "common/bounds.h"
#include "common/ip_text.h"
#include "tests/support/hex.h"

namespace sluice::control::ha {
namespace {

using test::hex;

IpAddress ip(const char* text) { return parse_ip(text).value(); }

const std::string kKeyText = "sluice-sync-test-key-0123456789ab";
const std::vector<uint8_t> kKey(kKeyText.begin(), kKeyText.end());
constexpr uint64_t kBoot = 0x0123456789abcdef;

const SyncConnection kSnatV4 = {.family = Family::v4,
                                .protocol = Protocol::tcp,
                                .mode = Mode::snat,
                                .tcp_state = 1,
                                .event = SyncEvent::updated,
                                .client_interface = 1,
                                .client_mac = Mac{{2, 0, 0, 0, 0, 1}},
                                .server_id = 7,
                                .seconds_left = 900,
                                .client = ip("198.19.0.7"),
                                .vip = ip("198.18.0.10"),
                                .server = ip("198.18.1.20"),
                                .backend_source = ip("198.18.1.1"),
                                .client_port = 40000,
                                .vip_port = 80,
                                .server_port = 8080,
                                .backend_source_port = 61000};
const SyncPersistence kPersistenceV6 = {Family::v6, 0x9e3779b9, 0xdeadbeef, 12, 3600};
const SyncServer kServerV6 = {4095, "web.v6", ip("2001:db8::20"), 443, true};

// Python, from the layout in sync_packet.h (its struct for the fields, its hmac for the
// signature with kKey): kSnatV4, kPersistenceV6 and kServerV6, one a datagram, boot kBoot,
// sequences 1, 2 and 3.
const std::vector<uint8_t> kPythonConnection =
    hex("534c5359010100010123456789abcdef000000000000000104060201010102000000000100000007000003849c"
        "4000501f90ee48c6130007c612000ac6120114c6120101c7a37207d17c92c7673c84aac599ce1254316806bdeb"
        "52217b3284aa4516b3be");
const std::vector<uint8_t> kPythonPersistence =
    hex("534c5359010200010123456789abcdef0000000000000002069e3779b9deadbeef0000000c00000e10a776b645"
        "06755dcf61121aa61ac2b5b51f3680510521524ea4db08590c235251");
const std::vector<uint8_t> kPythonServer = hex(
    "534c5359010300010123456789abcdef0000000000000003060101bb00000fff20010db80000000000000000000"
    "00020067765622e763632a6a9e6d0d22475d0eb6d4d67147332e3ae1f365cc2ee26066bb26e30f7631a");

const std::vector<SyncConnection> kConnections = {
    kSnatV4,
    {Family::v4, Protocol::udp, Mode::dr, 0, SyncEvent::created, 0, Mac{{2, 0, 0, 0, 0, 2}}, 0, 300,
     ip("198.19.0.8"), ip("198.18.0.11"), ip("198.18.1.21"), ip("198.19.0.8"), 53, 53, 53, 53},
    {Family::v6, Protocol::tcp, Mode::nat, 2, SyncEvent::closed, 7, Mac{{2, 0, 0, 0, 0, 3}}, 4095,
     0, ip("2001:db8:1::7"), ip("2001:db8::10"), ip("2001:db8:2::20"), ip("2001:db8:1::7"), 65535,
     443, 8443, 65535},
    // An IPv6 connection may carry addresses that look like mapped IPv4 ones: its family, not
    // theirs, decides that they take 16 bytes.
    {Family::v6, Protocol::tcp, Mode::tun, 1, SyncEvent::created, 3, Mac{{2, 0, 0, 0, 0, 4}}, 9,
     86400, IpAddress::v4(0xc6130009), ip("2001:db8::11"), ip("2001:db8:2::21"),
     IpAddress::v4(0xc6130009), 1, 80, 80, 1},
};
const std::vector<SyncPersistence> kPersistence = {
    {Family::v4, 1, 0xc6130000, 0, 1}, kPersistenceV6, {Family::v4, 0xffffffff, 0, 4095, 0}};
const std::vector<SyncServer> kServers = {
    {0, "web", ip("198.18.1.20"), 8080, false},
    kServerV6,
    {12, std::string(kMaxSyncName, 'n'), ip("198.18.1.22"), 0, true},
};

template <class Record>
const std::vector<Record>& records_of(const SyncMessage& m) {
  if constexpr (std::is_same_v<Record, SyncConnection>) {
    return m.connections;
  } else if constexpr (std::is_same_v<Record, SyncPersistence>) {
    return m.persistence;
  } else {
    return m.servers;
  }
}

std::vector<uint8_t> one(const auto& record, uint64_t boot = kBoot) {
  SyncWriter w(kKey, boot);
  EXPECT_TRUE(w.add(record));
  return w.seal();
}

// What a sender with the key would write: the signature made again over changed bytes.
std::vector<uint8_t> resigned(std::vector<uint8_t> d) {
  const size_t body = d.size() - kSyncSignature;
  const auto signature = sync_signature(kKey, std::span(d).first(body));
  std::copy(signature.begin(), signature.end(), d.begin() + static_cast<long>(body));
  return d;
}

// "accepted" or the drop's name, by a receiver that has heard nothing yet.
std::string verdict(const std::vector<uint8_t>& d, size_t max_datagram = kSyncDatagram) {
  ReplayState replay;
  const ParsedSync p = parse_sync(d, kKey, replay, max_datagram);
  return p.message ? "accepted" : std::string(to_string(p.drop));
}

TEST(SyncPacket, WritesWhatAnotherImplementationWrites) {
  SyncWriter w(kKey, kBoot);
  ASSERT_TRUE(w.add(kSnatV4));
  EXPECT_EQ(w.seal(), kPythonConnection);
  ASSERT_TRUE(w.add(kPersistenceV6));
  EXPECT_EQ(w.seal(), kPythonPersistence);
  ASSERT_TRUE(w.add(kServerV6));
  EXPECT_EQ(w.seal(), kPythonServer);
}

TEST(SyncPacket, ReadsWhatAnotherImplementationWrote) {
  ReplayState replay;
  ParsedSync p = parse_sync(kPythonConnection, kKey, replay);
  ASSERT_TRUE(p.message) << to_string(p.drop);
  EXPECT_EQ(p.message->type, SyncType::connections);
  EXPECT_EQ(p.message->boot_id, kBoot);
  EXPECT_EQ(p.message->sequence, 1u);
  EXPECT_TRUE(p.message->new_boot);
  EXPECT_EQ(p.message->connections, std::vector{kSnatV4});
  p = parse_sync(kPythonPersistence, kKey, replay);
  ASSERT_TRUE(p.message) << to_string(p.drop);
  EXPECT_FALSE(p.message->new_boot);
  EXPECT_EQ(p.message->persistence, std::vector{kPersistenceV6});
  p = parse_sync(kPythonServer, kKey, replay);
  ASSERT_TRUE(p.message) << to_string(p.drop);
  EXPECT_EQ(p.message->servers, std::vector{kServerV6});
}

// All of a table in one datagram, then each record alone (whose size shows the family's).
template <class Record>
void expect_round_trips(const std::vector<Record>& sent, SyncType type) {
  SyncWriter w(kKey, kBoot);
  for (const Record& r : sent) ASSERT_TRUE(w.add(r));
  EXPECT_EQ(w.records(), sent.size());
  ReplayState replay;
  const ParsedSync all = parse_sync(w.seal(), kKey, replay);
  ASSERT_TRUE(all.message) << to_string(all.drop);
  EXPECT_EQ(all.message->type, type);
  EXPECT_EQ(records_of<Record>(*all.message), sent);
  for (const Record& r : sent) {
    ReplayState another;
    const ParsedSync alone = parse_sync(one(r), kKey, another);
    ASSERT_TRUE(alone.message) << to_string(alone.drop);
    EXPECT_EQ(records_of<Record>(*alone.message), std::vector{r});
  }
}

TEST(SyncPacket, ConnectionsOfBothFamiliesComeBackAsSent) {
  expect_round_trips(kConnections, SyncType::connections);
  // IPv4 records are compact: 4-byte addresses.
  EXPECT_EQ(one(kConnections[0]).size(), kSyncHeader + 44 + kSyncSignature);
  EXPECT_EQ(one(kConnections[2]).size(), kSyncHeader + 92 + kSyncSignature);
  EXPECT_EQ(one(kConnections[3]).size(), kSyncHeader + 92 + kSyncSignature);
}

TEST(SyncPacket, PersistenceOfBothFamiliesComesBackAsSent) {
  expect_round_trips(kPersistence, SyncType::persistence);
}

TEST(SyncPacket, TheDirectoryComesBackAsSent) {
  expect_round_trips(kServers, SyncType::servers);
  EXPECT_EQ(one(kServers[0]).size(), kSyncHeader + 13 + 3 + kSyncSignature);
}

TEST(SyncPacket, AResyncRequestHasNoRecordsAndTakesTheNextSequence) {
  SyncWriter w(kKey, kBoot);
  ASSERT_TRUE(w.add(kSnatV4));  // open, sealed after the request
  const std::vector<uint8_t> request = w.resync_request();
  EXPECT_EQ(request.size(), kSyncHeader + kSyncSignature);
  ReplayState replay;
  const ParsedSync r = parse_sync(request, kKey, replay);
  ASSERT_TRUE(r.message) << to_string(r.drop);
  EXPECT_EQ(r.message->type, SyncType::resync_request);
  EXPECT_EQ(r.message->sequence, 1u);
  EXPECT_TRUE(r.message->connections.empty());
  const ParsedSync c = parse_sync(w.seal(), kKey, replay);
  ASSERT_TRUE(c.message) << to_string(c.drop);
  EXPECT_EQ(c.message->sequence, 2u);
  EXPECT_EQ(c.message->connections, std::vector{kSnatV4});
}

TEST(SyncPacket, ConfigChunksAndResultsComeBackAsSent) {
  SyncWriter w(kKey, kBoot);
  ReplayState replay;
  const SyncConfigChunk chunk{kBoot + 1, 42, 5000, 1330, std::string(w.max_chunk(), 'v')};
  ParsedSync p = parse_sync(w.config_chunk(chunk), kKey, replay);
  ASSERT_TRUE(p.message) << to_string(p.drop);
  EXPECT_EQ(p.message->type, SyncType::config_chunk);
  EXPECT_EQ(p.message->chunk, chunk);
  const SyncConfigResult result{42, false, std::string(kMaxPushResult, 'e')};
  p = parse_sync(w.config_result(result), kKey, replay);
  ASSERT_TRUE(p.message) << to_string(p.drop);
  EXPECT_EQ(p.message->result, result);
  EXPECT_THROW(w.config_chunk({kBoot, 1, 5000, 0, std::string(w.max_chunk() + 1, 'v')}), std::invalid_argument);
  EXPECT_THROW(w.config_chunk({kBoot, 1, 5000, 0, ""}), std::invalid_argument);
  EXPECT_THROW(w.config_result({1, true, std::string(kMaxPushResult + 1, 'e')}), std::invalid_argument);
}

TEST(SyncPacket, SealingNothingSendsNothing) {
  SyncWriter w(kKey, kBoot);
  EXPECT_TRUE(w.seal().empty());
  ReplayState replay;
  const ParsedSync p = parse_sync(one(kSnatV4), kKey, replay);
  ASSERT_TRUE(p.message);
  EXPECT_EQ(p.message->sequence, 1u);  // no number was spent on nothing
}

// Records are added until one does not fit; the datagram is then as full as the maximum
// allows, and the record that did not fit opens the next one.
TEST(SyncPacket, ADatagramIsFilledToItsMaximum) {
  const SyncConnection v6 = kConnections[2];
  struct Case {
    size_t max;
    SyncConnection record;
    size_t expected;  // records in the first datagram
  };
  const Case cases[] = {
      {kSyncDatagram, kSnatV4, (kSyncDatagram - 56) / 44},  // 30 IPv4 connections
      {kSyncDatagram, v6, (kSyncDatagram - 56) / 92},       // 14 IPv6 ones
      {kMinSyncDatagram, v6, 1},
      {9000, kSnatV4, (9000 - 56) / 44},
      {kMaxUdpPayload, kSnatV4, (kMaxUdpPayload - 56) / 44},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.max);
    SyncWriter w(kKey, kBoot, c.max);
    size_t added = 0;
    while (w.add(c.record)) ++added;
    EXPECT_EQ(added, c.expected);
    const std::vector<uint8_t> full = w.seal();
    EXPECT_LE(full.size(), c.max);
    const size_t record = c.record.family == Family::v4 ? 44 : 92;
    EXPECT_GT(full.size() + record, c.max);  // no room for one more
    ASSERT_TRUE(w.add(c.record));
    const std::vector<uint8_t> next = w.seal();
    ReplayState replay;
    const ParsedSync p = parse_sync(full, kKey, replay, c.max);
    ASSERT_TRUE(p.message) << to_string(p.drop);
    EXPECT_EQ(p.message->connections.size(), c.expected);
    const ParsedSync q = parse_sync(next, kKey, replay, c.max);
    ASSERT_TRUE(q.message) << to_string(q.drop);
    EXPECT_EQ(q.message->sequence, 2u);
    EXPECT_EQ(q.message->connections, std::vector{c.record});
  }
}

TEST(SyncPacket, ADatagramHoldsRecordsOfOneType) {
  SyncWriter w(kKey, kBoot);
  ASSERT_TRUE(w.add(kSnatV4));
  EXPECT_FALSE(w.add(kPersistenceV6));
  EXPECT_EQ(w.records(), 1u);
  ASSERT_FALSE(w.seal().empty());
  EXPECT_TRUE(w.add(kPersistenceV6));
}

TEST(SyncPacket, TheWriterRefusesWhatNoPeerWouldTake) {
  EXPECT_THROW(SyncWriter(kKey, kBoot, kMinSyncDatagram - 1), std::invalid_argument);
  EXPECT_THROW(SyncWriter(kKey, kBoot, kMaxUdpPayload + 1), std::invalid_argument);
  SyncWriter w(kKey, kBoot);
  EXPECT_THROW(w.add(SyncServer{1, "", ip("198.18.1.20"), 80, false}), std::invalid_argument);
  EXPECT_THROW(
      w.add(SyncServer{1, std::string(kMaxSyncName + 1, 'n'), ip("198.18.1.20"), 80, false}),
      std::invalid_argument);
}

// Each hostile datagram is a good one with bytes written over it at `offset`; `resign`
// signs it again as a peer with the key would (a bug or another version), so that the body
// rules are reached.
TEST(SyncPacket, HostileDatagramsAreRefusedWithWhy) {
  const std::vector<uint8_t> conn = one(kSnatV4), pers = one(kPersistenceV6),
                             server = one(kServers[0]), server6 = one(kServerV6);
  SyncWriter request_writer(kKey, kBoot);
  const std::vector<uint8_t> request = request_writer.resync_request();
  const std::vector<uint8_t> chunk = request_writer.config_chunk({kBoot, 7, 100, 90, "0123456789"});
  const std::vector<uint8_t> result = request_writer.config_result({7, false, "refused"});
  constexpr size_t kRecord = kSyncHeader;  // where the first record starts
  struct Case {
    const char* what;
    const std::vector<uint8_t>& base;
    size_t offset;
    std::vector<uint8_t> bytes;
    bool resign;
    const char* expected;
  };
  const Case cases[] = {
      {"another protocol's magic", conn, 0, {'S', 'L', 'S', 'X'}, true, "bad_magic"},
      {"version 2", conn, 4, {2}, true, "bad_version"},
      {"version 0", conn, 4, {0}, false, "bad_version"},
      {"a body byte changed in flight", conn, kRecord + 20, {0x9d}, false, "bad_signature"},
      {"a signature byte changed", conn, conn.size() - 1, {0}, false, "bad_signature"},
      {"a sequence changed in flight", conn, 23, {2}, false, "bad_signature"},
      {"type 0", conn, 5, {0}, true, "bad_type"},
      {"type 7", conn, 5, {7}, true, "bad_type"},
      {"sequence 0: never sent", conn, 16, {0, 0, 0, 0, 0, 0, 0, 0}, true, "replayed"},
      {"a count of two, one record", conn, 6, {0, 2}, true, "bad_count"},
      {"a count of zero", conn, 6, {0, 0}, true, "bad_count"},
      {"a count of 65535", pers, 6, {0xff, 0xff}, true, "bad_count"},
      {"a resync request with a count", request, 6, {0, 1}, true, "bad_count"},
      {"connections, none of them", request, 5, {1}, true, "bad_count"},
      {"family 0", conn, kRecord, {0}, true, "bad_family"},
      {"a v6 connection with v4's length", conn, kRecord, {6}, true, "bad_count"},
      {"a v4 server with v6's length", server, kRecord, {6}, true, "bad_count"},
      {"persistence family 0", pers, kRecord, {0}, true, "bad_family"},
      {"server family 41", server, kRecord, {41}, true, "bad_family"},
      {"a v6 server at a mapped IPv4 address", server6, kRecord + 8,
       hex("00000000000000000000ffffc6120114"), true, "bad_family"},
      {"protocol 1 (ICMP)", conn, kRecord + 1, {1}, true, "bad_protocol"},
      {"mode 4", conn, kRecord + 2, {4}, true, "bad_mode"},
      {"event 3", conn, kRecord + 4, {3}, true, "bad_event"},
      {"interface 8", conn, kRecord + 5, {uint8_t{kMaxInterfaces}}, true, "bad_interface"},
      {"server id 4096", conn, kRecord + 12, {0, 0, 0x10, 0}, true, "bad_server_id"},
      {"persistence server id 2^32-1",
       pers,
       kRecord + 9,
       {0xff, 0xff, 0xff, 0xff},
       true,
       "bad_server_id"},
      {"directory id 4096", server, kRecord + 4, {0, 0, 0x10, 0}, true, "bad_server_id"},
      {"persistence key 0", pers, kRecord + 1, {0, 0, 0, 0}, true, "bad_service"},
      {"fallback 2", server, kRecord + 1, {2}, true, "bad_flag"},
      {"an empty name", server, kRecord + 12, {0}, true, "bad_name"},
      {"a name of 65", server, kRecord + 12, {65}, true, "bad_name"},
      {"a name longer than the datagram", server, kRecord + 12, {64}, true, "bad_count"},
      {"a chunk past its total", chunk, kRecord + 16, {0, 0, 0, 91}, true, "bad_chunk"},
      {"a chunk of a 2 MiB text", chunk, kRecord + 12, {0, 0x20, 0, 0}, true, "bad_chunk"},
      {"a chunk of no bytes", chunk, kRecord + 20, {0, 0}, true, "bad_chunk"},
      {"a chunk longer than its datagram", chunk, kRecord + 20, {0, 11}, true, "bad_chunk"},
      {"two chunks in one", chunk, 6, {0, 2}, true, "bad_count"},
      {"a result of 2000 bytes", result, kRecord + 5, {0x07, 0xd0}, true, "bad_chunk"},
      {"a result neither ok nor not", result, kRecord + 4, {2}, true, "bad_flag"},
      {"a result's text cut", result, kRecord + 5, {0, 8}, true, "bad_count"},
  };
  std::set<std::string> seen;
  for (const Case& c : cases) {
    std::vector<uint8_t> d = c.base;
    std::copy(c.bytes.begin(), c.bytes.end(), d.begin() + static_cast<long>(c.offset));
    if (c.resign) d = resigned(d);
    EXPECT_EQ(verdict(d), c.expected) << c.what;
    seen.insert(c.expected);
  }
  // Sizes, and bytes after the last record.
  EXPECT_EQ(verdict(std::vector<uint8_t>(kSyncHeader + kSyncSignature - 1)), "truncated");
  EXPECT_EQ(verdict(std::vector<uint8_t>(kSyncDatagram + 1)), "oversized");
  EXPECT_EQ(verdict(std::vector<uint8_t>(kMaxUdpPayload + 1), 100000), "oversized");
  std::vector<uint8_t> longer = conn;
  longer.insert(longer.end() - kSyncSignature, 0);
  EXPECT_EQ(verdict(resigned(longer)), "bad_count");
  seen.insert({"truncated", "oversized"});
  EXPECT_EQ(seen.size(), kSyncDrops) << "a drop reason no case produces";
}

// Every datagram cut short is refused: below the header and signature as truncated, longer
// ones by their signature; signed again, by their count.
TEST(SyncPacket, EveryTruncationIsADrop) {
  std::vector<std::vector<uint8_t>> datagrams;
  for (const SyncConnection& c : kConnections) datagrams.push_back(one(c));
  for (const SyncPersistence& p : kPersistence) datagrams.push_back(one(p));
  for (const SyncServer& s : kServers) datagrams.push_back(one(s));
  SyncWriter w(kKey, kBoot);
  for (const SyncServer& s : kServers) ASSERT_TRUE(w.add(s));
  datagrams.push_back(w.seal());
  datagrams.push_back(w.resync_request());
  for (const std::vector<uint8_t>& d : datagrams) {
    ASSERT_EQ(verdict(d), "accepted");
    for (size_t size = 0; size < d.size(); ++size) {
      const std::vector<uint8_t> cut(d.begin(), d.begin() + static_cast<long>(size));
      const bool short_of_header = size < kSyncHeader + kSyncSignature;
      EXPECT_EQ(verdict(cut), short_of_header ? "truncated" : "bad_signature") << size;
      if (size < kSyncHeader || size + kSyncSignature >= d.size()) continue;
      std::vector<uint8_t> signed_cut(cut.begin(), cut.end());
      signed_cut.resize(size + kSyncSignature);
      EXPECT_EQ(verdict(resigned(signed_cut)), "bad_count") << size;
    }
  }
}

TEST(SyncPacket, AnotherKeysSignatureIsRefused) {
  const std::string other = "sluice-sync-test-key-0123456789ac";
  for (const std::vector<uint8_t>& key :
       {std::vector<uint8_t>(other.begin(), other.end()), std::vector<uint8_t>{}}) {
    SyncWriter w(key, kBoot);
    ASSERT_TRUE(w.add(kSnatV4));
    EXPECT_EQ(verdict(w.seal()), "bad_signature");
  }
}

// `n` datagrams in a row from the sender of `boot`, a record each.
std::vector<std::vector<uint8_t>> stream(size_t n, uint64_t boot = kBoot) {
  SyncWriter w(kKey, boot);
  std::vector<std::vector<uint8_t>> sent;
  for (size_t i = 0; i < n; ++i) {
    EXPECT_TRUE(w.add(kSnatV4));
    sent.push_back(w.seal());
  }
  return sent;
}

// What `replay` makes of `d`: "new boot" (the first of its boot id), "next", or the drop.
std::string take(const std::vector<uint8_t>& d, ReplayState& replay) {
  const ParsedSync p = parse_sync(d, kKey, replay);
  if (!p.message) return std::string(to_string(p.drop));
  return p.message->new_boot ? "new boot" : "next";
}

TEST(SyncPacket, AReplayIsRefused) {
  const std::vector<std::vector<uint8_t>> sent = stream(3);
  ReplayState replay;
  EXPECT_EQ(take(sent[1], replay), "new boot");
  EXPECT_EQ(take(sent[1], replay), "replayed");
  EXPECT_EQ(take(sent[0], replay), "replayed");  // older
  EXPECT_EQ(take(sent[2], replay), "next");
  EXPECT_EQ(take(sent[2], replay), "replayed");
}

TEST(SyncPacket, GapsAreCountedAsLost) {
  const std::vector<std::vector<uint8_t>> sent = stream(6);
  ReplayState replay;
  for (size_t i : {0, 2, 5}) EXPECT_NE(take(sent[i], replay), "replayed") << i;
  EXPECT_EQ(replay.lost(), 3u);                  // the second, fourth and fifth
  EXPECT_EQ(take(sent[4], replay), "replayed");  // late: it stays lost
  EXPECT_EQ(replay.lost(), 3u);
}

TEST(SyncPacket, ARestartedPeerIsANewBoot) {
  const std::vector<std::vector<uint8_t>> before = stream(3), after = stream(2, kBoot + 1);
  ReplayState replay;
  EXPECT_EQ(take(before[0], replay), "new boot");
  EXPECT_EQ(take(before[1], replay), "next");
  // Its sequence starts again at 1.
  EXPECT_EQ(take(after[0], replay), "new boot");
  EXPECT_EQ(take(after[1], replay), "next");
  // The old boot is remembered: its replays are refused, a datagram of it still on its way
  // is not.
  EXPECT_EQ(take(before[1], replay), "replayed");
  EXPECT_EQ(take(before[2], replay), "next");
  EXPECT_EQ(replay.lost(), 0u);
}

TEST(SyncPacket, OnlyAnAcceptedDatagramMovesTheReplayState) {
  const std::vector<uint8_t> good = stream(1)[0];
  // A forger's sequence, and a signed datagram of a later sequence that breaks a body rule:
  // had either been taken, the good datagram would be a replay.
  std::vector<uint8_t> forged = good;
  forged[16] = 0x7f;
  std::vector<uint8_t> bad_record = good;
  bad_record[23] = 9;
  bad_record[kSyncHeader + 2] = 4;  // mode
  ReplayState replay;
  EXPECT_EQ(take(forged, replay), "bad_signature");
  EXPECT_EQ(take(resigned(bad_record), replay), "bad_mode");
  EXPECT_EQ(take(good, replay), "new boot");
  EXPECT_EQ(replay.lost(), 0u);
}

// Beyond kSyncBoots the oldest boot is forgotten, and its datagrams would be taken again.
TEST(SyncPacket, TheLastBootsAreRemembered) {
  std::vector<std::vector<uint8_t>> firsts;
  for (uint64_t boot = 0; boot <= ReplayState::kSyncBoots; ++boot) {
    firsts.push_back(stream(1, boot)[0]);
  }
  ReplayState replay;
  for (const std::vector<uint8_t>& d : firsts) EXPECT_EQ(take(d, replay), "new boot");
  EXPECT_EQ(take(firsts[1], replay), "replayed");
  EXPECT_EQ(take(firsts.back(), replay), "replayed");
  EXPECT_EQ(take(firsts[0], replay), "new boot");
}

TEST(SyncPacket, EveryDropHasAName) {
  EXPECT_EQ(kSyncDrops, 18u);
  std::set<std::string_view> names;
  for (size_t i = 0; i < kSyncDrops; ++i) names.insert(to_string(static_cast<SyncDrop>(i)));
  EXPECT_EQ(names.size(), kSyncDrops);
  EXPECT_FALSE(names.contains("?"));
}

}  // namespace
}  // namespace sluice::control::ha
