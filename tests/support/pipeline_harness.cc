#include "tests/support/pipeline_harness.h"

#include <rte_lcore.h>

#include <algorithm>
#include <stdexcept>

#include "common/ip_text.h"
#include "config/load.h"
#include "dataplane/pipeline.h"

namespace sluice::test {

const char* const kFixtureInterfaces = R"(
interfaces:
  - { name: front, device: net_null0, addresses: [198.18.0.1/24] }
  - { name: back, device: net_null1, addresses: [198.18.1.1/24] }
)";

const std::string kFixtureConfig = std::string(kFixtureInterfaces) + R"(connections:
  timeouts: { tcp: 900, tcp_fin: 120, tcp_syn: 60, tcp_close: 10, udp: 300 }
virtual_services:
  - name: web-dr
    address: 198.18.0.10
    ports: [80]
    protocol: tcp
    mode: dr
    scheduler: rr
    real_servers:
      - { address: 198.18.0.21 }
      - { address: 198.18.0.22 }
      - { address: 198.18.0.23 }
  - name: web-nat
    address: 198.18.0.11
    ports: [80]
    protocol: tcp
    mode: nat
    scheduler: rr
    real_servers:
      - { address: 198.18.1.21, port: 8080 }
      - { address: 198.18.1.22, port: 8080 }
      - { address: 198.18.1.23, port: 8080 }
  - name: dns-nat
    address: 198.18.0.11
    ports: [53]
    protocol: udp
    mode: nat
    scheduler: rr
    real_servers:
      - { address: 198.18.1.21, port: 5353 }
      - { address: 198.18.1.22, port: 5353 }
)";

Mac neighbour_mac(const std::string& ip) {
  const IpAddress a = *parse_ip(ip);
  return Mac{{0x02, 0x00, a.bytes[12], a.bytes[13], a.bytes[14], a.bytes[15]}};
}

Outputs::~Outputs() {
  for (auto& list : tx) {
    for (rte_mbuf* m : list) rte_pktmbuf_free(m);
  }
  for (rte_mbuf* m : kernel) rte_pktmbuf_free(m);
}

static config::Config load_or_throw(const std::string& yaml) {
  config::LoadResult r = config::load_string(yaml, "fixture.yaml");
  if (!r.config) {
    std::string text;
    for (const config::Error& e : r.errors) text += e.format() + "\n";
    throw std::invalid_argument(text);
  }
  return std::move(*r.config);
}

PipelineHarness::PipelineHarness(const std::string& yaml, uint32_t capacity, uint16_t workers)
    : cfg_(load_or_throw(yaml)), neighbours_(std::make_unique<control::NeighbourCtl>(slots_, 300)) {
  static int instance = 0;  // names of DPDK objects are process-wide
  const std::string prefix = "fx" + std::to_string(instance++) + "_";
  for (uint16_t id = 0; id < workers; ++id) {
    auto table = dp::ConnTable::create((prefix + "conns_" + std::to_string(id)).c_str(), capacity,
                                       static_cast<int>(rte_socket_id()), 0);
    auto table6 = dp::ConnTable6::create((prefix + "conns6_" + std::to_string(id)).c_str(),
                                         capacity, static_cast<int>(rte_socket_id()), 0);
    if (!table || !table6) throw std::runtime_error("cannot create connection table");
    auto w = std::make_unique<dp::WorkerCtx>();
    w->id = id;
    w->worker_count = workers;
    w->conns = table.get();
    w->conns6 = table6.get();
    tables6_.push_back(std::move(table6));
    w->neighbours = &slots_;
    w->persistence = &persistence_;
    w->interface_count = 2;
    w->interfaces[0] = {0, kFrontMac};
    w->interfaces[1] = {1, kBackMac};
    w->interface_of_port[0] = 0;
    w->interface_of_port[1] = 1;
    w->published = &published_;
    tables_.push_back(std::move(table));
    workers_.push_back(std::move(w));
  }
  for (auto& from : workers_) {
    for (auto& to : workers_) {
      if (from == to) continue;
      const std::string name = prefix + std::to_string(from->id) + "_" + std::to_string(to->id);
      rte_ring* r = rte_ring_create(name.c_str(), 1024, static_cast<int>(rte_socket_id()),
                                    RING_F_SP_ENQ | RING_F_SC_DEQ);
      if (r == nullptr) throw std::runtime_error("cannot create hand-off ring");
      rings_.push_back(r);
      from->handoff_to[to->id] = r;
      to->handoff_from[from->id] = r;
    }
  }
  publish();
}

PipelineHarness::~PipelineHarness() {
  for (rte_ring* r : rings_) {
    rte_mbuf* m = nullptr;
    while (rte_ring_sc_dequeue(r, reinterpret_cast<void**>(&m)) == 0) rte_pktmbuf_free(m);
    rte_ring_free(r);
  }
}

void PipelineHarness::publish() {
  // Every next hop resolves at once, as if its ARP reply were already in.
  const auto slot_for = [this](const control::NextHop& hop) -> std::optional<control::NeighbourSlot> {
    const std::optional<uint16_t> slot = neighbours_->slot_for(hop);
    if (!slot) return std::nullopt;
    neighbours_->learn(hop.interface, hop.address, neighbour_mac(format_ip(hop.address)), 0);
    return control::NeighbourSlot{.slot = *slot, .resolved = true};
  };
  const auto has_connections = [this](uint32_t id) {
    return std::any_of(workers_.begin(), workers_.end(),
                       [id](const auto& w) { return dp::holds_connections(*w, id); });
  };
  control::CompileResult r = control::compile(cfg_, ++generation_, ids_, overrides_, slot_for,
                                              {published_.load(), has_connections}, {},
                                              standby_);
  if (!r) throw std::runtime_error(r.error());
  published_.store(r.value().get());
  snapshots_.push_back(std::move(r).value());
}

void PipelineHarness::set_standby(std::set<IpAddress> standby) {
  standby_ = std::move(standby);
  publish();
}

void PipelineHarness::reload(const std::string& yaml) {
  cfg_ = load_or_throw(yaml);
  publish();
}

void PipelineHarness::set_override(const std::string& vip, uint16_t vip_port,
                                   const std::string& rip, uint16_t rip_port, control::Override o) {
  const auto serves_vip = [&](const config::Listener& l) {
    return l.serves(*parse_ip(vip), vip_port);
  };
  for (const config::VirtualService& vs : cfg_.virtual_services) {
    if (std::none_of(vs.listeners.begin(), vs.listeners.end(), serves_vip)) continue;
    for (const config::RealServer& rs : vs.real_servers) {
      if (rs.address == *parse_ip(rip) && rs.port.value_or(vip_port) == rip_port) {
        overrides_[control::key_of(vs, rs)] = o;
        publish();
        return;
      }
    }
  }
  throw std::invalid_argument("no such real server");
}

namespace {

// What flush_outputs would send to the NICs and the kernel, kept for the test instead.
void collect(dp::WorkerCtx& w, Outputs& out) {
  for (int i = 0; i < 2; ++i) {
    out.tx[i].insert(out.tx[i].end(), w.tx[i].pkts, w.tx[i].pkts + w.tx[i].n);
    out.tx_worker[i].insert(out.tx_worker[i].end(), w.tx[i].n, w.id);
    w.tx[i].n = 0;
  }
  for (dp::PacketBuffer* b : {&w.neighbours_to_kernel, &w.to_kernel}) {
    out.kernel.insert(out.kernel.end(), b->pkts, b->pkts + b->n);
    b->n = 0;
  }
}

}  // namespace

std::unique_ptr<Outputs> PipelineHarness::run(std::vector<rte_mbuf*> in, uint16_t on_worker) {
  for (auto& w : workers_) {
    dp::begin_loop(*w);
    w->now = now_;  // the harness's clock, not the TSC
  }
  dp::WorkerCtx& first = *workers_.at(on_worker);
  dp::process_burst(first, *first.snapshot, in.data(), static_cast<uint16_t>(in.size()));
  auto out = std::make_unique<Outputs>();
  collect(first, *out);
  if (workers_.size() > 1) dp::flush_handoffs(first);
  // As many rounds as workers: an ICMP error about dr/tun may be passed from worker to
  // worker (stages/lb.cc), round the ring of ids.
  for (size_t round = 0; round < workers_.size(); ++round) {
    for (auto& w : workers_) {
      rte_mbuf* pkts[kMaxBurst];
      for (uint16_t from = 0; from < workers_.size(); ++from) {
        while (dp::take_over_from(*w, from, pkts) != 0) {
          collect(*w, *out);
          if (workers_.size() > 1) dp::flush_handoffs(*w);
        }
      }
    }
  }
  // Nothing may still be travelling: a packet passed round for ever would hide here.
  for (rte_ring* r : rings_) {
    if (rte_ring_count(r) != 0) throw std::logic_error("packets left in a hand-off ring");
  }
  return out;
}

uint32_t PipelineHarness::expire() {
  uint32_t expired = 0;
  for (auto& w : workers_) {
    w->now = now_;
    expired += dp::expire_connections(*w, UINT32_MAX);
  }
  return expired;
}

uint64_t PipelineHarness::drops(dp::Drop d) const {
  uint64_t total = 0;
  for (const auto& w : workers_) total += w->stats.drops[static_cast<size_t>(d)].get();
  return total;
}

uint64_t PipelineHarness::total_drops() const {
  uint64_t total = 0;
  for (const auto& w : workers_) {
    for (const auto& c : w->stats.drops) total += c.get();
  }
  return total;
}

}  // namespace sluice::test
