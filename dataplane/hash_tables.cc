#include "dataplane/hash_tables.h"

#include <algorithm>
#include <numeric>
#include <utility>

namespace sluice::dp {
namespace {

uint64_t mix64(uint64_t x) {  // splitmix64's finaliser
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Weights divided by their gcd: a server of weight w takes w turns per round.
std::vector<uint32_t> turns_of(std::span<const HashBackend> backends) {
  uint32_t gcd = 0;
  for (const HashBackend& b : backends) gcd = std::gcd(gcd, b.weight);
  std::vector<uint32_t> turns;
  for (const HashBackend& b : backends) turns.push_back(b.weight / gcd);
  return turns;
}

// Shares of `total` buckets in proportion to the turns, by largest remainder, so a weight
// still counts when the weights' sum is far above the bucket count (IPVS deals whole weights
// and lets the first servers take every bucket).
std::vector<uint32_t> scale_to(std::vector<uint32_t> turns, uint32_t total) {
  const uint64_t sum = std::accumulate(turns.begin(), turns.end(), uint64_t{0});
  if (sum <= total) return turns;
  std::vector<std::pair<uint64_t, size_t>> remainders;
  uint32_t dealt = 0;
  for (size_t i = 0; i < turns.size(); ++i) {
    const uint64_t exact = uint64_t{turns[i]} * total;
    remainders.emplace_back(exact % sum, i);
    turns[i] = static_cast<uint32_t>(exact / sum);
    dealt += turns[i];
  }
  std::sort(remainders.rbegin(), remainders.rend());
  for (size_t k = 0; dealt < total; ++k, ++dealt) ++turns[remainders[k].second];
  return turns;
}

}  // namespace

std::vector<uint16_t> build_static_hash(std::span<const HashBackend> backends) {
  if (backends.empty()) return {};
  const std::vector<uint32_t> turns = scale_to(turns_of(backends), kStaticHashBuckets);
  std::vector<uint16_t> table;
  table.reserve(kStaticHashBuckets);
  for (size_t i = 0; table.size() < kStaticHashBuckets; i = (i + 1) % backends.size()) {
    for (uint32_t t = 0; t < turns[i] && table.size() < kStaticHashBuckets; ++t) {
      table.push_back(backends[i].position);
    }
  }
  return table;
}

std::vector<uint16_t> build_maglev(std::span<const HashBackend> backends) {
  if (backends.empty()) return {};
  const uint32_t size = backends.size() <= 40 ? kMaglevSmallSize : kMaglevLargeSize;
  constexpr uint16_t kEmpty = UINT16_MAX;
  std::vector<uint16_t> table(size, kEmpty);
  std::vector<uint64_t> offset(backends.size()), skip(backends.size()), next(backends.size(), 0);
  for (size_t i = 0; i < backends.size(); ++i) {
    offset[i] = mix64(backends[i].identity) % size;
    skip[i] = mix64(backends[i].identity ^ 0x5bd1e9955bd1e995ULL) % (size - 1) + 1;
  }
  const std::vector<uint32_t> turns = turns_of(backends);
  uint32_t filled = 0;
  while (filled < size) {
    for (size_t i = 0; i < backends.size() && filled < size; ++i) {
      for (uint32_t t = 0; t < turns[i] && filled < size; ++t) {
        // The next free slot on this server's permutation: offset + j * skip (mod size).
        uint64_t slot = (offset[i] + next[i] * skip[i]) % size;
        while (table[slot] != kEmpty) {
          ++next[i];
          slot = (offset[i] + next[i] * skip[i]) % size;
        }
        table[slot] = backends[i].position;
        ++next[i];
        ++filled;
      }
    }
  }
  return table;
}

}  // namespace sluice::dp
