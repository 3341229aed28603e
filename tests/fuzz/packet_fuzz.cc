// libFuzzer target: frames through the real pipeline (parse, arp, nd, lb and its steps) on the
// fixture harness, with connections of every mode and both families present and two workers,
// so hand-offs run too. An input is a sequence of records:
//   byte 0     bit 0: worker; bit 1: arrives on the back interface (the servers' side);
//              bit 2: raw (the bytes are the frame) else patched (the bytes overwrite a
//              well-formed frame of a live connection, from offset byte 1); bits 3-5: which
//              template; bit 6: the clock moves a second and connections may expire
//   byte 1     patch offset (patched) / unused (raw)
//   bytes 2-3  length of what follows (little endian), cut to what is left
// Run: scripts/fuzz (docs/performance.md).
#include <rte_mbuf.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/eal_env.h"
#include "tests/support/packet_builder.h"
#include "tests/support/pipeline_harness.h"

namespace {

using namespace sluice::test;

const std::string kConfig = R"(
interfaces:
  - { name: front, device: net_null0, addresses: [198.18.0.1/24, "2001:db8::1/64"] }
  - { name: back, device: net_null1, addresses: [198.18.1.1/24, "2001:db8:1::1/64"] }
virtual_services:
  - { name: dr4, address: 198.18.0.10, ports: [80], protocol: tcp, mode: dr,
      real_servers: [{ address: 198.18.0.21 }] }
  - { name: nat4, address: 198.18.0.11, ports: [80, 53], protocol: both, mode: nat,
      persistence: { timeout: 60 }, real_servers: [{ address: 198.18.1.21, port: 8080 }] }
  - { name: snat4, address: 198.18.0.12, ports: [80], protocol: tcp, mode: snat,
      snat_pool: [198.18.1.5], real_servers: [{ address: 198.18.1.22, port: 8080 }] }
  - { name: tun4, address: 198.18.0.13, ports: [80], protocol: tcp, mode: tun,
      real_servers: [{ address: 198.18.0.23 }] }
  - { name: nat6, address: "2001:db8::11", ports: [80], protocol: tcp, mode: nat,
      real_servers: [{ address: "2001:db8:1::21", port: 8080 }] }
  - { name: snat6, address: "2001:db8::12", ports: [80], protocol: udp, mode: snat,
      snat_pool: ["2001:db8:1::5"], real_servers: [{ address: "2001:db8:1::22", port: 8080 }] }
  - { name: dr6, address: "2001:db8::10", ports: [80], protocol: tcp, mode: dr,
      real_servers: [{ address: "2001:db8::21" }] }
)";

struct Template {
  std::vector<uint8_t> bytes;
  uint16_t port;  // 0 front, 1 back
};

PipelineHarness* harness = nullptr;
std::vector<Template> templates;
uint32_t now = 1;

Frame v6(Frame f) {
  f.src_ip = "2001:db8::2";
  return f;
}

// Frames of connections the harness holds, both directions, and an ICMP error about one.
void make_templates() {
  const Frame to_nat = client_to("198.18.0.11", 80, 40000, 0x10);
  templates = {
      {build(client_to("198.18.0.10", 80, 40000, 0x10)), 0},
      {build(to_nat), 0},
      {build(from_server("198.18.1.21", "198.18.0.2", 40000, 0x10)), 1},
      {build(client_to("198.18.0.12", 80, 40002, 0x10)), 0},
      {build(client_to("198.18.0.13", 80, 40004, 0x10)), 0},
      {build(v6(client_to("2001:db8::11", 80, 40006, 0x10))), 0},
      {build_icmp_error(from_server("198.18.1.21", "198.18.0.2", 40000), 3, 4,
                        quoting("198.18.0.2", 40000, "198.18.1.21", 8080), 1400),
       1},
      {build_arp_request(kClientMac, "198.18.0.2", "198.18.0.11"), 0},
  };
}

// The SYNs of the templates' connections (a worker that does not own one hands it over).
void open_connections() {
  for (uint16_t port : {40000, 40002, 40004}) {
    for (const char* vip : {"198.18.0.10", "198.18.0.11", "198.18.0.12", "198.18.0.13"}) {
      harness->run_one(to_mbuf(build(client_to(vip, 80, port)), 0));
    }
  }
  harness->run_one(to_mbuf(build(v6(client_to("2001:db8::11", 80, 40006))), 0));
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  init_eal_or_die(512);
  harness = new PipelineHarness(kConfig, 4096, 2);
  make_templates();
  open_connections();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  size_t at = 0;
  while (at + 4 <= size) {
    const uint8_t control = data[at];
    const uint8_t offset = data[at + 1];
    const size_t length = std::min<size_t>(data[at + 2] | data[at + 3] << 8, size - at - 4);
    const uint8_t* bytes = data + at + 4;
    at += 4 + length;
    if (control & 0x40) {
      harness->set_now(++now);
      harness->expire();
      if (now % 64 == 0) open_connections();  // keep connections present
    }
    std::vector<uint8_t> frame;
    uint16_t port = (control & 2) ? 1 : 0;
    if (control & 4) {
      frame.assign(bytes, bytes + length);
    } else {
      const Template& t = templates[(control >> 3) % templates.size()];
      frame = t.bytes;
      port = t.port;
      for (size_t i = 0; i < length && offset + i < frame.size(); ++i) frame[offset + i] = bytes[i];
    }
    // One segment, as the test pool's mbufs hold (what a NIC hands over is bounded too).
    if (frame.empty() || frame.size() > RTE_MBUF_DEFAULT_DATAROOM) continue;
    harness->run_one(to_mbuf(frame, port), control & 1);
  }
  return 0;
}
