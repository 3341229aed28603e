#include "control/command_parse.h"

#include <charconv>
#include <vector>

namespace sluice::control {
namespace {

std::vector<std::string_view> split_words(std::string_view line) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    const size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) words.push_back(line.substr(start, i - start));
  }
  return words;
}

ParsedCommand failure(std::string message) { return {std::nullopt, std::move(message)}; }

std::string quoted(std::string_view word) {
  constexpr size_t kShown = 40;  // an error line stays one short line, whatever was sent
  return "'" + std::string(word.substr(0, kShown)) + (word.size() > kShown ? "...'" : "'");
}

// ADDRESS:PORT, or ADDRESS:* (port 0) for a server without port: the address is checked as
// in ADDRESS:PORT, any port standing in for the '*'.
std::optional<Endpoint> parse_server(std::string_view word) {
  if (!word.ends_with(":*")) return parse_endpoint(word);
  std::string with_port(word);
  with_port.back() = '1';
  std::optional<Endpoint> server = parse_endpoint(with_port);
  if (server) server->port = 0;
  return server;
}

ParsedCommand parse_set_server(const std::vector<std::string_view>& w) {
  constexpr const char* kUsage =
      "usage: set server VIP:PORT[/tcp|/udp] RIP:PORT state online|drain|halt | weight N";
  if (w.size() != 6) return failure(kUsage);
  SetServer s;
  std::string_view service = w[2];
  if (const size_t slash = service.find('/'); slash != std::string_view::npos) {
    const std::string_view proto = service.substr(slash + 1);
    s.protocol = from_name<Protocol>(proto);
    if (!s.protocol) {
      return failure("unknown protocol " + quoted(proto) + " (expected " +
                     expected_names<Protocol>() + ")");
    }
    service = service.substr(0, slash);
  }
  const auto vip = parse_endpoint(service);
  if (!vip) return failure("bad virtual service " + quoted(w[2]) + " (expected ADDRESS:PORT)");
  const auto rip = parse_server(w[3]);
  if (!rip) {
    return failure("bad real server " + quoted(w[3]) + " (expected ADDRESS:PORT or ADDRESS:*)");
  }
  s.service = *vip;
  s.server = *rip;
  if (w[4] == "state") {
    s.state = from_name<AdminState>(w[5]);
    if (!s.state) {
      return failure("unknown state " + quoted(w[5]) + " (expected " +
                     expected_names<AdminState>() + ")");
    }
  } else if (w[4] == "weight") {
    uint32_t weight = 0;
    const auto [end, ec] = std::from_chars(w[5].data(), w[5].data() + w[5].size(), weight);
    if (ec != std::errc() || end != w[5].data() + w[5].size() || weight > 65535) {
      return failure("bad weight " + quoted(w[5]) + " (expected 0..65535)");
    }
    s.weight = weight;
  } else {
    return failure(kUsage);
  }
  return {Command{s}, {}};
}

constexpr const char* kHaUsage =
    "usage: ha failover [INSTANCE] | ha maintenance on|off [INSTANCE] | ha push";

ParsedCommand parse_ha(const std::vector<std::string_view>& w) {
  if (w.size() == 2 && w[1] == "push") return {Command{HaPush{}}, {}};
  HaCommand c;
  size_t instance_at = 0;
  if (w.size() >= 2 && w[1] == "failover") {
    c.failover = true;
    instance_at = 2;
  } else if (w.size() >= 3 && w[1] == "maintenance" && (w[2] == "on" || w[2] == "off")) {
    c.maintenance = w[2] == "on";
    instance_at = 3;
  } else {
    return failure(kHaUsage);
  }
  if (w.size() > instance_at + 1) return failure(kHaUsage);
  if (w.size() == instance_at + 1) c.instance = std::string(w[instance_at]);
  return {Command{c}, {}};
}

constexpr const char* kStatsUsage = "usage: show stats [--rate] [VIP]";

ParsedCommand parse_show_stats(const std::vector<std::string_view>& w) {
  ShowStats c;
  bool rate = false;
  for (size_t i = 2; i < w.size(); ++i) {
    if (w[i] == "--rate" && !rate) {
      rate = true;
    } else if (!c.vip && !w[i].starts_with("-")) {
      c.vip = parse_ip(w[i]);
      if (!c.vip) return failure("bad VIP " + quoted(w[i]) + " (expected an IPv4 or IPv6 address)");
    } else {
      return failure(kStatsUsage);
    }
  }
  return {Command{c}, {}};
}

ParsedCommand parse_show_ipvs(const std::vector<std::string_view>& w) {
  if (w.size() == 2) return {Command{ShowIpvs{}}, {}};
  if (w.size() == 3 && w[2] == "--stats") return {Command{ShowIpvs{IpvsFormat::stats}}, {}};
  if (w.size() == 3 && w[2] == "--rate") return {Command{ShowIpvs{IpvsFormat::rate}}, {}};
  return failure("usage: show ipvs [--stats | --rate]");
}

}  // namespace

ParsedCommand parse_command(std::string_view line) {
  if (line.size() > kMaxCommandLength) {
    return failure("command longer than " + std::to_string(kMaxCommandLength) + " bytes");
  }
  for (char c : line) {
    if (static_cast<unsigned char>(c) < 0x20 && c != '\t') {
      return failure("command contains control characters");
    }
  }
  const std::vector<std::string_view> w = split_words(line);
  if (w.empty()) return failure("empty command");
  if (w[0] == "show" && w.size() >= 2 && w[1] == "stats") return parse_show_stats(w);
  if (w[0] == "show" && w.size() >= 2 && w[1] == "ipvs") return parse_show_ipvs(w);
  if (w[0] == "show" && w.size() == 2) {
    if (w[1] == "vips") return {Command{ShowVips{}}, {}};
    if (w[1] == "servers") return {Command{ShowServers{}}, {}};
    if (w[1] == "conns") return {Command{ShowConns{}}, {}};
    if (w[1] == "persistence") return {Command{ShowPersistence{}}, {}};
    if (w[1] == "neighbours") return {Command{ShowNeighbours{}}, {}};
    if (w[1] == "ha") return {Command{ShowHa{}}, {}};
    return failure("unknown: show " + quoted(w[1]) +
                   " (expected vips, servers, stats, ipvs, conns, persistence, neighbours or ha)");
  }
  if (w[0] == "reload" && w.size() == 1) return {Command{Reload{}}, {}};
  if (w[0] == "clear" && w.size() == 2 && w[1] == "persistence") {
    return {Command{ClearPersistence{}}, {}};
  }
  if (w[0] == "set" && w.size() >= 2 && w[1] == "server") return parse_set_server(w);
  if (w[0] == "ha") return parse_ha(w);
  return failure("unknown command " + quoted(line) +
                 " (expected show vips|servers|stats|ipvs|conns|persistence|neighbours|ha, "
                 "set server ..., ha ..., clear persistence, reload)");
}

}  // namespace sluice::control
