// The configuration as the operator wrote it, after parsing and validation.
// Plain values only: no DPDK types, so the parser, validator and their tests build without EAL.
// Thread safety: built and read by the control thread only; workers see the compiled snapshot.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace sluice::config {

// An IPv4 address in host byte order.
using Ipv4 = uint32_t;

// An IPv4 or IPv6 address. IPv4 is held as an IPv4-mapped IPv6 address (::ffff:a.b.c.d,
// RFC 4291 2.5.5.2), so one type orders, hashes and masks both families alike; the family
// shows in is_v4(). Bytes in network order.
struct IpAddress {
  std::array<uint8_t, 16> bytes{};

  static IpAddress v4(Ipv4 host_order) {
    IpAddress a;
    a.bytes[10] = a.bytes[11] = 0xff;
    for (int i = 0; i < 4; ++i) a.bytes[12 + i] = static_cast<uint8_t>(host_order >> (24 - 8 * i));
    return a;
  }
  bool is_v4() const {
    for (int i = 0; i < 10; ++i) {
      if (bytes[i] != 0) return false;
    }
    return bytes[10] == 0xff && bytes[11] == 0xff;
  }
  Ipv4 to_v4() const {  // host order; meaningful when is_v4()
    return Ipv4{bytes[12]} << 24 | Ipv4{bytes[13]} << 16 | Ipv4{bytes[14]} << 8 | bytes[15];
  }
  // Prefix lengths as the family counts them (0..32 or 0..128).
  int bits() const { return is_v4() ? 32 : 128; }
  // The first `length` bits of the family's address kept, the rest zero.
  IpAddress masked(int length) const {
    IpAddress m = *this;
    const int from = (is_v4() ? 96 : 0) + length;  // bit index in the 128-bit form
    for (int bit = from; bit < 128; ++bit)
      m.bytes[bit / 8] &= static_cast<uint8_t>(~(0x80 >> (bit % 8)));
    return m;
  }
  // Why this is no address a host or a service can own, or nullptr: unspecified, loopback,
  // multicast (and IPv4 broadcast), or link-local (scoped to one link: not routable, and
  // ambiguous without a zone).
  const char* not_unicast() const {
    if (is_v4()) {
      const Ipv4 a = to_v4();
      if (a == 0) return "the unspecified address";
      if (a >> 24 == 0) return "in 0.0.0.0/8 (this network)";
      if (a >> 24 == 127) return "a loopback address";
      if (a >> 28 == 0xe) return "a multicast address";
      if (a >> 28 == 0xf) return "reserved (240.0.0.0/4, broadcast)";
      if (a >> 16 == 0xa9fe) return "a link-local address";
      return nullptr;
    }
    if (*this == IpAddress{}) return "the unspecified address";
    IpAddress loopback;
    loopback.bytes[15] = 1;
    if (*this == loopback) return "a loopback address";
    if (bytes[0] == 0xff) return "a multicast address";
    if (bytes[0] == 0xfe && (bytes[1] & 0xc0) == 0x80) return "a link-local address";
    return nullptr;
  }
  auto operator<=>(const IpAddress&) const = default;
};

struct IpAddressHash {
  size_t operator()(const IpAddress& a) const {
    uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a
    for (uint8_t b : a.bytes) h = (h ^ b) * 0x100000001b3ull;
    return h;
  }
};

struct Prefix {
  IpAddress address;
  uint8_t length = 32;  // in the address's family
  bool contains(const IpAddress& ip) const {
    return ip.is_v4() == address.is_v4() && ip.masked(length) == address.masked(length);
  }
};

// Where a value came from in the YAML file, for errors raised after parsing.
struct Origin {
  int line = 0;      // 1-based
  int column = 0;    // 1-based
  std::string path;  // key path, e.g. "virtual_services[0].real_servers[1].weight"
};

struct Eal {
  std::string lcores = "0-1";           // DPDK --lcores ("0-2", "0@0,1@1,2@1"); the first is main
  uint32_t memory_mb = 512;             // DPDK -m
  bool no_huge = false;                 // DPDK --no-huge (development machines)
  std::string file_prefix = "sluice";   // DPDK --file-prefix
  std::vector<std::string> extra_args;  // passed to rte_eal_init verbatim, after ours
};

struct Workers {
  uint32_t count = 1;
  uint32_t burst = 32;           // packets per rx burst
  uint32_t idle_polls = 256;     // empty polls before a worker sleeps
  uint32_t idle_sleep_us = 100;  // how long an idle worker sleeps; 0 = never sleep
};

struct Interface {
  std::string name;    // operator's name, used in logs and the CLI
  std::string device;  // DPDK device: PCI address or vdev string ("net_af_packet0,iface=lb0")
  uint32_t mtu = 1500;
  std::vector<Prefix> addresses;  // the appliance's own addresses, given to the TAP twin
  std::string tap;                // kernel name of the TAP twin; default "sl-<name>"
  Origin origin;
};

struct Route {
  Prefix prefix;
  IpAddress via;  // next hop, of the prefix's family; must lie in a connected subnet
  Origin origin;
};

struct Timeouts {           // seconds; defaults as IPVS (ipvsadm --set tcp tcpfin udp)
  uint32_t tcp = 900;       // established
  uint32_t tcp_fin = 120;   // FIN seen from either side
  uint32_t tcp_syn = 60;    // SYN seen, handshake not finished
  uint32_t tcp_close = 10;  // RST seen
  uint32_t udp = 300;
  bool operator==(const Timeouts&) const = default;
};

struct Connections {
  uint32_t capacity = 1u << 20;  // entries per worker, preallocated at start
  Timeouts timeouts;
};

struct Neighbours {
  uint32_t timeout = 300;  // seconds a resolved MAC stays valid without a fresh ARP reply
};

enum class Protocol : uint8_t { tcp = 6, udp = 17 };
// dr: new destination MAC only. nat: destination rewritten, replies come back through sluice
// because the real servers route to the clients via it. snat (full NAT): the source becomes
// an address of the service's snat_pool too, so replies come back without any route.
// tun: the packet travels unchanged inside IP-in-IP to the real server, which may be routed
// hops away and answers the client directly.
enum class Mode : uint8_t { dr, nat, snat, tun };

// nat and snat rewrite the destination port (a real server may listen on another one); dr and
// tun deliver the client's packet as it was sent.
constexpr bool translates_ports(Mode m) { return m == Mode::nat || m == Mode::snat; }
// In nat and snat the real servers' replies come back through sluice; in dr and tun they go
// straight to the client.
constexpr bool replies_return(Mode m) { return m == Mode::nat || m == Mode::snat; }
// IPVS's names: rr, wrr, lc, wlc, sh (source hash), dh (destination hash); first (the
// first available server in file order takes all: active/standby pairs); maglev (consistent
// hashing of the client address: few clients move when the server set changes).
enum class Scheduler : uint8_t { rr, wrr, lc, wlc, sh, dh, first, maglev };
enum class AdminState : uint8_t { online, drain, halt };
// What becomes of the established connections of a real server that a reload removes: keep
// forwarding them until they end, as IPVS does (expire_nodest_conn=0), or cut them at their
// next packet, as a halt does.
enum class OnRemove : uint8_t { keep, cut };

// Ports first..last, both included.
struct PortRange {
  uint16_t first = 0;
  uint16_t last = 0;
  uint32_t size() const { return uint32_t{last} - first + 1; }
  bool operator==(const PortRange&) const = default;
};

// The ports of a listener, as compact as the operator wrote them: listed ranges, or every
// port 1..65535 but some (`ports: all` with `except_ports`), so that "all ports" costs neither
// memory nor time per port. Ranges are sorted, disjoint and not adjacent (80,81 is 80-81).
struct PortSet {
  bool all = false;
  std::vector<PortRange> ranges;  // the listed ports; empty when all
  std::vector<PortRange> except;  // with all: the ports left out
  bool contains(uint16_t port) const;
  uint16_t lowest() const;  // 0 when the set is empty
  bool operator==(const PortSet&) const = default;
};

// Where a virtual service takes connections.
struct Listener {
  IpAddress address;
  PortSet ports;
  std::vector<Protocol> protocols;  // tcp, udp, or both in this order (`protocol: both`)
  Origin origin;  // the `listeners` item; the service itself for its own address and ports
  bool serves(const IpAddress& ip, uint16_t port) const {
    return ip == address && ports.contains(port);
  }
};

struct RealServer {
  IpAddress address;
  std::optional<uint16_t> port;  // absent: the port the client connected to
  uint32_t weight = 1;           // 0..65535; 0 takes no new connections
  AdminState state = AdminState::online;
  // Connection thresholds (ipvsadm -x/-y): at max_conns the server takes no new connections
  // until it is below min_conns again (3/4 of max_conns when min_conns is 0). 0 = no limit.
  uint32_t max_conns = 0;
  uint32_t min_conns = 0;
  Origin origin;
};

// Source-address persistence (ipvsadm -p/-M): new connections of a client, on any port or
// protocol of the service, go to the server its last connection went to, until `timeout`
// seconds pass without a new one. `netmask` groups clients (a proxy farm behind a /24): a
// dotted mask, or a prefix length as ipvsadm takes it for IPv6.
struct Persistence {
  uint32_t timeout = 300;     // ipvsadm's default with -p
  Ipv4 netmask = 0xffffffff;  // per client address
  // `netmask: 64` (ipvsadm -M for IPv6): the client's first bits; for IPv4 it sets netmask.
  std::optional<uint8_t> prefix_length;
  bool operator==(const Persistence&) const = default;
};

struct VirtualService {
  std::string name;
  // At least one. The service's own address, ports and protocol keys make its only listener;
  // a `listeners` list groups several under one service (as an IPVS firewall-mark service).
  std::vector<Listener> listeners;
  Mode mode = Mode::nat;
  Scheduler scheduler = Scheduler::wlc;  // the IPVS and keepalived default
  std::vector<RealServer> real_servers;
  // Takes connections only when no real server can (ldirectord's `fallback`, the "sorry
  // server"). Only address and port are used.
  std::optional<RealServer> fallback;
  // snat only: the source addresses the real servers see. The appliance answers ARP for them;
  // each address gives every real server about 64,000 concurrent connections per port.
  std::vector<IpAddress> snat_pool;
  std::vector<Origin> snat_pool_origins;
  std::optional<Persistence> persistence;
  // Idle timeouts of the service's connections: connections.timeouts, with those the service
  // sets itself in its own `timeouts` taking their place (long-lived idle sessions, such as
  // Skype for Business's, on some services only).
  Timeouts timeouts;
  OnRemove on_remove = OnRemove::keep;
  Origin origin;
};

struct Control {
  std::string socket = "/run/sluice/sluiced.sock";
};

struct Config {
  std::string file;  // the path it was read from
  Eal eal;
  Workers workers;
  Control control;
  std::vector<Interface> interfaces;
  std::vector<Route> routes;
  Connections connections;
  Neighbours neighbours;
  std::vector<VirtualService> virtual_services;
};

const char* to_string(Protocol);
const char* to_string(Mode);
const char* to_string(Scheduler);
const char* to_string(AdminState);
const char* to_string(OnRemove);
// "tcp", "udp" or "both", as the YAML spells them.
const char* protocols_name(const std::vector<Protocol>& protocols);
// "80" or "5070-5073".
std::string format_range(PortRange range);
// As the YAML can spell them: "80,443,5070-5073", "all" or "all except 20000".
std::string format_ports(const PortSet& ports);
// The DPDK port name of an interface's device string: a vdev's name before its first comma,
// or the PCI address as given.
std::string port_name_of(const std::string& device);

}  // namespace sluice::config
