// Capacity check: fills one worker's connection table with N nat connections (both
// directions indexed, as nat needs) and reports the memory it takes and the insert rate.
// Shows whether a connection count fits a machine before anyone configures it.
//
//   capacity [connections=8000000] [ipv4|ipv6]
#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "dataplane/conn_table.h"
#include "tests/support/eal_env.h"

namespace {

using namespace sluice;

uint64_t heap_bytes() {
  rte_malloc_socket_stats stats{};
  rte_malloc_get_socket_stats(static_cast<int>(rte_socket_id()), &stats);
  return stats.heap_allocsz_bytes;
}

// Connection i: client 198.19.x.y (IPv6: 2001:2:1::x:y) port i, to one VIP, four servers.
void address(uint32_t& out, uint32_t base, uint32_t i) { out = rte_cpu_to_be_32(base + i); }
void address(Ip6& out, uint32_t base, uint32_t i) {
  static constexpr uint8_t kPrefix[8] = {0x20, 0x01, 0, 0x02, 0, 0x01, 0, 0};  // 2001:2:1::/64
  std::memcpy(out.bytes, kPrefix, 8);
  const uint32_t high = rte_cpu_to_be_32(base), low = rte_cpu_to_be_32(i);
  std::memcpy(out.bytes + 8, &high, 4);
  std::memcpy(out.bytes + 12, &low, 4);
}

template <class Table>
int run(uint32_t count) {
  using Conn = typename Table::Conn;
  const uint64_t heap_before = heap_bytes();
  auto table = Table::create("capacity", count, static_cast<int>(rte_socket_id()), 0);
  if (!table) {
    std::fprintf(stderr, "cannot allocate a table of %u connections\n", count);
    return 1;
  }
  const double heap = static_cast<double>(heap_bytes() - heap_before);
  const double entries = (static_cast<double>(count) + Table::kWheelSlots) * sizeof(Conn) +
                         static_cast<double>(count) * sizeof(uint32_t);
  const uint64_t start = rte_rdtsc();
  uint32_t inserted = 0;
  for (uint32_t i = 0; i < count; ++i) {
    Conn c{};
    address(c.client_ip, 0xc6130000, i >> 16);  // a new client address every 65536 ports
    c.client_port = rte_cpu_to_be_16(static_cast<uint16_t>(i));
    address(c.vip_ip, 0xc612000b, 0);
    c.vip_port = rte_cpu_to_be_16(80);
    address(c.server_ip, 0xc6120115, i % 4);
    c.server_port = rte_cpu_to_be_16(8080);
    c.backend_src_ip = c.client_ip;  // nat: the server sees the client
    c.backend_src_port = c.client_port;
    c.protocol = 6;
    c.mode = Mode::nat;
    c.expires = 900;
    if (table->insert(c, true) < Table::kTaken) ++inserted;
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
  const bool ipv6 = argc > 2 && std::strcmp(argv[2], "ipv6") == 0;
  test::init_eal_or_die(4096);
  const int status = ipv6 ? run<dp::ConnTable6>(count) : run<dp::ConnTable>(count);
  test::cleanup_eal();
  return status;
}
