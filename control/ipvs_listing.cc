#include "control/ipvs_listing.h"

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <tuple>

#include "common/ip_text.h"
#include "control/api.h"

namespace sluice::control {
namespace {

// ipvsadm's address:port: IPv6 in brackets.
std::string endpoint(const IpAddress& a, const std::string& port) {
  return (a.is_v4() ? format_ip(a) : "[" + format_ip(a) + "]") + ":" + port;
}

const char* forward_name(Mode m) {
  switch (m) {
    case Mode::dr: return "Route";
    case Mode::nat: return "Masq";
    case Mode::tun: return "Tunnel";
    case Mode::snat: return "FullNat";
  }
  return "?";
}

std::string printed(const char* fmt, auto... args) {
  char line[256];
  std::snprintf(line, sizeof line, fmt, args...);
  return line;
}

uint64_t whole(double per_second) { return static_cast<uint64_t>(std::llround(per_second)); }

std::string counters(const ServerCounts& c) {
  return ipvs_number(c.conns) + ipvs_number(c.traffic.packets_in) +
         ipvs_number(c.traffic.packets_out) + ipvs_number(c.traffic.bytes_in) +
         ipvs_number(c.traffic.bytes_out);
}

std::string rates(const Rates& r) {
  return ipvs_number(whole(r.conns)) + ipvs_number(whole(r.packets_in)) +
         ipvs_number(whole(r.packets_out)) + ipvs_number(whole(r.bytes_in)) +
         ipvs_number(whole(r.bytes_out));
}

// " persistent 300", and the mask when clients are grouped (IPv4 dotted, IPv6 a length).
std::string persistence_flags(const config::Persistence& p, bool ipv6) {
  std::string flags = " persistent " + std::to_string(p.timeout);
  if (ipv6) {
    const uint8_t length = p.prefix_length.value_or(128);
    if (length != 128) flags += " mask " + std::to_string(length);
  } else if (p.netmask != 0xffffffff) {
    flags += " mask " + format_ip(IpAddress::v4(p.netmask));
  }
  return flags;
}

// One line of the listing: a protocol, address and port item of a service.
struct Entry {
  Protocol protocol;
  IpAddress address;
  uint16_t port;           // for ordering
  std::string port_text;   // as printed
  bool single_port;        // the item is one port (port-less servers show it)
  const ServiceStatsView* service;
  // ipvs_cmp_services: address family, protocol, address, port.
  auto order() const { return std::tuple(!address.is_v4(), protocol, address.bytes, port); }
};

std::vector<Entry> entries_of(const std::vector<ServiceStatsView>& services) {
  std::vector<Entry> out;
  for (const ServiceStatsView& s : services) {
    for (const ListenerView& l : s.listeners) {
      for (const Protocol protocol : l.protocols) {
        if (l.ports.all) {
          out.push_back({protocol, l.address, 0, "0", false, &s});
          continue;
        }
        for (const config::PortRange& r : l.ports.ranges) {
          const bool single = r.first == r.last;
          out.push_back({protocol, l.address, r.first,
                         single ? std::to_string(r.first)
                                : std::to_string(r.first) + "-" + std::to_string(r.last),
                         single, &s});
        }
      }
    }
  }
  std::ranges::sort(out, [](const Entry& a, const Entry& b) { return a.order() < b.order(); });
  return out;
}

void print_servers(std::string& out, const Entry& e, IpvsFormat format) {
  std::vector<const ServerStatsView*> servers;
  for (const ServerStatsView& s : e.service->servers) {
    if (!s.fallback || e.service->fallback_in_use) servers.push_back(&s);
  }
  const auto order = [](const ServerStatsView* s) {
    return std::tuple(!s->address.is_v4(), s->address.bytes, s->port);
  };
  std::ranges::sort(servers, [&](auto* a, auto* b) { return order(a) < order(b); });
  for (const ServerStatsView* s : servers) {
    // A port-less server takes the client's port: the entry's, where it has a single one.
    const std::string port =
        s->port != 0 ? std::to_string(s->port) : e.single_port ? e.port_text : "0";
    const std::string name = endpoint(s->address, port);
    switch (format) {
      case IpvsFormat::list:
        out += printed("  -> %-28s %-7s %-6u %-10" PRIu64 " %-10" PRIu64 "\n", name.c_str(),
                      forward_name(e.service->mode), s->weight, s->counts.active,
                      s->counts.inactive);
        break;
      case IpvsFormat::stats:
        out += printed("  -> %-28s", name.c_str()) + counters(s->counts) + "\n";
        break;
      case IpvsFormat::rate:
        out += printed("  -> %-28s", name.c_str()) + rates(s->rates) + "\n";
        break;
    }
  }
}

}  // namespace

std::string ipvs_number(uint64_t n) {
  if (n < 100000000ULL) return printed("%9" PRIu64, n);
  if (n < 1000000000ULL) return printed("%8" PRIu64 "K", n / 1000);
  if (n < 100000000000ULL) return printed("%8" PRIu64 "M", n / 1000000);
  if (n < 100000000000000ULL) return printed("%8" PRIu64 "G", n / 1000000000ULL);
  return printed("%8" PRIu64 "T", n / 1000000000000ULL);
}

std::string ipvs_listing(const std::vector<ServiceStatsView>& services, IpvsFormat format,
                         uint32_t table_size) {
  std::string out = "IP Virtual Server version 1.2.1 (size=" + std::to_string(table_size) + ")\n";
  switch (format) {
    case IpvsFormat::list:
      out += "Prot LocalAddress:Port Scheduler Flags\n"
             "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n";
      break;
    case IpvsFormat::stats:
      out += "Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes\n"
             "  -> RemoteAddress:Port\n";
      break;
    case IpvsFormat::rate:
      out += "Prot LocalAddress:Port                 CPS    InPPS   OutPPS    InBPS   OutBPS\n"
             "  -> RemoteAddress:Port\n";
      break;
  }
  for (const Entry& e : entries_of(services)) {
    const std::string name = std::string(e.protocol == Protocol::tcp ? "TCP" : "UDP") + "  " +
                             endpoint(e.address, e.port_text);
    switch (format) {
      case IpvsFormat::list:
        out += name + " " + std::string(to_string(e.service->scheduler));
        if (e.service->persistence) {
          out += persistence_flags(*e.service->persistence, !e.address.is_v4());
        }
        out += "\n";
        break;
      case IpvsFormat::stats:
        out += printed("%-33s", name.c_str()) + counters(e.service->counts) + "\n";
        break;
      case IpvsFormat::rate:
        out += printed("%-33s", name.c_str()) + rates(e.service->rates) + "\n";
        break;
    }
    print_servers(out, e, format);
  }
  return out;
}

}  // namespace sluice::control
