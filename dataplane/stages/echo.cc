#include <rte_icmp.h>
#include <rte_ip.h>

#include <cstring>

#include "dataplane/icmp.h"
#include "dataplane/packet_meta.h"
#include "dataplane/stages/stages.h"

namespace sluice::dp::stages {
namespace {

// Echo replies a worker sends per second: operators' pings and monitoring probes of every VIP
// fit many times over; a ping flood costs at most this much transmit.
constexpr uint32_t kEchoRepliesPerSecond = 10000;

void turn_around(rte_ether_hdr& eth, const Mac& ours) {
  std::memcpy(eth.dst_addr.addr_bytes, eth.src_addr.addr_bytes, 6);
  std::memcpy(eth.src_addr.addr_bytes, ours.bytes, 6);
}

// In place: the request's addresses swapped, type echo reply, checksums recomputed (the
// message is at most an MTU, and replies are rate-limited).
void reply_v4(rte_mbuf* m, const PacketMeta& meta, const Mac& ours) {
  auto* ip = rte_pktmbuf_mtod_offset(m, rte_ipv4_hdr*, meta.l3_offset);
  const rte_be32_t sender = ip->src_addr;
  ip->src_addr = ip->dst_addr;
  ip->dst_addr = sender;
  ip->time_to_live = 64;
  ip->hdr_checksum = ipv4_header_checksum(*ip);
  auto* icmp = rte_pktmbuf_mtod_offset(m, rte_icmp_hdr*, meta.l4_offset);
  const uint32_t length = rte_be_to_cpu_16(ip->total_length) - (meta.l4_offset - meta.l3_offset);
  icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
  icmp->icmp_cksum = 0;
  icmp->icmp_cksum = static_cast<rte_be16_t>(~rte_raw_cksum(icmp, length));
  turn_around(*rte_pktmbuf_mtod(m, rte_ether_hdr*), ours);
}

void reply_v6(rte_mbuf* m, const PacketMeta& meta, const Mac& ours) {
  auto* ip = rte_pktmbuf_mtod_offset(m, rte_ipv6_hdr*, meta.l3_offset);
  uint8_t sender[16];
  std::memcpy(sender, ip->src_addr, 16);
  std::memcpy(ip->src_addr, ip->dst_addr, 16);
  std::memcpy(ip->dst_addr, sender, 16);
  ip->hop_limits = 64;
  auto* icmp = rte_pktmbuf_mtod_offset(m, uint8_t*, meta.l4_offset);
  const uint32_t length = rte_be_to_cpu_16(ip->payload_len);
  icmp[0] = kIcmp6EchoReply;
  std::memset(icmp + 2, 0, 2);
  const uint16_t sum = icmp6_checksum(*ip, icmp, length);
  std::memcpy(icmp + 2, &sum, 2);
  turn_around(*rte_pktmbuf_mtod(m, rte_ether_hdr*), ours);
}

}  // namespace

// Echo requests to a virtual service address (parse checked the whole message and its
// checksum): answered from the VIP, as the operators of the appliances sluice replaces expect
// when they ping a VIP to test it. The kernel cannot: VIPs are not its addresses.
void echo(WorkerCtx& w, const Snapshot&, const PacketList& in, Arrival) {
  for (uint16_t i = 0; i < in.n; ++i) {
    rte_mbuf* m = in.pkts[i];
    if (!w.echo_budget.take(w.now, kEchoRepliesPerSecond)) {
      w.drop(m, Drop::echo_rate_limited);
      continue;
    }
    const PacketMeta& meta = meta_of(m);
    const Mac& ours = w.interfaces[meta.interface].mac;
    if (rte_pktmbuf_mtod(m, const rte_ether_hdr*)->ether_type == RTE_BE16(RTE_ETHER_TYPE_IPV6)) {
      reply_v6(m, meta, ours);
    } else {
      reply_v4(m, meta, ours);
    }
    w.stats.echo_replied.add(1);
    w.transmit(m, meta.interface);
  }
}

}  // namespace sluice::dp::stages
