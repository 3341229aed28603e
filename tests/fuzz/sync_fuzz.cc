// libFuzzer target: connection sync datagrams from the network, as any bytes. The first byte
// picks whether the rest is the datagram as it came (a forger's: nearly all die at the
// signature) or is signed with the pair's key first, as a peer with a bug would send it, so
// that the body rules are reached. Must never crash; whatever is accepted must be refused as
// a replay the second time, and written again to the same bytes but for the sequence and
// signature. Run: scripts/fuzz (docs/performance.md).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "control/ha/sync_packet.h"

namespace {

using namespace sluice::control::ha;

constexpr std::string_view kKeyText = "sluice-sync-fuzz-key";
const std::vector<uint8_t> kKey(kKeyText.begin(), kKeyText.end());
constexpr size_t kSequenceAt = 16, kSequenceEnd = 24;

std::vector<uint8_t> write_again(const SyncMessage& m) {
  SyncWriter w(kKey, m.boot_id);
  if (m.type == SyncType::resync_request) return w.resync_request();
  if (m.chunk) return w.config_chunk(*m.chunk);
  if (m.result) return w.config_result(*m.result);
  // They came in one datagram of at most the writer's maximum: each must fit.
  const auto add_all = [&](const auto& records) {
    for (const auto& r : records) {
      if (!w.add(r)) __builtin_trap();
    }
  };
  add_all(m.connections);
  add_all(m.persistence);
  add_all(m.servers);
  return w.seal();
}

void check(std::span<const uint8_t> datagram) {
  ReplayState replay;
  const ParsedSync p = parse_sync(datagram, kKey, replay);
  if (!p.message) return;
  if (parse_sync(datagram, kKey, replay).drop != SyncDrop::replayed) __builtin_trap();
  const std::vector<uint8_t> again = write_again(*p.message);
  const std::span<const uint8_t> a(again);
  const size_t body = datagram.size() - kSyncSignature;
  if (again.size() != datagram.size() ||
      !std::ranges::equal(a.first(kSequenceAt), datagram.first(kSequenceAt)) ||
      !std::ranges::equal(a.subspan(kSequenceEnd, body - kSequenceEnd),
                          datagram.subspan(kSequenceEnd, body - kSequenceEnd))) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  std::vector<uint8_t> datagram(data + 1, data + size);
  if (data[0] & 1) {
    const auto signature = sync_signature(kKey, datagram);
    datagram.insert(datagram.end(), signature.begin(), signature.end());
  }
  check(datagram);
  return 0;
}
