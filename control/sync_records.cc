#include "control/sync_records.h"

#include <rte_byteorder.h>

#include <cstring>

namespace sluice::control {
namespace {

IpAddress address_of(uint32_t wire) { return IpAddress::v4(rte_be_to_cpu_32(wire)); }
IpAddress address_of(const Ip6& wire) {
  IpAddress a;
  std::memcpy(a.bytes.data(), wire.bytes, 16);
  return a;
}
void set_wire(uint32_t& wire, const IpAddress& a) { wire = rte_cpu_to_be_32(a.to_v4()); }
void set_wire(Ip6& wire, const IpAddress& a) { std::memcpy(wire.bytes, a.bytes.data(), 16); }

uint32_t seconds_left(uint32_t expires, uint32_t now) { return expires > now ? expires - now : 0; }

template <class C>
ha::SyncConnection to_sync(const C& c, bool ipv6, uint32_t worker_now, ha::SyncEvent event) {
  return {.family = ipv6 ? ha::Family::v6 : ha::Family::v4,
          .protocol = static_cast<Protocol>(c.protocol),
          .mode = c.mode,
          .tcp_state = static_cast<uint8_t>(c.state),
          .event = event,
          .client_interface = c.client_interface,
          .client_mac = c.client_mac,
          .server_id = c.server_id,
          .seconds_left = seconds_left(c.expires, worker_now),
          .client = address_of(c.client_ip),
          .vip = address_of(c.vip_ip),
          .server = address_of(c.server_ip),
          .backend_source = address_of(c.backend_src_ip),
          .client_port = rte_be_to_cpu_16(c.client_port),
          .vip_port = rte_be_to_cpu_16(c.vip_port),
          .server_port = rte_be_to_cpu_16(c.server_port),
          .backend_source_port = rte_be_to_cpu_16(c.backend_src_port)};
}

template <class C>
void from_sync(const ha::SyncConnection& s, uint32_t server_id, C& c) {
  set_wire(c.client_ip, s.client);
  set_wire(c.vip_ip, s.vip);
  set_wire(c.server_ip, s.server);
  set_wire(c.backend_src_ip, s.backend_source);
  c.client_port = rte_cpu_to_be_16(s.client_port);
  c.vip_port = rte_cpu_to_be_16(s.vip_port);
  c.server_port = rte_cpu_to_be_16(s.server_port);
  c.backend_src_port = rte_cpu_to_be_16(s.backend_source_port);
  c.protocol = static_cast<uint8_t>(s.protocol);
  c.state = static_cast<dp::ConnState>(s.tcp_state);
  c.mode = s.mode;
  c.client_interface = s.client_interface;
  c.live = 1;
  c.persistence_tick = 0;
  c.client_mac = s.client_mac;
  c.server_id = server_id;
  c.expires = s.seconds_left;
}

}  // namespace

ha::SyncConnection sync_record(const dp::ConnRecord& r, uint32_t worker_now, ha::SyncEvent event) {
  return r.ipv6 ? to_sync(r.conn6, true, worker_now, event) : to_sync(r.conn, false, worker_now, event);
}

std::optional<dp::ConnRecord> learnt_record(const ha::SyncConnection& s, uint32_t server_id) {
  // TCP in one of its states, UDP in its own: anything else no worker would know.
  const bool tcp = s.protocol == Protocol::tcp;
  if (tcp ? s.tcp_state > static_cast<uint8_t>(dp::ConnState::close)
          : s.tcp_state != static_cast<uint8_t>(dp::ConnState::udp)) {
    return std::nullopt;
  }
  dp::ConnRecord r;
  r.ipv6 = s.family == ha::Family::v6;
  if (r.ipv6) {
    from_sync(s, server_id, r.conn6);
  } else {
    from_sync(s, server_id, r.conn);
  }
  return r;
}

ha::SyncPersistence sync_record(const dp::PersistenceTable::Entry& e, uint32_t worker_now) {
  return {.family = ha::Family::v4, .service = e.service, .client = e.client,
          .server_id = e.server_id, .seconds_left = seconds_left(e.expires, worker_now)};
}

dp::PersistenceTable::Entry learnt_entry(const ha::SyncPersistence& s, uint32_t server_id) {
  return {.service = s.service, .client = s.client, .server_id = server_id,
          .expires = s.seconds_left};
}

}  // namespace sluice::control
