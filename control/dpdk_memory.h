// What the appliance takes from DPDK's memory (eal.memory_mb) for a configuration, so that
// `sluiced --check` refuses what the start would (a packet pool or connection table EAL
// cannot place), with the position of eal.memory_mb, instead of a start that fails halfway.
// The figures are DPDK 22.11's own: rte_ring_get_memsize_elem and rte_mempool_calc_obj_size
// where DPDK says, rte_hash's layout where it does not (tests/unit/control/dpdk_memory_test.cc
// checks each against what DPDK really allocates). Needs no EAL.
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "config/load.h"
#include "config/model.h"

namespace sluice::control {

struct MemoryNeed {
  uint64_t packet_pool = 0;        // the mbufs (control/ports.cc sizes it) and its ring
  uint64_t connection_tables = 0;  // every worker's hash tables (the entries are not DPDK's)
  uint64_t rings = 0;              // hand-off, kernel, neighbour and message rings
  uint64_t fixed = 0;              // EAL, ethdev, PMD queues, allocator headers
  uint64_t total() const { return packet_pool + connection_tables + rings + fixed; }
};

MemoryNeed memory_needed(const config::Config& cfg);
// The bytes of one connection table's rte_hash for `capacity` connections (two keys each)
// of `key_bytes`, as rte_hash_create lays it out.
uint64_t hash_table_bytes(uint32_t capacity, uint32_t key_bytes);
// The bytes of the packet pool (control/ports.cc: create_packet_pool) for `cfg`.
uint64_t packet_pool_bytes(const config::Config& cfg);

// An error at eal.memory_mb when the need does not fit in it; `file` names the config.
std::optional<config::Error> check_memory(const config::Config& cfg, const std::string& file);

}  // namespace sluice::control
