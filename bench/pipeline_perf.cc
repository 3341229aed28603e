// Pipeline benchmark: pre-built frames of established flows fed through the real worker code
// (dataplane/pipeline.cc) on one core, no I/O. Reports Mpps per core and cycles per packet for
// every mode (dr, nat and snat both directions, tun) and, as the floor, a null forwarder in
// the same harness that only moves each mbuf to the transmit buffer; the rate of new
// connections per mode; and, with two workers, what handing a nat packet to the worker that
// owns its connection costs (dataplane/steering.h).
//
//   pipeline_perf [flows=1000000] [passes=4] [ha]
// With `ha`, the worker runs as one appliance of an HA pair does: an address of another
// instance is standby (parse looks up each TCP/UDP destination's kind) and connection events
// are on (each new connection, and each TCP state move, is copied into the event ring; the
// control thread's draining is not timed). Established flows are measured after a first,
// untimed pass has moved their TCP state, in both variants.
#include <netinet/in.h>
#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "common/ip_text.h"
#include "dataplane/messages.h"
#include "dataplane/pipeline.h"
#include "dataplane/steering.h"
#include "tests/support/eal_env.h"
#include "tests/support/packet_builder.h"
#include "tests/support/pipeline_harness.h"

namespace {

using namespace sluice;

constexpr uint16_t kBurst = 32;
constexpr size_t kStride = 128;  // one frame slot; our frames are 54 (IPv6: 74) bytes

const char* const kBenchConfig = R"(
interfaces:
  - { name: front, device: net_null0, addresses: [198.18.0.1/24, "2001:2::1/64"] }
  - { name: back, device: net_null1, addresses: [198.18.1.1/24, "2001:2:0:1::1/64"] }
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
  - name: snat
    address: 198.18.0.12
    ports: [80]
    protocol: tcp
    mode: snat
    scheduler: wlc
    # 16 addresses x 64512 ports x 4 servers: room for the 1M flows
    snat_pool: [198.18.1.100, 198.18.1.101, 198.18.1.102, 198.18.1.103, 198.18.1.104,
                198.18.1.105, 198.18.1.106, 198.18.1.107, 198.18.1.108, 198.18.1.109,
                198.18.1.110, 198.18.1.111, 198.18.1.112, 198.18.1.113, 198.18.1.114,
                198.18.1.115]
    real_servers:
      - { address: 198.18.1.21, port: 8080 }
      - { address: 198.18.1.22, port: 8080 }
      - { address: 198.18.1.23, port: 8080 }
      - { address: 198.18.1.24, port: 8080 }
  - name: tun
    address: 198.18.0.13
    ports: [80]
    protocol: tcp
    mode: tun
    scheduler: wlc
    real_servers:
      - { address: 198.18.1.21 }
      - { address: 198.18.1.22 }
      - { address: 198.18.1.23 }
      - { address: 198.18.1.24 }
  - name: dr6
    address: "2001:2::10"
    ports: [80]
    protocol: tcp
    mode: dr
    scheduler: wlc
    real_servers:
      - { address: "2001:2::21" }
      - { address: "2001:2::22" }
      - { address: "2001:2::23" }
      - { address: "2001:2::24" }
  - name: nat6
    address: "2001:2::11"
    ports: [80]
    protocol: tcp
    mode: nat
    scheduler: wlc
    real_servers:
      - { address: "2001:2:0:1::21", port: 8080 }
      - { address: "2001:2:0:1::22", port: 8080 }
      - { address: "2001:2:0:1::23", port: 8080 }
      - { address: "2001:2:0:1::24", port: 8080 }
  - name: snat6
    address: "2001:2::12"
    ports: [80]
    protocol: tcp
    mode: snat
    scheduler: wlc
    snat_pool: ["2001:2:0:1::100", "2001:2:0:1::101", "2001:2:0:1::102", "2001:2:0:1::103"]
    real_servers:
      - { address: "2001:2:0:1::21", port: 8080 }
      - { address: "2001:2:0:1::22", port: 8080 }
      - { address: "2001:2:0:1::23", port: 8080 }
      - { address: "2001:2:0:1::24", port: 8080 }
  - name: tun6
    address: "2001:2::13"
    ports: [80]
    protocol: tcp
    mode: tun
    scheduler: wlc
    real_servers:
      - { address: "2001:2:0:1::21" }
      - { address: "2001:2:0:1::22" }
      - { address: "2001:2:0:1::23" }
      - { address: "2001:2:0:1::24" }
)";

bool is_v6(const char* vip) { return std::strchr(vip, ':') != nullptr; }

// Flow i: client 198.19.<i/50000>.x (IPv6: 2001:2:1:<i/50000>::x), port 10000 + i%50000;
// distinct tuples, spread addresses.
test::Frame client_frame(uint32_t i, const char* vip, uint8_t flags) {
  test::Frame f;
  if (is_v6(vip)) {
    char text[64];
    std::snprintf(text, sizeof text, "2001:2:1:%x::%x", i / 50000, i % 251 + 1);
    f.src_ip = text;
  } else {
    const Ipv4 client = *parse_ipv4("198.19.0.0") + i / 50000 * 256 + i % 251;
    f.src_ip = format_ipv4(client);
  }
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

// The HA variant's event ring (null without `ha`), large enough for a phase's events and
// emptied between phases: the control thread drains it on its own core.
rte_ring* g_events = nullptr;

void drain_events() {
  if (g_events == nullptr) return;
  dp::WorkerMessage m[64];
  while (rte_ring_sc_dequeue_burst_elem(g_events, m, sizeof m[0], 64, nullptr) != 0) {
  }
}

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
  drain_events();  // the control thread's part, on its own core: not timed
  const double count = static_cast<double>(syns.count());
  return {count * static_cast<double>(rte_get_tsc_hz()) / cycles / 1e6, cycles / count};
}

// Memory a table of `capacity` connections takes: DPDK heap (rte_hash) plus our entries.
template <class Table>
double bytes_per_connection(uint32_t capacity, const char* name) {
  rte_malloc_socket_stats before{}, after{};
  rte_malloc_get_socket_stats(static_cast<int>(rte_socket_id()), &before);
  auto table = Table::create(name, capacity, static_cast<int>(rte_socket_id()), 0);
  rte_malloc_get_socket_stats(static_cast<int>(rte_socket_id()), &after);
  const double heap = static_cast<double>(after.heap_allocsz_bytes - before.heap_allocsz_bytes);
  const double entries =
      (static_cast<double>(capacity) + Table::kWheelSlots) * sizeof(typename Table::Conn) +
      capacity * sizeof(uint32_t);  // + free list
  return (heap + entries) / capacity;
}

void print(const char* name, const Result& r, const Result& floor) {
  std::printf("%-22s %9.2f %12.1f %11.1f\n", name, r.mpps, r.cycles_per_packet,
              r.cycles_per_packet - floor.cycles_per_packet);
}

// One mode's virtual service and whether its replies come back through sluice.
struct Mode {
  const char* name;
  const char* vip;
  bool replies;
};
constexpr Mode kModes[] = {{"dr", "198.18.0.10", false},  {"nat", "198.18.0.11", true},
                           {"snat", "198.18.0.12", true}, {"tun", "198.18.0.13", false},
                           {"dr6", "2001:2::10", false},  {"nat6", "2001:2::11", true},
                           {"snat6", "2001:2::12", true}, {"tun6", "2001:2::13", false}};

std::string text_of(uint32_t address_be) {
  return format_ipv4(rte_be_to_cpu_32(address_be));
}
std::string text_of(const Ip6& a) {
  IpAddress ip;
  std::memcpy(ip.bytes.data(), a.bytes, 16);
  return format_ip(ip);
}

// Flow i's connection, as the table of its family holds it.
template <class Table, class Key>
const typename Table::Conn& conn_of(const Table& table, Key key) {
  return table.at(table.lookup(key) >> 1);
}

// The reply of flow i's server: to the client (nat) or to the pool address (snat), as the
// flow's connection says.
Frames reply_frames(dp::WorkerCtx& w, uint32_t flows, const char* vip) {
  return make_frames(flows, 1, [&](uint32_t i) {
    const test::Frame fwd = client_frame(i, vip, 0x10);
    test::Frame r;
    const auto fill = [&r](const auto& c) {
      r.src_ip = text_of(c.server_ip);
      r.src_port = rte_be_to_cpu_16(c.server_port);
      r.dst_ip = text_of(c.backend_src_ip);
      r.dst_port = rte_be_to_cpu_16(c.backend_src_port);
    };
    if (is_v6(vip)) {
      dp::FlowKey6 key{};
      test::ip6_bytes(fwd.src_ip, key.src_ip.bytes);
      test::ip6_bytes(fwd.dst_ip, key.dst_ip.bytes);
      key.src_port = rte_cpu_to_be_16(fwd.src_port);
      key.dst_port = rte_cpu_to_be_16(80);
      key.protocol = IPPROTO_TCP;
      fill(conn_of(*w.conns6, key));
    } else {
      fill(conn_of(*w.conns,
                   dp::FlowKey{test::ip_be(fwd.src_ip), test::ip_be(fwd.dst_ip),
                               rte_cpu_to_be_16(fwd.src_port), rte_cpu_to_be_16(80), IPPROTO_TCP}));
    }
    r.tcp_flags = 0x10;
    r.payload.clear();
    r.dst_mac = test::kBackMac;
    return r;
  });
}

// Two workers, nat flows all owned by worker 1: their packets fed to worker 1 directly (the
// NIC or a flow rule got the queue right), then to worker 0, which parses them, misses, finds
// the owner and hands them over a ring; worker 1 takes them over. Both workers run on this
// one core, so the figure is the total work per packet; the cache-line transfer between
// cores that a real hand-off adds is not in it.
void run_handoff(uint32_t flows, uint32_t passes, const Result& floor) {
  test::PipelineHarness h(kBenchConfig, flows + 1024, 2);
  dp::WorkerCtx& receiver = h.worker(0);
  dp::WorkerCtx& owner = h.worker(1);
  h.run({});
  std::vector<uint32_t> owned;  // flow numbers whose client port worker 1 owns
  for (uint32_t i = 0; owned.size() < flows; ++i) {
    if (dp::owner_of_port(client_frame(i, "198.18.0.11", 0x10).src_port, 2) == 1) {
      owned.push_back(i);
    }
  }
  const auto frames = [&](uint8_t flags) {
    return make_frames(flows, 0,
                       [&](uint32_t k) { return client_frame(owned[k], "198.18.0.11", flags); });
  };
  establish(owner, frames(0x02));
  const Frames ack = frames(0x10);
  const Result direct = measure(owner, ack, passes, [&](rte_mbuf** pkts, uint16_t n) {
    dp::process_burst(owner, *owner.snapshot, pkts, n);
  });
  const Result handed = measure(owner, ack, passes, [&](rte_mbuf** pkts, uint16_t n) {
    dp::process_burst(receiver, *receiver.snapshot, pkts, n);
    dp::flush_handoffs(receiver);
    rte_mbuf* taken[kBurst];
    const unsigned k = rte_ring_sc_dequeue_burst(owner.handoff_from[0],
                                                 reinterpret_cast<void**>(taken), kBurst, nullptr);
    dp::process_handed_off(owner, *owner.snapshot, taken, static_cast<uint16_t>(k));
  });
  std::printf("%-22s %9s %12s %11s  (2 workers, %u nat flows owned by worker 1)\n", "hand-off",
              "Mpps/core", "cycles/pkt", "over floor", flows);
  print("nat on its owner", direct, floor);
  print("nat handed off", handed, floor);
  std::printf("%-22s %9s %12.1f cycles per handed-off packet (%.2fx the direct path)\n",
              "hand-off overhead", "", handed.cycles_per_packet - direct.cycles_per_packet,
              handed.cycles_per_packet / direct.cycles_per_packet);
}

void run(uint32_t flows, uint32_t passes, bool ha) {
  test::PipelineHarness h(kBenchConfig, 4 * flows + 1024);  // every mode's flows stay
  dp::WorkerCtx& w = h.worker();
  if (ha) {
    h.set_standby({*parse_ip("198.18.0.99")});  // another instance's address, backup here
    g_events = rte_ring_create_elem("bench_events", sizeof(dp::WorkerMessage),
                                    std::bit_ceil(2 * flows + 1024),
                                    static_cast<int>(rte_socket_id()), RING_F_SP_ENQ | RING_F_SC_DEQ);
    w.from_worker = g_events;
  }
  h.run({});  // publishes the snapshot into the worker and sets its clock
  if (ha) const_cast<dp::Snapshot*>(w.snapshot)->connection_events = true;  // as with ha.sync
  const auto null_forwarder = [&w](rte_mbuf** pkts, uint16_t n) {
    for (uint16_t k = 0; k < n; ++k) w.transmit(pkts[k], 0);
  };
  const auto pipeline = [&w](rte_mbuf** pkts, uint16_t n) {
    dp::process_burst(w, *w.snapshot, pkts, n);
  };

  std::printf(
      "%u established flows per mode, %u passes, burst %u, TSC %.2f GHz; "
      "memory per connection slot: %.0f B (entry %zu B + hash index); IPv6 %.0f B (entry %zu B)\n",
      flows, passes, kBurst, static_cast<double>(rte_get_tsc_hz()) / 1e9,
      bytes_per_connection<dp::ConnTable>(flows, "bench_sizing"), sizeof(dp::Conn),
      bytes_per_connection<dp::ConnTable6>(flows, "bench_sizing6"), sizeof(dp::Conn6));
  std::printf("%-22s %9s %12s %11s\n", "mode", "Mpps/core", "cycles/pkt", "over floor");
  std::vector<std::pair<std::string, Result>> new_connections;
  Result floor{};
  for (const Mode& mode : kModes) {
    const Frames syn =
        make_frames(flows, 0, [&](uint32_t i) { return client_frame(i, mode.vip, 0x02); });
    const Frames ack =
        make_frames(flows, 0, [&](uint32_t i) { return client_frame(i, mode.vip, 0x10); });
    new_connections.emplace_back(mode.name, establish(w, syn));
    if (floor.mpps == 0) {
      floor = measure(w, ack, passes, null_forwarder);
      print("floor (null forwarder)", floor, floor);
    }
    measure(w, ack, 1, pipeline);  // the first ACKs move the state (an event each, with ha)
    drain_events();
    print((std::string(mode.name) + " client->server").c_str(), measure(w, ack, passes, pipeline),
          floor);
    if (mode.replies) {
      print((std::string(mode.name) + " server->client").c_str(),
            measure(w, reply_frames(w, flows, mode.vip), passes, pipeline), floor);
    }
  }
  std::printf("%-22s %9s %12s  (each mode's table filling, wlc over 4 servers)\n",
              "new connections", "M conn/s", "cycles/conn");
  for (const auto& [name, r] : new_connections) {
    std::printf("%-22s %9.2f %12.1f\n", name.c_str(), r.mpps, r.cycles_per_packet);
  }
  std::printf("connections established: %u IPv4, %u IPv6\n", w.conns->size(), w.conns6->size());
  if (ha) {
    std::printf("ha: a standby address, connection events on (%lu dropped to a full ring)\n",
                static_cast<unsigned long>(w.stats.events_dropped.get()));
    w.from_worker = nullptr;
    rte_ring_free(g_events);
    g_events = nullptr;
    return;
  }
  run_handoff(flows, passes, floor);
}

}  // namespace

int main(int argc, char** argv) {
  const uint32_t flows = argc > 1 ? static_cast<uint32_t>(std::atoi(argv[1])) : 1000000;
  const uint32_t passes = argc > 2 ? static_cast<uint32_t>(std::atoi(argv[2])) : 4;
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // each result as soon as it is measured
  test::init_eal_or_die(2048);
  const bool ha = argc > 3 && std::string(argv[3]) == "ha";
  run(flows, passes, ha);  // everything DPDK-backed is gone before EAL is
  test::cleanup_eal();
  return 0;
}
