// The configuration as the operator wrote it, after parsing and validation.
// Plain values only: no DPDK types, so the parser, validator and their tests build without EAL.
// Thread safety: built and read by the control thread only; workers see the compiled snapshot.
#pragma once

#include <algorithm>
#include <array>
#include <compare>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "common/aws.h"
#include "common/ip_address.h"
#include "common/ip_text.h"
#include "common/names.h"
#include "common/status_ranges.h"

namespace sluice::config {

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
  Origin memory_mb_origin;  // memory_mb's value, else the eal mapping (line 0: no eal at all)
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

// sluiced's log (docs/operations.md, Logs): lines less severe than `level` are not written.
struct Log {
  LogLevel level = LogLevel::notice;
};

// What becomes of the established connections of a real server that a reload removes: keep
// forwarding them until they end, as IPVS does (expire_nodest_conn=0), or cut them at their
// next packet, as a halt does. (KeepOrCut's names are in common/names.h.)

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

// How a real server's health is checked (docs/configuration.md, "Health checks"). Times are
// milliseconds; the YAML gives seconds, fractions allowed. Defaults are HAProxy's (2 s, rise
// 2, fall 3): a dead server leaves rotation within interval * fall + timeout, about 8 s.
struct HealthCheck {
  CheckType type = CheckType::connect;
  // Where the check goes: by default the real server's address, and its port, or the
  // service's lowest port when the server has none. One check serves every port of the
  // service: its failure takes the server out of all of them.
  std::optional<IpAddress> address;
  std::optional<uint16_t> port;
  uint32_t interval_ms = 2000;
  uint32_t timeout_ms = 2000;
  uint32_t rise = 2;
  uint32_t fall = 3;
  // http, https: ldirectord's checktype N ("N connects, then one negotiate"); 0: always full.
  uint32_t connects_between = 0;
  // http, https
  HttpMethod method = HttpMethod::GET;
  std::string path = "/";
  std::string host;           // Host header and TLS server name; empty: the address
  // 2xx and 3xx, as HAProxy's httpchk: a redirect (to a login page, to https) comes from a
  // live server. ldirectord's negotiate takes 2xx only: "200-299" gives that.
  std::vector<StatusRange> expect_status = {{200, 399}};
  std::string expect_body;    // substring
  std::string expect_body_regex;  // POSIX extended
  bool expect_body_absent = false;  // the body must not contain / match them
  bool verify_certificate = false;
  std::string ca_file;
  // dns: the question (keepalived's DNS_CHECK defaults: the root's SOA)
  std::string query_name = ".";
  DnsType query_type = DnsType::SOA;
  // udp: what to send, and what the reply must contain (empty: any reply)
  std::string payload;
  std::string expect_reply;
  // external: an executable, run as COMMAND VIP VPORT RIP RPORT (ldirectord's order), exit 0 = up
  std::string command;
  Origin origin;
};

// Where a real server reports how busy it is: the feedback agent (seeds 001-004, HAProxy's
// agent-check) on a TCP port, or the body of an HTTP URL on it.
struct Feedback {
  FeedbackType type = FeedbackType::agent;
  uint16_t port = 3333;
  uint32_t interval_ms = 5000;
  uint32_t timeout_ms = 2000;
  std::string path = "/";  // http
  std::string send;        // agent: text sent after connecting (HAProxy's agent-send)
  Origin origin;
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
  // The service's health_check and feedback with what the server's own keys change; unset
  // when the server sets none (the service's apply, if any).
  std::optional<HealthCheck> health_check;
  std::optional<Feedback> feedback;
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
  KeepOrCut on_remove = KeepOrCut::keep;
  std::optional<HealthCheck> health_check;  // none: servers are unchecked (always up)
  std::optional<Feedback> feedback;         // none: weights as configured
  // What a failed health check does to the server's established connections: keep them (as
  // ldirectord's quiescent servers) or cut them (IPVS expire_nodest_conn).
  KeepOrCut on_failure = KeepOrCut::keep;
  Origin origin;
  // The check and feedback that apply to one of its real servers.
  const std::optional<HealthCheck>& check_of(const RealServer& rs) const {
    return rs.health_check ? rs.health_check : health_check;
  }
  const std::optional<Feedback>& feedback_of(const RealServer& rs) const {
    return rs.feedback ? rs.feedback : feedback;
  }
};

struct Control {
  std::string socket = "/run/sluice/sluiced.sock";
  // Members of this group may use the socket too (the file is mode 0660 and theirs), with
  // group_access; otherwise only root (and sluiced's own user) can (mode 0600).
  std::string group;
  ControlAccess group_access = ControlAccess::read;
};

// Gratuitous ARP and unsolicited neighbour advertisements on becoming master, as
// keepalived's garp_master_* settings (and with its defaults).
struct Garp {
  uint32_t repeat = 5;       // announcements of each address per round
  uint32_t interval_ms = 0;  // between two announcements of a round (0: back to back)
  uint32_t delay_ms = 5000;  // a second round this long after the first (0: none)
  uint32_t refresh_ms = 0;   // while master, a round this often (0: never)
  bool operator==(const Garp&) const = default;
};

// What lowers an instance's priority (keepalived's track_interface / track_script): each
// item down is a failure; without a weight any failure is fault.
struct Track {
  std::vector<std::string> interfaces;  // interfaces[].name whose link must be up
  std::vector<std::string> services;    // virtual_services[].name that must have a server
  bool workers = true;                  // every worker must keep looping
  uint32_t weight = 0;                  // priority lowered per failure; 0: fault
  bool operator==(const Track&) const = default;
};

// An instance's AWS mode (docs/configuration.md, "aws"): on taking over, its addresses move
// by EC2 API calls (control/ha/aws_mover), since a VPC ignores gratuitous ARP.
struct AwsMode {
  AwsMoves moves;  // private_addresses default to the instance's addresses
  AwsSettings settings;
  bool operator==(const AwsMode&) const = default;
};

// One VRRP instance (RFC 5798): a virtual router on one data interface whose master owns a
// set of floating addresses. The election's family is the addresses': all IPv6, it runs over
// IPv6 (adverts to ff02::12 carry them); otherwise over IPv4 (adverts carry the IPv4 ones),
// and IPv6 addresses among them move with it, announced by unsolicited neighbour
// advertisements.
struct HaInstance {
  std::string name;       // in logs and show ha
  std::string interface;  // an interfaces[].name: where adverts go and come from
  uint8_t vrid = 0;       // 1..255, unique per interface
  uint8_t priority = 100; // 1..255; 255 claims at once (the addresses' owner)
  uint16_t interval_cs = 100;  // advertisement interval, centiseconds (RFC 5798: 1..4095)
  bool preempt = true;
  uint32_t preempt_delay_ms = 0;
  // Unicast peers (clouds have no multicast), of the election's family; empty: multicast to
  // 224.0.0.18 (ff02::12).
  std::vector<IpAddress> peers;
  // The floating addresses that move together: service addresses, snat pool addresses and
  // gateways (addresses on a connected subnet that serve no port, e.g. the nat real
  // servers' default gateway).
  std::vector<IpAddress> addresses;
  Garp garp;
  Track track;
  std::optional<AwsMode> aws;  // none: not on AWS
  Origin origin;
  // Does the election run over IPv6? Only when every floating address is IPv6: the family
  // follows from the addresses, so no key can contradict them.
  bool ipv6() const {
    return !addresses.empty() && std::ranges::none_of(addresses, &IpAddress::is_v4);
  }
  // The same instance, whatever lines of the file it came from?
  bool same_as(const HaInstance& o) const {
    return std::tie(name, interface, vrid, priority, interval_cs, preempt, preempt_delay_ms,
                    peers, addresses, garp, track, aws) ==
           std::tie(o.name, o.interface, o.vrid, o.priority, o.interval_cs, o.preempt,
                    o.preempt_delay_ms, o.peers, o.addresses, o.garp, o.track, o.aws);
  }
};

// Connection sync between the two appliances of a pair (control/ha_sync.h): UDP datagrams
// signed with a shared key, from one interface address of each to the other's.
struct SyncSettings {
  std::string interface;       // interfaces[].name: its address of the peer's family is ours
  IpAddress peer;              // the other appliance's address
  uint16_t port = 7778;        // UDP, on both
  std::string key_file;        // as written; the key is read at load
  std::vector<uint8_t> key;    // 16 to 1024 bytes
  uint32_t refresh_ms = 10000; // everything is sent again this often
  Origin origin;
  bool operator==(const SyncSettings& o) const {
    return std::tie(interface, peer, port, key, refresh_ms) ==
           std::tie(o.interface, o.peer, o.port, o.key, o.refresh_ms);
  }
};

struct Ha {
  std::optional<SyncSettings> sync;
  std::vector<HaInstance> instances;
};

// What the health checker does beyond the checks themselves.
struct HealthSettings {
  // Run on every state change (health, admin, agent weight, fallback, reload) with the change
  // as arguments (docs/operations.md, "Notifications"); empty: none.
  std::string notify;
  uint32_t max_scripts = 16;  // external checks and notify commands running at once
  Origin origin;
};

// The HTTP endpoint (control/http/): Prometheus metrics and the status page over plain HTTP
// on one address of the appliance's own; without the `http` block there is none.
struct HttpSettings {
  Endpoint listen;
  bool metrics = true;       // GET /metrics
  bool status_page = false;  // GET / and its refreshes
  std::string token_file;    // as written; the token is read at load
  // 16 to 1024 bytes; with it the page offers operator actions (loopback listeners only).
  std::vector<uint8_t> token;
  Origin origin;
  bool operator==(const HttpSettings& o) const {
    return std::tie(listen.address, listen.port, metrics, status_page, token) ==
           std::tie(o.listen.address, o.listen.port, o.metrics, o.status_page, o.token);
  }
};

struct Config {
  std::string file;  // the path it was read from
  Eal eal;
  Workers workers;
  Control control;
  HealthSettings health;
  Ha ha;
  std::optional<HttpSettings> http;
  std::vector<Interface> interfaces;
  std::vector<Route> routes;
  Connections connections;
  Neighbours neighbours;
  Log log;
  std::vector<VirtualService> virtual_services;
};

// Do two checks (feedbacks) do the same, whatever lines of the file they came from?
bool same_check(const std::optional<HealthCheck>& a, const std::optional<HealthCheck>& b);
bool same_feedback(const std::optional<Feedback>& a, const std::optional<Feedback>& b);

// The port a check of `rs` goes to: the check's own, else the server's, else the service's
// lowest listed port; nullopt for checks without a port (ping, on, off) and when the service
// listens on every port and neither the check nor the server names one.
std::optional<uint16_t> check_port(const VirtualService& vs, const RealServer& rs,
                                   const HealthCheck& check);

// Is `a` the address of a virtual service's listener or in a service's snat pool? (A floating
// address that is neither is a gateway: see ha.instances[].addresses.)
bool is_service_address(const Config& cfg, const IpAddress& a);

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
