// HA sync throughput, each side of it apart, one core each:
//   write    the master's control thread turning connections into signed datagrams
//   read     the backup's control thread checking datagrams and turning their records into
//            connections to insert (parse_sync with its HMAC, learnt_record)
//   absorb   a backup worker inserting learnt connections through its control ring while it
//            forwards established traffic: learnt connections per second and the Mpps left
//
//   sync_perf [connections=1000000]
#include <rte_cycles.h>
#include <rte_ring_elem.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "control/ha/sync_packet.h"
#include "control/sync_records.h"
#include "dataplane/control_channel.h"
#include "dataplane/pipeline.h"
#include "tests/support/eal_env.h"
#include "tests/support/packet_builder.h"
#include "tests/support/pipeline_harness.h"

namespace {

using namespace sluice;
namespace ha = sluice::control::ha;

const std::vector<uint8_t> kKey(32, 'k');

double seconds_since(uint64_t start) {
  return static_cast<double>(rte_rdtsc() - start) / static_cast<double>(rte_get_tsc_hz());
}

// A nat connection of client number i, as a worker would report it.
ha::SyncConnection connection(uint32_t i) {
  return {.family = ha::Family::v4, .protocol = Protocol::tcp, .mode = Mode::nat,
          .tcp_state = static_cast<uint8_t>(dp::ConnState::established),
          .event = ha::SyncEvent::updated, .client_interface = 0, .client_mac = {},
          .server_id = i % 3, .seconds_left = 900,
          .client = IpAddress::v4(0xc6130000 + (i >> 14)), .vip = IpAddress::v4(0xc612000b),
          .server = IpAddress::v4(0xc6120115 + i % 3), .backend_source = IpAddress::v4(0xc6130000 + (i >> 14)),
          .client_port = static_cast<uint16_t>(1024 + (i & 0x3fff)), .vip_port = 80,
          .server_port = 8080, .backend_source_port = static_cast<uint16_t>(1024 + (i & 0x3fff))};
}

std::vector<std::vector<uint8_t>> write(uint32_t count) {
  ha::SyncWriter w(kKey, 1);
  std::vector<std::vector<uint8_t>> datagrams;
  const uint64_t start = rte_rdtsc();
  for (uint32_t i = 0; i < count; ++i) {
    const ha::SyncConnection c = connection(i);
    if (!w.add(c)) {
      datagrams.push_back(w.seal());
      w.add(c);
    }
  }
  datagrams.push_back(w.seal());
  const double s = seconds_since(start);
  std::printf("%-8s %10.2f M records/s  %8.0f datagrams/s  (%zu datagrams of up to %zu bytes)\n",
              "write", count / s / 1e6, datagrams.size() / s, datagrams.size(), ha::kSyncDatagram);
  return datagrams;
}

std::vector<dp::ConnRecord> read(const std::vector<std::vector<uint8_t>>& datagrams) {
  ha::ReplayState replay;
  std::vector<dp::ConnRecord> records;
  const uint64_t start = rte_rdtsc();
  for (const auto& d : datagrams) {
    const ha::ParsedSync p = ha::parse_sync(d, kKey, replay);
    if (!p.message) std::abort();
    for (const ha::SyncConnection& c : p.message->connections) {
      records.push_back(*control::learnt_record(c, c.server_id));
    }
  }
  const double s = seconds_since(start);
  std::printf("%-8s %10.2f M records/s  %8.0f datagrams/s\n", "read", records.size() / s / 1e6,
              datagrams.size() / s);
  return records;
}

// The worker's loop as the appliance runs it: a burst of established traffic, then what its
// control ring holds (at most 64 inserts a loop); the control thread keeps the ring full.
void absorb(const std::vector<dp::ConnRecord>& records) {
  test::PipelineHarness h(test::kFixtureConfig, static_cast<uint32_t>(records.size()) + 4096);
  dp::WorkerCtx& w = h.worker();
  rte_ring* ring = rte_ring_create_elem("bench_to_worker", sizeof(dp::ControlMessage),
                                        dp::kToWorkerRingSize, SOCKET_ID_ANY,
                                        RING_F_SP_ENQ | RING_F_SC_DEQ);
  w.to_worker = ring;
  h.run({});
  // 32 established DR flows to forward, one burst's worth.
  for (uint16_t i = 0; i < 32; ++i) h.run_one(test::to_mbuf(test::build(test::client_to("198.18.0.10", 80, 40000 + i)), 0));
  std::vector<std::vector<uint8_t>> frames;
  for (uint16_t i = 0; i < 32; ++i) {
    frames.push_back(test::build(test::client_to("198.18.0.10", 80, 40000 + i, 0x10)));
  }
  size_t next = 0;
  uint64_t packets = 0;
  const uint64_t start = rte_rdtsc();
  while (w.conns->size() < records.size() + 32 && next <= records.size()) {
    while (next < records.size()) {
      dp::ControlMessage m{.type = dp::ToWorker::insert_connection, .request = 0, .limit = 0,
                           .record = records[next]};
      if (rte_ring_sp_enqueue_elem(ring, &m, sizeof m) != 0) break;
      ++next;
    }
    rte_mbuf* pkts[32];
    for (uint16_t i = 0; i < 32; ++i) pkts[i] = test::to_mbuf(frames[i], 0);
    dp::process_burst(w, *w.snapshot, pkts, 32);
    for (dp::PacketBuffer& out : w.tx) {  // no NIC here: what would leave is freed
      rte_pktmbuf_free_bulk(out.pkts, out.n);
      out.n = 0;
    }
    packets += 32;
    if (dp::serve_control_messages(w) == 0 && next == records.size()) break;
  }
  const double s = seconds_since(start);
  std::printf("%-8s %10.2f M learnt/s   while forwarding %.2f Mpps (%u connections in the table; "
              "each frame copied into an mbuf first)\n",
              "absorb", (w.conns->size() - 32) / s / 1e6, packets / s / 1e6, w.conns->size());
  w.to_worker = nullptr;
  rte_ring_free(ring);
}

}  // namespace

int main(int argc, char** argv) {
  const uint32_t count = argc > 1 ? static_cast<uint32_t>(std::atoi(argv[1])) : 1000000;
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  test::init_eal_or_die(2048);
  const auto datagrams = write(count);
  const auto records = read(datagrams);
  absorb(records);
  test::cleanup_eal();
  return 0;
}
