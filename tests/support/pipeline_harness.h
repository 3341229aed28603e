// Drives the real worker pipeline (dataplane/pipeline.cc) on mbufs, without NICs: a worker
// context wired to two pretend interfaces, a snapshot compiled from YAML exactly as the
// daemon compiles it, and the outputs collected per interface, per kernel path and per drop.
#pragma once

#include <netinet/in.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "control/compile/compile.h"
#include "control/neighbour_ctl.h"
#include "dataplane/drop_reasons.h"
#include "dataplane/worker.h"
#include "tests/support/packet_builder.h"

namespace sluice::test {

// The two interfaces of every fixture: a config is kFixtureInterfaces + its services.
extern const char* const kFixtureInterfaces;

// Two interfaces: 0 "front" 198.18.0.1/24 (clients, DR servers), 1 "back" 198.18.1.1/24.
// Services: web-dr 198.18.0.10:80/tcp dr rr (.21 .22 .23), web-nat 198.18.0.11:80/tcp nat rr
// (198.18.1.21-23:8080), dns-nat 198.18.0.11:53/udp nat rr (198.18.1.21-22:5353).
extern const std::string kFixtureConfig;

inline const Mac kFrontMac{{0x02, 0, 0, 0, 0xf0, 0x00}};
inline const Mac kBackMac{{0x02, 0, 0, 0, 0xf1, 0x00}};
inline const Mac kClientMac{{0x02, 0, 0, 0, 0, 0x01}};

// A client's SYN (or `flags`) to a virtual service, as it arrives on the front interface.
inline Frame client_to(const std::string& vip, uint16_t port, uint16_t src_port = 40000,
                       uint8_t flags = 0x02, uint8_t protocol = IPPROTO_TCP) {
  Frame f;
  f.dst_ip = vip;
  f.dst_port = port;
  f.src_port = src_port;
  f.tcp_flags = flags;
  f.protocol = protocol;
  f.dst_mac = kFrontMac;
  return f;
}

// A packet an ICMP error quotes: what travelled from `src`:`sport` to `dst`:`dport`, an
// ACK with 40 bytes of data (either family, as the addresses say).
inline Frame quoting(const std::string& src, uint16_t sport, const std::string& dst, uint16_t dport,
                     uint8_t protocol = IPPROTO_TCP) {
  Frame q;
  q.src_ip = src;
  q.src_port = sport;
  q.dst_ip = dst;
  q.dst_port = dport;
  q.protocol = protocol;
  q.tcp_flags = 0x10;
  q.payload.assign(40, 'x');
  return q;
}

// The MAC the harness "resolves" for a next hop: 02:00:c6:12:x:y from its address.
Mac neighbour_mac(const std::string& ip);

// A packet from a host on the back interface (a real server, a router) to `to`:`to_port`,
// from port `from_port`: a real server's reply (SYN+ACK, or `flags`) as sluice receives it.
inline Frame from_server(const std::string& from, const std::string& to, uint16_t to_port,
                         uint8_t flags = 0x12, uint16_t from_port = 8080) {
  Frame r;
  r.src_ip = from;
  r.src_port = from_port;
  r.dst_ip = to;
  r.dst_port = to_port;
  r.tcp_flags = flags;
  r.src_mac = neighbour_mac(from);
  r.dst_mac = kBackMac;
  return r;
}

struct Outputs {
  std::vector<rte_mbuf*> tx[2];  // per interface
  std::vector<rte_mbuf*> kernel;
  std::vector<uint16_t> tx_worker[2];  // which worker sent tx[i][k]
  ~Outputs();
};

// With several workers, each has its own connection table and they share the persistence
// table and hand-off rings, as in the daemon. A run is one burst on one worker, then every
// worker takes over what was handed to it, as their loops would.
class PipelineHarness {
 public:
  explicit PipelineHarness(const std::string& yaml = kFixtureConfig, uint32_t capacity = 4096,
                           uint16_t workers = 1);
  ~PipelineHarness();

  // Compiles and publishes a new snapshot (as a reload does), keeping ids and overrides.
  void reload(const std::string& yaml);
  void set_override(const std::string& vip, uint16_t vip_port, const std::string& rip,
                    uint16_t rip_port, control::Override o);
  // Publishes with these floating addresses standby (their HA instance backup here).
  void set_standby(std::set<IpAddress> standby);
  // Runs one burst on a worker and returns what came out of all of them.
  std::unique_ptr<Outputs> run(std::vector<rte_mbuf*> in, uint16_t on_worker = 0);
  std::unique_ptr<Outputs> run_one(rte_mbuf* m, uint16_t on_worker = 0) {
    return run({m}, on_worker);
  }

  // The worker clock (seconds) the next run() sees; connection expiry is driven by it.
  void set_now(uint32_t seconds) { now_ = seconds; }
  uint32_t expire();

  // Summed over all workers.
  uint64_t drops(dp::Drop d) const;
  uint64_t total_drops() const;
  dp::WorkerCtx& worker(uint16_t id = 0) { return *workers_[id]; }
  control::NeighbourCtl& neighbours() { return *neighbours_; }
  const config::Config& config() const { return cfg_; }

 private:
  void publish();

  config::Config cfg_;
  control::ServerIds ids_;
  control::Overrides overrides_;
  std::set<IpAddress> standby_;
  uint64_t generation_ = 0;
  uint32_t now_ = 1;
  dp::NeighbourSlots slots_;
  dp::PersistenceTable persistence_;
  std::unique_ptr<control::NeighbourCtl> neighbours_;
  std::vector<std::unique_ptr<const dp::Snapshot>> snapshots_;  // kept alive: no RCU here
  std::atomic<const dp::Snapshot*> published_{nullptr};
  std::vector<std::unique_ptr<dp::ConnTable>> tables_;
  std::vector<std::unique_ptr<dp::ConnTable6>> tables6_;
  std::vector<std::unique_ptr<dp::WorkerCtx>> workers_;
  std::vector<rte_ring*> rings_;
};

}  // namespace sluice::test
