// Pipeline benchmark: pre-built frames of established flows fed through the real worker code
// (dataplane/pipeline.cc) on one core, no I/O. Reports Mpps per core and cycles per packet for
// dr, nat (both directions) and, as the floor, a null forwarder in the same harness that only
// moves each mbuf to the transmit buffer.
//
//   pipeline_perf [flows=1000000] [passes=4]
#include <netinet/in.h>
#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "config/ipv4.h"
#include "dataplane/pipeline.h"
#include "tests/support/eal_env.h"
#include "tests/support/packet_builder.h"
#include "tests/support/pipeline_harness.h"

namespace {

using namespace sluice;

constexpr uint16_t kBurst = 32;
constexpr size_t kStride = 64;  // one frame slot; our frames are 54 bytes

const char* const kBenchConfig = R"(
interfaces:
  - { name: front, device: net_null0, addresses: [198.18.0.1/24] }
  - { name: back, device: net_null1, addresses: [198.18.1.1/24] }
virtual_services:
  - name: dr
    address: 198.18.0.10
    ports: [80]
    protocol: tcp
    mode: dr
    scheduler: wlc
    real_servers:
      - { address: 198.18.0.21 }
      - { address: 198.18.0.22 }
      - { address: 198.18.0.23 }
      - { address: 198.18.0.24 }
  - name: nat
    address: 198.18.0.11
    ports: [80]
    protocol: tcp
    mode: nat
    scheduler: wlc
    real_servers:
      - { address: 198.18.1.21, port: 8080 }
      - { address: 198.18.1.22, port: 8080 }
      - { address: 198.18.1.23, port: 8080 }
      - { address: 198.18.1.24, port: 8080 }
)";

// Flow i: client 198.19.<i/50000>.x:<10000 + i%50000>; distinct tuples, spread addresses.
test::Frame client_frame(uint32_t i, const char* vip, uint8_t flags) {
  test::Frame f;
  const config::Ipv4 client = *config::parse_ipv4("198.19.0.0") + i / 50000 * 256 + i % 251;
  f.src_ip = config::format_ipv4(client);
  f.src_port = static_cast<uint16_t>(10000 + i % 50000);
  f.dst_ip = vip;
  f.dst_port = 80;
  f.tcp_flags = flags;
  f.payload.clear();
  f.dst_mac = test::kFrontMac;
  return f;
}

struct Frames {
  std::vector<uint8_t> bytes;  // kStride per flow
  uint16_t length = 0;
  uint16_t port = 0;
  size_t count() const { return bytes.size() / kStride; }
};

template <typename MakeFrame>
Frames make_frames(uint32_t flows, uint16_t port, MakeFrame&& make) {
  Frames f;
  f.bytes.resize(size_t{flows} * kStride);
  f.port = port;
  for (uint32_t i = 0; i < flows; ++i) {
    const std::vector<uint8_t> b = test::build(make(i));
    f.length = static_cast<uint16_t>(b.size());
    std::memcpy(&f.bytes[size_t{i} * kStride], b.data(), b.size());
  }
  return f;
}

// The buffers a burst is built in; both the pipeline run and the floor pay for the copy.
struct BurstPool {
  rte_mbuf* mbufs[kBurst];
  BurstPool() {
    for (rte_mbuf*& m : mbufs) m = rte_pktmbuf_alloc(test::test_pool());
  }
  void load(const Frames& f, size_t first, uint16_t n) {
    for (uint16_t k = 0; k < n; ++k) {
      rte_mbuf* m = mbufs[k];
      m->data_off = RTE_PKTMBUF_HEADROOM;
      m->data_len = m->pkt_len = f.length;
      m->port = f.port;
      std::memcpy(rte_pktmbuf_mtod(m, void*), &f.bytes[(first + k) * kStride], f.length);
    }
  }
};

// Takes the burst's mbufs back from the transmit buffers; counts what did not come out.
uint32_t harvest(dp::WorkerCtx& w, BurstPool& pool) {
  uint16_t got = 0;
  for (auto& b : w.tx) {
    for (uint16_t k = 0; k < b.n; ++k) pool.mbufs[got++] = b.pkts[k];
    b.n = 0;
  }
  const uint32_t lost = kBurst - got;
  // Dropped ones were freed by the pipeline: refill so every burst has kBurst buffers.
  while (got < kBurst) pool.mbufs[got++] = rte_pktmbuf_alloc(test::test_pool());
  return lost;
}

struct Result {
  double mpps;
  double cycles_per_packet;
};

template <typename Step>
Result measure(dp::WorkerCtx& w, const Frames& f, uint32_t passes, Step&& step) {
  BurstPool pool;
  uint64_t packets = 0, lost = 0;
  const size_t flows = f.count();
  const uint64_t start = rte_rdtsc();
  for (uint32_t pass = 0; pass < passes; ++pass) {
    for (size_t first = 0; first + kBurst <= flows; first += kBurst) {
      pool.load(f, first, kBurst);
      step(pool.mbufs, kBurst);
      lost += harvest(w, pool);
      packets += kBurst;
    }
  }
  const uint64_t cycles = rte_rdtsc() - start;
  if (lost != 0) std::fprintf(stderr, "warning: %lu packets dropped\n", (unsigned long)lost);
  for (rte_mbuf* m : pool.mbufs) rte_pktmbuf_free(m);
  return {static_cast<double>(packets) * static_cast<double>(rte_get_tsc_hz()) /
              static_cast<double>(cycles) / 1e6,
          static_cast<double>(cycles) / static_cast<double>(packets)};
}

// Sends every flow's SYN once, so the measured passes see established connections. Timed:
// this is the new-connection path (miss, VIP lookup, scheduler, insert, rewrite).
Result establish(dp::WorkerCtx& w, const Frames& syns) {
  BurstPool pool;
  const uint64_t start = rte_rdtsc();
  for (size_t first = 0; first < syns.count(); first += kBurst) {
    const auto n = static_cast<uint16_t>(std::min<size_t>(kBurst, syns.count() - first));
    pool.load(syns, first, n);
    dp::process_burst(w, *w.snapshot, pool.mbufs, n);
    harvest(w, pool);
  }
  const double cycles = static_cast<double>(rte_rdtsc() - start);
  const double count = static_cast<double>(syns.count());
  return {count * static_cast<double>(rte_get_tsc_hz()) / cycles / 1e6, cycles / count};
}

// Memory a table of `capacity` connections takes: DPDK heap (rte_hash) plus our entries.
double bytes_per_connection(uint32_t capacity) {
  rte_malloc_socket_stats before{}, after{};
  rte_malloc_get_socket_stats(static_cast<int>(rte_socket_id()), &before);
  auto table = dp::ConnTable::create("bench_sizing", capacity, static_cast<int>(rte_socket_id()), 0);
  rte_malloc_get_socket_stats(static_cast<int>(rte_socket_id()), &after);
  const double heap = static_cast<double>(after.heap_allocsz_bytes - before.heap_allocsz_bytes);
  const double entries = (static_cast<double>(capacity) + dp::ConnTable::kWheelSlots) *
                         sizeof(dp::Conn) + capacity * sizeof(uint32_t);  // + free list
  return (heap + entries) / capacity;
}

void print(const char* name, const Result& r, const Result& floor) {
  std::printf("%-22s %9.2f %12.1f %11.1f\n", name, r.mpps, r.cycles_per_packet,
              r.cycles_per_packet - floor.cycles_per_packet);
}

void run(uint32_t flows, uint32_t passes) {
  test::PipelineHarness h(kBenchConfig, 2 * flows + 1024);  // dr and nat flows
  dp::WorkerCtx& w = h.worker();
  h.run({});  // publishes the snapshot into the worker and sets its clock

  const Frames dr_syn = make_frames(flows, 0, [](uint32_t i) { return client_frame(i, "198.18.0.10", 0x02); });
  const Frames dr_ack = make_frames(flows, 0, [](uint32_t i) { return client_frame(i, "198.18.0.10", 0x10); });
  const Frames nat_syn = make_frames(flows, 0, [](uint32_t i) { return client_frame(i, "198.18.0.11", 0x02); });
  const Frames nat_ack = make_frames(flows, 0, [](uint32_t i) { return client_frame(i, "198.18.0.11", 0x10); });
  const Result dr_new = establish(w, dr_syn);
  const Result nat_new = establish(w, nat_syn);
  std::printf("connections established: %u; memory per connection slot: %.0f B "
              "(entry %zu B + hash index for both directions)\n",
              w.conns->size(), bytes_per_connection(flows), sizeof(dp::Conn));

  // Replies of each nat flow come from the server its connection chose.
  const Frames nat_reply = make_frames(flows, 1, [&](uint32_t i) {
    const test::Frame fwd = client_frame(i, "198.18.0.11", 0x10);
    dp::FlowKey key{test::ip_be(fwd.src_ip), test::ip_be(fwd.dst_ip),
                    rte_cpu_to_be_16(fwd.src_port), rte_cpu_to_be_16(80), IPPROTO_TCP};
    const dp::Conn& c = w.conns->at(w.conns->lookup(key) >> 1);
    test::Frame r;
    r.src_ip = config::format_ipv4(rte_be_to_cpu_32(c.server_ip));
    r.src_port = rte_be_to_cpu_16(c.server_port);
    r.dst_ip = fwd.src_ip;
    r.dst_port = fwd.src_port;
    r.tcp_flags = 0x10;
    r.payload.clear();
    r.dst_mac = test::kBackMac;
    return r;
  });

  const auto null_forwarder = [&w](rte_mbuf** pkts, uint16_t n) {
    for (uint16_t k = 0; k < n; ++k) w.transmit(pkts[k], 0);
  };
  const auto pipeline = [&w](rte_mbuf** pkts, uint16_t n) {
    dp::process_burst(w, *w.snapshot, pkts, n);
  };
  std::printf("%u flows per mode, %u passes, burst %u, TSC %.2f GHz\n", flows, passes, kBurst,
              static_cast<double>(rte_get_tsc_hz()) / 1e9);
  std::printf("%-22s %9s %12s %11s\n", "mode", "Mpps/core", "cycles/pkt", "over floor");
  const Result floor = measure(w, dr_ack, passes, null_forwarder);
  print("floor (null forwarder)", floor, floor);
  print("dr", measure(w, dr_ack, passes, pipeline), floor);
  print("nat client->server", measure(w, nat_ack, passes, pipeline), floor);
  print("nat server->client", measure(w, nat_reply, passes, pipeline), floor);
  std::printf("%-22s %9s %12s  (table filling from empty to %u connections)\n",
              "new connections", "M conn/s", "cycles/conn", 2 * flows);
  std::printf("%-22s %9.2f %12.1f\n", "dr (wlc)", dr_new.mpps, dr_new.cycles_per_packet);
  std::printf("%-22s %9.2f %12.1f\n", "nat (wlc)", nat_new.mpps, nat_new.cycles_per_packet);
}

}  // namespace

int main(int argc, char** argv) {
  const uint32_t flows = argc > 1 ? static_cast<uint32_t>(std::atoi(argv[1])) : 1000000;
  const uint32_t passes = argc > 2 ? static_cast<uint32_t>(std::atoi(argv[2])) : 4;
  test::init_eal_or_die(2048);
  run(flows, passes);  // everything DPDK-backed is gone before EAL is
  test::cleanup_eal();
  return 0;
}
