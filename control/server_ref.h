// A real server as operators name it in commands: the service by one of its addresses and
// ports (and protocol when it serves both), the server by address and port.
// Thread safety: plain values and a pure function.
#pragma once

#include <optional>

#include "common/ip_text.h"
#include "common/names.h"
#include "config/model.h"

namespace sluice::control {

struct ServerRef {
  Endpoint service;                  // an address and one of its ports
  std::optional<Protocol> protocol;  // absent: tcp, else udp if only udp serves it
  // Address and the port connections go to; port 0 for RIP:*, as `show servers` prints a
  // server without port of a `ports: all` service.
  Endpoint server;
};

// Does `ref` name `rs`, a real server of the service it names? A server without port is
// named by the service's port given in the command, or by '*'.
inline bool names_server(const ServerRef& ref, const config::RealServer& rs) {
  if (rs.address != ref.server.address) return false;
  if (ref.server.port == 0) return !rs.port;
  return rs.port.value_or(ref.service.port) == ref.server.port;
}

// How show servers, set server and events name a real server of a service: ADDRESS:PORT,
// the port being the server's own, else the service's lowest (a server without port takes
// the client's), or ADDRESS:* when the service listens on every port.
inline std::string server_label(const config::VirtualService& vs, const config::RealServer& rs) {
  const config::Listener& first = vs.listeners.front();
  const std::string port = rs.port             ? std::to_string(*rs.port)
                           : first.ports.all   ? "*"
                                               : std::to_string(first.ports.lowest());
  return format_host(rs.address) + ":" + port;
}

inline std::string server_label(const ServerRef& ref) {
  return format_host(ref.server.address) + ":" +
         (ref.server.port == 0 ? "*" : std::to_string(ref.server.port));
}

}  // namespace sluice::control
