// The probes that own one socket each: connect, line (the feedback agent), dns and udp.
// Thread safety: the event loop's thread only.
#pragma once

#include <memory>
#include <string>

#include "control/health/probe.h"

namespace sluice::control::health {

std::unique_ptr<Probe> make_connect_probe(const ProbeContext& context, const Endpoint& to);
std::unique_ptr<Probe> make_line_probe(const ProbeContext& context, const Endpoint& to,
                                       std::string send);
std::unique_ptr<Probe> make_dns_probe(const ProbeContext& context, const Endpoint& to,
                                      std::string name, DnsType type);
std::unique_ptr<Probe> make_udp_probe(const ProbeContext& context, const Endpoint& to,
                                      std::string payload, std::string expect);

}  // namespace sluice::control::health
