// Lookup tables of the hashing schedulers, built by the control plane into the snapshot and
// read by workers with one index: table[hash % size] is a server's position in its service.
//   sh, dh:  IPVS's static hash, 256 buckets dealt out by weight (ip_vs_sh.c).
//   maglev:  Maglev (Eisenbud et al., NSDI 2016): every server walks its own permutation of
//            the table, so when one leaves, mostly its own entries change hands.
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace sluice::dp {

struct HashBackend {
  uint16_t position;  // in the service's server list
  uint32_t weight;    // > 0
  uint64_t identity;  // stable across reloads (address and port): seeds the permutation
};

inline constexpr uint32_t kStaticHashBuckets = 256;
// Prime, as Maglev needs; about 100 entries per server up to 40 servers keeps the load
// imbalance near 1% (the paper's M >> N). Larger services use kMaglevLargeSize.
inline constexpr uint32_t kMaglevSmallSize = 4093;
inline constexpr uint32_t kMaglevLargeSize = 65537;

std::vector<uint16_t> build_static_hash(std::span<const HashBackend> backends);
std::vector<uint16_t> build_maglev(std::span<const HashBackend> backends);

// Spreads an address over the table (a 32-bit finaliser: consecutive client addresses land
// far apart).
inline uint32_t hash_address(uint32_t address) {
  uint32_t h = address;
  h ^= h >> 16;
  h *= 0x7feb352dU;
  h ^= h >> 15;
  h *= 0x846ca68bU;
  h ^= h >> 16;
  return h;
}

}  // namespace sluice::dp
