// The estimate against what DPDK really reserves: each part is at least what the allocator
// hands out (so --check never passes what the start cannot place) and close to it.
#include "control/dpdk_memory.h"

#include <gtest/gtest.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_mempool.h>

#include "config/load.h"
#include "control/ports.h"
#include "dataplane/conn_table.h"

namespace sluice::control {
namespace {

size_t reserved() {
  rte_malloc_socket_stats s{};
  rte_malloc_get_socket_stats(0, &s);
  return s.heap_allocsz_bytes;
}

// The estimate may exceed the real figure by this share and a few allocation headers.
void expect_close_above(uint64_t estimate, size_t real, const std::string& what) {
  EXPECT_GE(estimate, real) << what;
  EXPECT_LE(estimate, real + real / 50 + 8192) << what;
}

TEST(DpdkMemory, ConnectionTablesAsRteHashLaysThemOut) {
  // Powers of two and between them: rte_hash rounds its buckets and rings up.
  for (const uint32_t capacity : {8u, 1000u, 65536u, 100000u, 262144u}) {
    const size_t before = reserved();
    auto v4 = dp::ConnTable::create("memory_test4", capacity, 0, 0);
    const size_t v4_bytes = reserved() - before;
    auto v6 = dp::ConnTable6::create("memory_test6", capacity, 0, 0);
    const size_t v6_bytes = reserved() - before - v4_bytes;
    ASSERT_TRUE(v4 && v6);
    expect_close_above(hash_table_bytes(capacity, sizeof(dp::FlowKey)), v4_bytes,
                       "IPv4, capacity " + std::to_string(capacity));
    expect_close_above(hash_table_bytes(capacity, sizeof(dp::FlowKey6)), v6_bytes,
                       "IPv6, capacity " + std::to_string(capacity));
  }
}

config::Config with(uint32_t workers, uint32_t mtu) {
  config::Config cfg;
  cfg.eal.no_huge = true;  // as this test's EAL runs
  cfg.workers.count = workers;
  cfg.interfaces.resize(2);
  for (config::Interface& ifc : cfg.interfaces) ifc.mtu = mtu;
  return cfg;
}

TEST(DpdkMemory, ThePacketPoolWithoutHugepagesTakesAPagePerMbuf) {
  for (const uint32_t workers : {1u, 2u, 3u}) {
    for (const uint32_t mtu : {1500u, 9000u}) {
      const config::Config cfg = with(workers, mtu);
      const size_t before = reserved();
      rte_mempool* pool = create_packet_pool(cfg);
      ASSERT_NE(pool, nullptr) << rte_strerror(rte_errno);
      const size_t real = reserved() - before;
      rte_mempool_free(pool);
      expect_close_above(packet_pool_bytes(cfg), real,
                         std::to_string(workers) + " workers, MTU " + std::to_string(mtu));
    }
  }
}

TEST(DpdkMemory, TooLittleMemoryIsNamedAtEalMemoryMbWithWhatNeedsIt) {
  config::LoadResult r = config::load_string(R"(eal: { lcores: "0-2", memory_mb: 256, no_huge: true }
workers: { count: 2 }
connections: { capacity: 1000000 }
interfaces:
  - { name: front, device: "net_null0", addresses: [198.18.0.2/24] }
)", "sluice.yaml");
  ASSERT_TRUE(r.config) << (r.errors.empty() ? "" : r.errors[0].format());
  const std::optional<config::Error> e = check_memory(*r.config, "sluice.yaml");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->line, 1);
  EXPECT_EQ(e->path, "eal.memory_mb");
  EXPECT_NE(e->format().find("sluice.yaml:1:"), std::string::npos) << e->format();
  const uint64_t tables_mib = (2 * hash_table_bytes(1000000, sizeof(dp::FlowKey)) + (1 << 20) - 1) >> 20;
  EXPECT_NE(e->message.find("connection tables " + std::to_string(tables_mib) + " for 2 worker(s)"),
            std::string::npos)
      << e->message;
  r.config->eal.memory_mb = static_cast<uint32_t>(memory_needed(*r.config).total() >> 20) + 1;
  EXPECT_FALSE(check_memory(*r.config, "sluice.yaml"));
}

}  // namespace
}  // namespace sluice::control
