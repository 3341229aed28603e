// Incremental Internet checksum updates (RFC 1624, eqn. 3: HC' = ~(~HC + ~m + m')).
// Rewriting an address or port this way costs a few adds instead of a pass over the payload.
// All values are in network byte order as they sit in the packet.
#pragma once

#include <cstdint>

namespace sluice::dp {

inline uint16_t csum_fold(uint32_t sum) {
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

// The checksum after one 16-bit word changed from old_word to new_word.
inline uint16_t csum_replace16(uint16_t check, uint16_t old_word, uint16_t new_word) {
  uint32_t sum = static_cast<uint16_t>(~check);
  sum += static_cast<uint16_t>(~old_word);
  sum += new_word;
  return static_cast<uint16_t>(~csum_fold(sum));
}

// The checksum after one 32-bit field (an IPv4 address) changed.
inline uint16_t csum_replace32(uint16_t check, uint32_t old_value, uint32_t new_value) {
  check = csum_replace16(check, static_cast<uint16_t>(old_value >> 16),
                         static_cast<uint16_t>(new_value >> 16));
  return csum_replace16(check, static_cast<uint16_t>(old_value), static_cast<uint16_t>(new_value));
}

}  // namespace sluice::dp
