// Capacity check: fills one worker's connection table with N nat connections (both
// directions indexed, as nat needs) and reports the memory it takes and the insert rate.
// Shows whether a connection count fits a machine before anyone configures it.
//
//   capacity [connections=8000000]
#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include <cstdio>
#include <cstdlib>

#include "dataplane/conn_table.h"
#include "tests/support/eal_env.h"

namespace {

using namespace sluice;

uint64_t heap_bytes() {
  rte_malloc_socket_stats stats{};
  rte_malloc_get_socket_stats(static_cast<int>(rte_socket_id()), &stats);
  return stats.heap_allocsz_bytes;
}

int run(uint32_t count) {
  const uint64_t heap_before = heap_bytes();
  auto table = dp::ConnTable::create("capacity", count, static_cast<int>(rte_socket_id()), 0);
  if (!table) {
    std::fprintf(stderr, "cannot allocate a table of %u connections\n", count);
    return 1;
  }
  const double heap = static_cast<double>(heap_bytes() - heap_before);
  const double entries =
      (static_cast<double>(count) + dp::ConnTable::kWheelSlots) * sizeof(dp::Conn) +
      static_cast<double>(count) * sizeof(uint32_t);
  const uint64_t start = rte_rdtsc();
  uint32_t inserted = 0;
  for (uint32_t i = 0; i < count; ++i) {
    dp::Conn c{};
    c.client_ip = rte_cpu_to_be_32(0xc6130000 + (i >> 16));  // 198.19.x.y
    c.client_port = rte_cpu_to_be_16(static_cast<uint16_t>(i));
    c.vip_ip = rte_cpu_to_be_32(0xc612000b);
    c.vip_port = rte_cpu_to_be_16(80);
    c.server_ip = rte_cpu_to_be_32(0xc6120115 + i % 4);
    c.server_port = rte_cpu_to_be_16(8080);
    c.backend_src_ip = c.client_ip;  // nat: the server sees the client
    c.backend_src_port = c.client_port;
    c.protocol = 6;
    c.mode = dp::Mode::nat;
    c.expires = 900;
    if (table->insert(c, true) < dp::ConnTable::kTaken) ++inserted;
  }
  const double seconds = static_cast<double>(rte_rdtsc() - start) / rte_get_tsc_hz();
  std::printf("connections inserted: %u of %u\n", inserted, count);
  std::printf(
      "memory: %.2f GiB (%.0f B per connection: %.0f B rte_hash, %.0f B entry + free list)\n",
      (heap + entries) / (1 << 30), (heap + entries) / count, heap / count, entries / count);
  std::printf("insert rate: %.2f M/s on one core\n", inserted / seconds / 1e6);
  return inserted == count ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const uint32_t count = argc > 1 ? static_cast<uint32_t>(std::atoi(argv[1])) : 8000000;
  test::init_eal_or_die(4096);
  const int status = run(count);
  test::cleanup_eal();
  return status;
}
