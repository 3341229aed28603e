#include "dataplane/stages/stages.h"

#include <rte_arp.h>
#include <rte_ether.h>

#include <cstring>

#include "dataplane/packet_meta.h"

namespace sluice::dp::stages {
namespace {

bool is_ipv4_request(const rte_arp_hdr& a) {
  return a.arp_hardware == RTE_BE16(RTE_ARP_HRD_ETHER) &&
         a.arp_protocol == RTE_BE16(RTE_ETHER_TYPE_IPV4) && a.arp_hlen == RTE_ETHER_ADDR_LEN &&
         a.arp_plen == 4 && a.arp_opcode == RTE_BE16(RTE_ARP_OP_REQUEST);
}

// Turns the request into the reply in place: no allocation, one write per field.
void make_reply(rte_ether_hdr& eth, rte_arp_hdr& a, const Mac& ours) {
  rte_arp_ipv4& body = a.arp_data;
  const uint32_t asked_for = body.arp_tip;
  body.arp_tha = body.arp_sha;
  body.arp_tip = body.arp_sip;
  std::memcpy(body.arp_sha.addr_bytes, ours.bytes, 6);
  body.arp_sip = asked_for;
  a.arp_opcode = RTE_BE16(RTE_ARP_OP_REPLY);
  eth.dst_addr = eth.src_addr;
  std::memcpy(eth.src_addr.addr_bytes, ours.bytes, 6);
}

}  // namespace

void arp(WorkerCtx& w, const Snapshot& snap, const PacketList& in, Arrival) {
  for (uint16_t i = 0; i < in.n; ++i) {
    rte_mbuf* m = in.pkts[i];
    auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
    auto* a = reinterpret_cast<rte_arp_hdr*>(eth + 1);
    if (is_ipv4_request(*a) && snap.vips.is_vip_address(rte_be_to_cpu_32(a->arp_data.arp_tip))) {
      const uint8_t interface = meta_of(m).interface;
      make_reply(*eth, *a, w.interfaces[interface].mac);
      w.transmit(m, interface);
    } else {
      w.send_to_kernel(m);
    }
  }
}

}  // namespace sluice::dp::stages
