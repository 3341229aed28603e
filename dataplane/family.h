// What differs between IPv4 and IPv6 on the load-balancing path, in one place, so that one
// lb stage (a template over V4 or V6) serves both: header layout, the connection and VIP
// tables of the family, and the rewrites. Each family keeps its own tables, so IPv4 keys stay
// 16 bytes and IPv4 connections 52 (IPv6: 40 and 100).
#pragma once

#include <rte_ip.h>

#include <cstring>

#include "dataplane/conn_table.h"
#include "dataplane/icmp.h"
#include "dataplane/packet_meta.h"
#include "dataplane/rewrite.h"
#include "dataplane/snapshot.h"
#include "dataplane/worker.h"

namespace sluice::dp {

struct V4 {
  using Addr = uint32_t;
  using Header = rte_ipv4_hdr;
  using Key = FlowKey;
  using Conn = dp::Conn;
  using Table = ConnTable;

  static constexpr uint16_t kTunnelHeader = sizeof(rte_ipv4_hdr);

  static const Key& key(const PacketMeta& meta) { return meta.key; }
  static Table& table(WorkerCtx& w) { return *w.conns; }
  static const VipTable& vips(const Snapshot& s) { return s.vips; }
  // The VIP table's form of an address from a header (host order).
  static uint32_t vip_form(Addr wire) { return rte_be_to_cpu_32(wire); }
  // What schedulers and persistence hash: the address itself (host order).
  static uint32_t fold(Addr wire) { return rte_be_to_cpu_32(wire); }
  // The persistence entry's client: the address under the service's netmask.
  static uint32_t persistence_group(Addr wire, const VirtualServiceEntry& service) {
    return fold(wire) & service.persistence_mask;
  }
  static Addr wire(const IpAddress& a) { return wire_v4(a); }
  static Addr pool(const Snapshot& s, uint32_t i) { return s.snat_pool[i]; }

  static uint16_t packet_length(const Header& ip) { return rte_be_to_cpu_16(ip.total_length); }
  static bool decrement_ttl(Header& ip) { return dp::decrement_ttl(ip); }
  static void rewrite_destination(Header& ip, void* l4, Addr a, uint16_t port) {
    nat_rewrite_destination(ip, l4, a, port);
  }
  static void rewrite_source(Header& ip, void* l4, Addr a, uint16_t port) {
    nat_rewrite_source(ip, l4, a, port);
  }
  static bool encapsulate(WorkerCtx& w, const Snapshot&, const Conn& c, const ServerFate& way,
                          rte_mbuf* m) {
    return encapsulate_ipip(m, meta_of(m).l3_offset, way.tunnel_source, c.server_ip,
                            w.next_ip_id++);
  }

  // ICMP: a sender that set DF learns the MTU; without DF sluice just drops (no fragmenting).
  static bool may_answer_too_big(const Header& ip) {
    return (ip.fragment_offset & RTE_BE16(RTE_IPV4_HDR_DF_FLAG)) != 0;
  }
  static bool answer_too_big(WorkerCtx& w, rte_mbuf* m, uint16_t l3, uint16_t mtu,
                             const Mac& ours) {
    return make_fragmentation_needed(m, l3, mtu, ours, w.next_ip_id++);
  }
  static bool answer_unreachable(WorkerCtx& w, rte_mbuf* m, uint16_t l3, const Mac& ours) {
    return make_port_unreachable(m, l3, ours, w.next_ip_id++);
  }
  static Addr source(const Header& ip) { return ip.src_addr; }
  static void translate_error(Header& outer, uint16_t icmp_length, Header& quoted, Addr outer_src,
                              Addr outer_dst, Endpoint quoted_src, Endpoint quoted_dst) {
    translate_icmp_error(outer, icmp_length, quoted, outer_src, outer_dst, quoted_src, quoted_dst);
  }
};

struct V6 {
  using Addr = Ip6;
  using Header = rte_ipv6_hdr;
  using Key = FlowKey6;
  using Conn = Conn6;
  using Table = ConnTable6;

  static constexpr uint16_t kTunnelHeader = sizeof(rte_ipv6_hdr);

  static const Key& key(const PacketMeta& meta) { return meta.key6; }
  static Table& table(WorkerCtx& w) { return *w.conns6; }
  static const VipTable6& vips(const Snapshot& s) { return s.vips6; }
  static const Addr& vip_form(const Addr& wire) { return wire; }
  // Schedulers and persistence take 32 bits: the address folded (FNV-1a), so every bit
  // counts; an IPv6 client persists per address.
  static uint32_t fold(const Addr& a) {
    uint32_t h = 2166136261u;
    for (uint8_t b : a.bytes) h = (h ^ b) * 16777619u;
    return h;
  }
  // The persistence entry's client: the digest of the address's first persistence_prefix6
  // bits (ipvsadm -M 64 groups a /64).
  static uint32_t persistence_group(const Addr& a, const VirtualServiceEntry& service) {
    Addr masked{};
    const uint32_t bits = service.persistence_prefix6;
    std::memcpy(masked.bytes, a.bytes, bits / 8);
    if (bits % 8 != 0) {
      masked.bytes[bits / 8] = static_cast<uint8_t>(a.bytes[bits / 8] & (0xff00 >> (bits % 8)));
    }
    return fold(masked);
  }
  static Addr wire(const IpAddress& a) { return wire_v6(a); }
  static Addr pool(const Snapshot& s, uint32_t i) { return s.snat_pool6[i]; }

  static uint16_t packet_length(const Header& ip) {
    return static_cast<uint16_t>(rte_be_to_cpu_16(ip.payload_len) + sizeof(Header));
  }
  static bool decrement_ttl(Header& ip) { return decrement_hop_limit(ip); }
  static void rewrite_destination(Header& ip, void* l4, const Addr& a, uint16_t port) {
    nat_rewrite_destination(ip, l4, a.bytes, port);
  }
  static void rewrite_source(Header& ip, void* l4, const Addr& a, uint16_t port) {
    nat_rewrite_source(ip, l4, a.bytes, port);
  }
  static bool encapsulate(WorkerCtx&, const Snapshot& snap, const Conn& c, const ServerFate&,
                          rte_mbuf* m) {
    return encapsulate_ip6ip6(m, meta_of(m).l3_offset, snap.tunnel_source6_by_id[c.server_id].bytes,
                              c.server_ip.bytes);
  }

  // IPv6 routers never fragment: every sender learns the MTU.
  static bool may_answer_too_big(const Header&) { return true; }
  static bool answer_too_big(WorkerCtx&, rte_mbuf* m, uint16_t l3, uint16_t mtu, const Mac& ours) {
    return make_packet_too_big(m, l3, mtu, ours);
  }
  static bool answer_unreachable(WorkerCtx&, rte_mbuf* m, uint16_t l3, const Mac& ours) {
    return make_port_unreachable6(m, l3, ours);
  }
  static Addr source(const Header& ip) {
    Addr a;
    std::memcpy(a.bytes, ip.src_addr, 16);
    return a;
  }
  static void translate_error(Header& outer, uint16_t icmp_length, Header& quoted,
                              const Addr& outer_src, const Addr& outer_dst, Endpoint6 quoted_src,
                              Endpoint6 quoted_dst) {
    translate_icmp6_error(outer, icmp_length, quoted, outer_src, outer_dst, quoted_src, quoted_dst);
  }
};

}  // namespace sluice::dp
