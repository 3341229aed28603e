// The control-socket language: one line, words separated by blanks.
//   show vips | show servers | show stats | show conns | show persistence | show neighbours
//   clear persistence
//   set server VIP:PORT[/tcp|/udp] RIP:PORT|RIP:* state online|drain|halt
//   set server VIP:PORT[/tcp|/udp] RIP:PORT|RIP:* weight 0..65535
//   reload
// Thread safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "config/ip.h"
#include "config/model.h"

namespace sluice::control {

struct ShowVips {};
struct ShowServers {};
struct ShowStats {};
struct ShowConns {};
struct Reload {};
struct ShowPersistence {};
struct ShowNeighbours {};
struct ClearPersistence {};
struct SetServer {
  config::Endpoint service;                  // an address and one of its ports
  std::optional<config::Protocol> protocol;  // absent: tcp, else udp if only udp serves it
  // Address and the port connections go to; port 0 for RIP:*, as `show servers` prints a
  // server without port of a `ports: all` service.
  config::Endpoint server;
  std::optional<config::AdminState> state;   // exactly one of state and weight is set
  std::optional<uint32_t> weight;
};

using Command = std::variant<ShowVips, ShowServers, ShowStats, ShowConns, Reload, SetServer,
                             ShowPersistence, ClearPersistence, ShowNeighbours>;

// Longer lines are refused before any parsing.
inline constexpr size_t kMaxCommandLength = 4096;

struct ParsedCommand {
  std::optional<Command> command;
  std::string error;  // one line, set when command is empty
};

ParsedCommand parse_command(std::string_view line);

// Does `change` name `rs`, a real server of the service it names? A server without port is
// named by the service's port given in the command, or by '*'.
bool names_server(const SetServer& change, const config::RealServer& rs);

}  // namespace sluice::control
