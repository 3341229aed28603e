#include "control/dpdk_memory.h"

#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring_elem.h>
#include <unistd.h>

#include "control/appliance.h"
#include "control/ports.h"
#include "dataplane/conn_table.h"
#include "dataplane/messages.h"
#include "dataplane/packet_meta.h"

namespace sluice::control {
namespace {

constexpr uint64_t kMiB = 1024 * 1024;
// What a reservation costs beyond its size: DPDK's malloc element header and trailer, and
// alignment (measured: 2.6 KiB over the sum of an rte_hash's parts, which are six).
constexpr uint64_t kPerAllocation = 512;
// What EAL, ethdev (rte_eth_dev_data for every port id), the PMDs' queue structures and the
// RCU state take before and beside sluice's own reservations. Calibrated on the lab (two
// af_packet ports, no hugepages): the smallest eal.memory_mb that started was 6-12 MiB below
// the estimate (1 worker at capacity 65536: 61-66 against 66; at 1,000,000: 141-150 against
// 162; 2 workers: at most 92 against 105); tests/e2e/cli_test.sh starts one at the estimate.
constexpr uint64_t kFixed = 16 * kMiB;
// rte_cuckoo_hash.h's RTE_HASH_BUCKET_ENTRIES (not in the public headers).
constexpr uint64_t kHashBucketEntries = 8;
// With hugepages a page is 2 MiB (the default size): objects pack with little waste.
constexpr uint64_t kHugePage = 2 * kMiB;

uint64_t ring_bytes(unsigned element_size, unsigned slots) {
  return static_cast<uint64_t>(rte_ring_get_memsize_elem(element_size, slots)) + kPerAllocation;
}

uint64_t round_up(uint64_t n, uint64_t to) { return (n + to - 1) / to * to; }

}  // namespace

uint64_t hash_table_bytes(uint32_t capacity, uint32_t key_bytes) {
  // rte_hash_create (DPDK 22.11) with the extendable bucket table and no local caches:
  //   main and extendable buckets   2 x (2^ceil(entries) / 8) buckets of 64 bytes
  //   keys                          (entries + 1) x align16(8 + key)
  //   free key slots                ring of 2^ceil(entries + 1) uint32
  //   free extendable buckets       ring of 2^ceil(buckets + 1) uint32
  const uint32_t entries = std::max(capacity * 2, dp::kMinHashEntries);  // two keys each
  const uint64_t buckets = rte_align32pow2(entries) / kHashBucketEntries;
  const uint64_t key_entry = round_up(8 + key_bytes, 16);
  return 2 * buckets * 64 + (uint64_t{entries} + 1) * key_entry +
         ring_bytes(4, rte_align32pow2(entries + 1)) +
         ring_bytes(4, rte_align32pow2(static_cast<uint32_t>(buckets) + 1)) + 4 * kPerAllocation;
}

uint64_t packet_pool_bytes(const config::Config& cfg) {
  const uint64_t count =
      packet_pool_size(cfg.workers.count, static_cast<uint32_t>(cfg.interfaces.size()));
  rte_mempool_objsz size{};
  const uint32_t element =
      sizeof(rte_mbuf) + RTE_ALIGN(dp::kPacketMetaRoom, RTE_MBUF_PRIV_ALIGN) + packet_data_room(cfg);
  const uint64_t object = rte_mempool_calc_obj_size(element, 0, &size);
  // rte_mempool_op_calc_mem_size_helper: objects do not cross a page where they fit in one;
  // without hugepages a page is the system's (4 KiB), so each mbuf takes a page of its own.
  const uint64_t page = cfg.eal.no_huge ? static_cast<uint64_t>(sysconf(_SC_PAGESIZE)) : kHugePage;
  const uint64_t objects = object <= page ? (count + page / object - 1) / (page / object) * page
                                          : count * round_up(object, page);
  // The mempool's header holds a cache for every possible lcore; its ring holds every object.
  const uint64_t header = sizeof(rte_mempool) + RTE_MAX_LCORE * sizeof(rte_mempool_cache) +
                          sizeof(rte_pktmbuf_pool_private);
  return objects + header + ring_bytes(sizeof(void*), rte_align32pow2(count + 1)) +
         3 * kPerAllocation;  // header, ring, objects
}

MemoryNeed memory_needed(const config::Config& cfg) {
  const uint64_t workers = cfg.workers.count;
  MemoryNeed need;
  need.packet_pool = packet_pool_bytes(cfg);
  need.connection_tables = workers * hash_table_bytes(cfg.connections.capacity, sizeof(dp::FlowKey));
  if (has_ipv6_address(cfg)) {
    need.connection_tables +=
        workers * hash_table_bytes(cfg.connections.capacity, sizeof(dp::FlowKey6));
  }
  // appliance.cc: per worker a kernel, a neighbour and two message rings; one ring back from
  // the kernel; a hand-off ring for every ordered pair of workers.
  need.rings = workers * (ring_bytes(sizeof(void*), kRingSize) +
                          ring_bytes(sizeof(void*), kNeighbourRingSize) +
                          ring_bytes(sizeof(dp::ControlMessage), dp::kToWorkerRingSize) +
                          ring_bytes(sizeof(dp::WorkerMessage), dp::kFromWorkerRingSize)) +
               ring_bytes(sizeof(void*), kRingSize) +
               workers * (workers - 1) * ring_bytes(sizeof(void*), kRingSize);
  need.fixed = kFixed;
  return need;
}

std::optional<config::Error> check_memory(const config::Config& cfg, const std::string& file) {
  const MemoryNeed need = memory_needed(cfg);
  const uint64_t have = uint64_t{cfg.eal.memory_mb} * kMiB;
  if (need.total() <= have) return std::nullopt;
  const auto mib = [](uint64_t bytes) { return std::to_string((bytes + kMiB - 1) / kMiB); };
  const config::Origin& at = cfg.eal.memory_mb_origin;
  return config::Error{
      file, at.line, at.column, "eal.memory_mb",
      std::to_string(cfg.eal.memory_mb) + " MiB is too little: this configuration needs about " +
          mib(need.total()) + " MiB (packet pool " + mib(need.packet_pool) +
          ", connection tables " + mib(need.connection_tables) + " for " +
          std::to_string(cfg.workers.count) + " worker(s) of connections.capacity " +
          std::to_string(cfg.connections.capacity) + ", rings " + mib(need.rings) +
          ", EAL and drivers " + mib(need.fixed) +
          "); raise eal.memory_mb or lower connections.capacity or workers.count"};
}

}  // namespace sluice::control
