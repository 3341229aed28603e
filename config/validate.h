// Checks that need the whole configuration at once: names and devices used twice, virtual
// services that collide, real servers the appliance cannot reach.
// Thread safety: pure apart from the Context it reports to.
#pragma once

#include <vector>

#include "config/model.h"
#include "config/ports.h"
#include "config/yaml_reader.h"

namespace sluice::config {

// What the parser hands the validator. Interfaces, routes, virtual services and real servers
// that had errors of their own are left out, so that a typo is reported once, not again as a
// collision or an unreachable server.
struct Draft {
  Config config;
  // [virtual service][listener], as in config: the listener's ports as written (ports.h).
  std::vector<std::vector<std::vector<PortItem>>> listener_ports;
  // False when an interface, or a route, had errors. Reachability that depends on them is
  // then not judged: the subnet or route left out would make servers look unreachable.
  bool interfaces_complete = true;
  bool routes_complete = true;
};

void validate(const Draft& draft, Context& cx);

}  // namespace sluice::config
