#include "tests/support/pipeline_harness.h"

#include <rte_lcore.h>

#include <algorithm>
#include <stdexcept>

#include "config/ipv4.h"
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

dp::Mac neighbour_mac(const std::string& ip) {
  const config::Ipv4 a = *config::parse_ipv4(ip);
  return dp::Mac{{0x02, 0x00, static_cast<uint8_t>(a >> 24), static_cast<uint8_t>(a >> 16),
                  static_cast<uint8_t>(a >> 8), static_cast<uint8_t>(a)}};
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

PipelineHarness::PipelineHarness(const std::string& yaml, uint32_t capacity)
    : cfg_(load_or_throw(yaml)),
      neighbours_(std::make_unique<control::NeighbourCtl>(slots_, 300)),
      w_(std::make_unique<dp::WorkerCtx>()) {
  static int tables = 0;
  table_ = dp::ConnTable::create(("fixture_conns_" + std::to_string(tables++)).c_str(), capacity,
                                 static_cast<int>(rte_socket_id()), 0);
  if (!table_) throw std::runtime_error("cannot create connection table");
  w_->conns = table_.get();
  w_->neighbours = &slots_;
  w_->persistence = &persistence_;
  w_->interface_count = 2;
  w_->interfaces[0] = {0, kFrontMac};
  w_->interfaces[1] = {1, kBackMac};
  w_->interface_of_port[0] = 0;
  w_->interface_of_port[1] = 1;
  w_->published = &published_;
  publish();
}

PipelineHarness::~PipelineHarness() = default;

void PipelineHarness::publish() {
  const auto slot_for = [this](const config::NextHop& hop) { return neighbours_->slot_for(hop); };
  config::CompileResult r = config::compile(cfg_, ++generation_, ids_, overrides_, slot_for);
  if (!r.snapshot) throw std::runtime_error(r.error);
  // Resolve every next hop, as ARP replies would.
  for (const auto& e : neighbours_->entries()) {
    if (!e.in_use) continue;
    neighbours_->learn(e.hop.interface, e.hop.address,
                       neighbour_mac(config::format_ipv4(e.hop.address)), 0);
  }
  published_.store(r.snapshot.get());
  snapshots_.push_back(std::move(r.snapshot));
}

void PipelineHarness::reload(const std::string& yaml) {
  cfg_ = load_or_throw(yaml);
  publish();
}

void PipelineHarness::set_override(const std::string& vip, uint16_t vip_port,
                                   const std::string& rip, uint16_t rip_port, config::Override o) {
  const auto serves_vip = [&](const config::Listener& l) {
    return l.serves(*config::parse_ipv4(vip), vip_port);
  };
  for (const config::VirtualService& vs : cfg_.virtual_services) {
    if (std::none_of(vs.listeners.begin(), vs.listeners.end(), serves_vip)) continue;
    for (const config::RealServer& rs : vs.real_servers) {
      if (rs.address == *config::parse_ipv4(rip) && rs.port.value_or(vip_port) == rip_port) {
        overrides_[config::key_of(vs, rs)] = o;
        publish();
        return;
      }
    }
  }
  throw std::invalid_argument("no such real server");
}

std::unique_ptr<Outputs> PipelineHarness::run(std::vector<rte_mbuf*> in) {
  dp::begin_loop(*w_);
  w_->now = now_;  // the harness's clock, not the TSC
  dp::process_burst(*w_, *w_->snapshot, in.data(), static_cast<uint16_t>(in.size()));
  auto out = std::make_unique<Outputs>();
  for (int i = 0; i < 2; ++i) {
    out->tx[i].assign(w_->tx[i].pkts, w_->tx[i].pkts + w_->tx[i].n);
    w_->tx[i].n = 0;
  }
  out->kernel.assign(w_->to_kernel.pkts, w_->to_kernel.pkts + w_->to_kernel.n);
  w_->to_kernel.n = 0;
  return out;
}

uint64_t PipelineHarness::total_drops() const {
  uint64_t total = 0;
  for (const auto& c : w_->stats.drops) total += c.get();
  return total;
}

}  // namespace sluice::test
