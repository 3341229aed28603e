// sluicectl show ipvs: the running services in `ipvsadm -Ln` format (and its --stats and
// --rate variants), so that operators' scripts and habits carry over from IPVS.
//   - one entry per listener address, protocol and port item; a port range keeps its
//     "FIRST-LAST" text, `ports: all` is port 0 (IPVS's all-ports service); a service's
//     counters are the same on each of its entries
//   - Forward: dr Route, nat Masq, tun Tunnel, snat FullNat (as DPVS names full NAT)
//   - the fallback server is listed while it takes the service's connections, as ldirectord
//     adds it to IPVS only then
//   - size= is connections.capacity; the version line is ipvsadm's, for scripts that skip it
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sluice::control {

struct ServiceStatsView;

enum class IpvsFormat : uint8_t { list, stats, rate };

std::string ipvs_listing(const std::vector<ServiceStatsView>& services, IpvsFormat format,
                         uint32_t table_size);

// ipvsadm's print_largenum: right-aligned in 9 columns, with K, M, G or T past 10^8.
std::string ipvs_number(uint64_t n);

}  // namespace sluice::control
