// The control-socket language: one line, words separated by blanks.
//   show vips | show servers | show conns | show persistence | show neighbours | show ha
//   show stats [--rate] [VIP]
//   show ipvs [--stats | --rate]
//   clear persistence
//   set server VIP:PORT[/tcp|/udp] RIP:PORT|RIP:* state online|drain|halt
//   set server VIP:PORT[/tcp|/udp] RIP:PORT|RIP:* weight 0..65535
//   reload
//   ha failover [INSTANCE] | ha maintenance on|off [INSTANCE] | ha push
// Thread safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "common/ip_text.h"
#include "config/model.h"
#include "control/ha_command.h"
#include "control/ipvs_listing.h"
#include "control/server_ref.h"

namespace sluice::control {

struct ShowVips {};
struct ShowServers {};
// `--rate` is sluicectl's choice of columns (the answer carries totals and rates alike): the
// parser accepts it and nothing more.
struct ShowStats {
  std::optional<IpAddress> vip;   // only the services listening on this address
};
struct ShowIpvs {
  IpvsFormat format = IpvsFormat::list;
};
struct ShowConns {};
struct Reload {};
struct ShowPersistence {};
struct ShowNeighbours {};
struct ShowHa {};
struct ClearPersistence {};
struct HaPush {};
struct SetServer : ServerRef {
  std::optional<AdminState> state;  // exactly one of state and weight is set
  std::optional<uint32_t> weight;
};

using Command = std::variant<ShowVips, ShowServers, ShowStats, ShowIpvs, ShowConns, Reload,
                             SetServer, ShowPersistence, ClearPersistence, ShowNeighbours, ShowHa,
                             HaCommand, HaPush>;

// Longer lines are refused before any parsing.
inline constexpr size_t kMaxCommandLength = 4096;

struct ParsedCommand {
  std::optional<Command> command;
  std::string error;  // one line, set when command is empty
};

ParsedCommand parse_command(std::string_view line);


}  // namespace sluice::control
