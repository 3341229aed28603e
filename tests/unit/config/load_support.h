// What the configuration tests share: loading text as `sluiced --check` would, and the
// small topologies most cases build on.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/ip_text.h"
#include "config/load.h"

namespace sluice::config {

using Lines = std::vector<std::string>;

inline LoadResult load(const std::string& yaml) { return load_string(yaml, "test.yaml"); }

// Every error of `yaml` as `sluiced --check` prints it.
inline Lines errors_of(const std::string& yaml) {
  const LoadResult result = load(yaml);
  EXPECT_EQ(result.config.has_value(), result.errors.empty());
  Lines lines;
  for (const Error& e : result.errors) lines.push_back(e.format());
  return lines;
}

inline Config load_valid(const std::string& yaml) {
  LoadResult result = load(yaml);
  for (const Error& e : result.errors) ADD_FAILURE() << e.format();
  return result.config.value_or(Config{});
}

inline IpAddress ip(const char* text) { return parse_ip(text).value(); }

// The one listener of a service written with its own address, ports and protocol.
inline const Listener& only_listener(const VirtualService& vs) {
  EXPECT_EQ(vs.listeners.size(), 1u);
  return vs.listeners.at(0);
}

// Two interfaces and a route to 198.19.144.0/20 behind "back": 9 lines, so text appended to it
// starts on line 10.
inline const std::string kTopology = R"(interfaces:
  - name: front
    device: net_null0
    addresses: [198.19.0.1/24]
  - name: back
    device: net_null1
    addresses: [198.19.16.1/24]
routes:
  - { prefix: 198.19.144.0/20, via: 198.19.16.254 }
)";

// kTopology and one service whose ports are `ports` (line 13, column 12), with `extra` lines
// after them (an except_ports on line 14, its value at column 19).
inline std::string with_ports(const std::string& ports, const std::string& extra = "") {
  return kTopology +
         "virtual_services:\n  - name: v\n    address: 198.19.0.10\n    ports: " + ports + "\n" +
         extra + "    protocol: tcp\n    mode: nat\n    real_servers: []\n";
}


inline const std::string kService = R"(  - name: @name@
    address: @address@
    ports: [@ports@]
    protocol: @protocol@
    mode: nat
    real_servers: []
)";

inline std::string service(const std::string& name, const std::string& address, const std::string& ports,
                    const std::string& protocol = "tcp") {
  std::string yaml = kService;
  for (const auto& [token, value] : {std::pair<std::string, std::string>{"@name@", name},
                                     {"@address@", address},
                                     {"@ports@", ports},
                                     {"@protocol@", protocol}}) {
    yaml.replace(yaml.find(token), token.size(), value);
  }
  return yaml;
}


inline const std::string kOneService = R"(interfaces:
  - { name: front, device: d0, addresses: [198.18.0.1/24] }
  - { name: back, device: d1, addresses: [198.18.1.1/24] }
virtual_services:
  - name: web
    address: 198.18.0.10
    ports: [80]
    protocol: tcp
    mode: nat
)";


inline std::string snat_service(const std::string& mode, const std::string& pool_line) {
  return kOneService.substr(0, kOneService.find("    mode: nat")) + "    mode: " + mode + "\n" +
         pool_line + "    real_servers: [ { address: 198.18.1.21, port: 8080 } ]\n";
}


inline const std::string kDualStack = R"(interfaces:
  - { name: front, device: net_null0, addresses: [198.18.0.1/24, "2001:2::1/64"] }
  - { name: back, device: net_null1, addresses: [198.18.1.1/24, 2001:2:0:1::1/64] }
routes:
  - { prefix: "2001:2:9::/48", via: "2001:2:0:1::fe" }
)";

}  // namespace sluice::config
