// sluicectl: the operator's CLI over sluiced's control socket.
//   sluicectl [--socket PATH] [--json] COMMAND...
// Tables for people by default, the daemon's JSON with --json. Errors: one line on stderr,
// exit 1. See docs/operations.md.
#include <getopt.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace {

using nlohmann::json;

constexpr const char* kDefaultSocket = "/run/sluice/sluiced.sock";

void usage(FILE* to) {
  std::fputs(
      "usage: sluicectl [--socket PATH] [--json] COMMAND\n"
      "commands:\n"
      "  show vips | show servers | show conns | show persistence | show neighbours | show ha\n"
      "  show stats [--rate] [VIP]     counters (or rates per second) per service and server\n"
      "  show ipvs [--stats | --rate]  the services as ipvsadm -Ln lists them\n"
      "  clear persistence\n"
      "  set server VIP:PORT[/tcp|/udp] RIP:PORT state online|drain|halt\n"
      "  set server VIP:PORT[/tcp|/udp] RIP:PORT weight 0..65535\n"
      "  reload\n"
      "  ha failover [INSTANCE] | ha maintenance on|off [INSTANCE] | ha push\n"
      "socket: --socket, else $SLUICE_SOCKET, else /run/sluice/sluiced.sock\n",
      to);
}

// Each line of `message` as a line of its own: a refused reload answers with every error of
// the file, one per line.
[[noreturn]] void fail(const std::string& message) {
  size_t start = 0;
  do {
    const size_t end = std::min(message.find('\n', start), message.size());
    std::fprintf(stderr, "sluicectl: %.*s\n", static_cast<int>(end - start), message.data() + start);
    start = end + 1;
  } while (start < message.size());
  std::exit(1);
}

std::string request(const std::string& path, const std::string& line) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) fail("socket path too long: " + path);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    fail("cannot connect to " + path + ": " + std::strerror(errno) + " (is sluiced running?)");
  }
  const std::string out = line + "\n";
  if (send(fd, out.data(), out.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(out.size())) {
    fail("cannot send to " + path + ": " + std::strerror(errno));
  }
  std::string reply;
  char buf[65536];
  ssize_t n = 0;
  while ((n = recv(fd, buf, sizeof buf, 0)) > 0) reply.append(buf, static_cast<size_t>(n));
  close(fd);
  return reply;
}

// A left-aligned text table; columns as wide as their widest cell.
void print_table(const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width(header.size());
  for (size_t c = 0; c < header.size(); ++c) width[c] = header[c].size();
  for (const auto& r : rows) {
    for (size_t c = 0; c < r.size(); ++c) width[c] = std::max(width[c], r[c].size());
  }
  const auto line = [&width](const std::vector<std::string>& cells) {
    std::string text;
    for (size_t c = 0; c < cells.size(); ++c) {
      text += cells[c];
      if (c + 1 < cells.size()) text += std::string(width[c] - cells[c].size() + 2, ' ');
    }
    std::puts(text.c_str());
  };
  line(header);
  for (const auto& r : rows) line(r);
}

// The daemon's answer is trusted no further than its syntax: a missing or mistyped field is
// shown as "-" rather than aborting the CLI.
const json& field(const json& object, const char* key) {
  static const json missing;
  return object.is_object() && object.contains(key) ? object[key] : missing;
}

std::string text(const json& v) {
  if (v.is_null()) return "-";
  return v.is_string() ? v.get<std::string>() : v.dump();
}

const json& list(const json& v) {
  static const json empty = json::array();
  return v.is_array() ? v : empty;
}

void print_vips(const json& r) {
  std::vector<std::vector<std::string>> rows;
  for (const json& v : list(r)) {
    rows.push_back({text(field(v, "name")), text(field(v, "address")), text(field(v, "ports")),
                    text(field(v, "protocol")), text(field(v, "mode")), text(field(v, "scheduler")),
                    text(field(v, "servers"))});
  }
  print_table({"NAME", "ADDRESS", "PORTS", "PROTO", "MODE", "SCHED", "SERVERS"}, rows);
}

// The agent's words as one cell: "75%", "drain 50%", "down"; "-" without an agent.
std::string agent_cell(const json& agent) {
  if (!agent.is_object()) return "-";
  std::string cell;
  const auto add = [&cell](const std::string& word) { cell += (cell.empty() ? "" : " ") + word; };
  if (field(agent, "up").is_boolean()) add(field(agent, "up").get<bool>() ? "up" : "down");
  if (field(agent, "admin").is_string()) add(field(agent, "admin").get<std::string>());
  if (field(agent, "percent").is_number()) add(text(field(agent, "percent")) + "%");
  return cell.empty() ? "normal" : cell;
}

void print_servers(const json& r) {
  std::vector<std::vector<std::string>> rows;
  for (const json& s : list(r)) {
    std::string health = text(field(s, "health"));
    if (text(field(s, "check_result")) != "") health += " (" + text(field(s, "check_result")) + ")";
    rows.push_back({text(field(s, "vip")),
                    text(field(s, "vip_address")) + ":" + text(field(s, "ports")) + "/" +
                        text(field(s, "protocol")),
                    text(field(s, "server")), text(field(s, "role")), text(field(s, "state")),
                    health, agent_cell(field(s, "agent")),
                    text(field(s, "weight")) + "/" + text(field(s, "configured_weight")),
                    text(field(s, "active_conns")), text(field(s, "inactive_conns")),
                    text(field(s, "total_conns")), text(field(s, "decided_by"))});
  }
  print_table({"VIP", "SERVICE", "SERVER", "ROLE", "STATE", "HEALTH", "AGENT", "WEIGHT", "ACTIVE",
               "INACT", "TOTAL", "OUT BECAUSE"},
              rows);
}

// A rate as a whole number per second, as ipvsadm --rate shows it.
std::string per_second(const json& v) {
  return v.is_number() ? std::to_string(std::llround(v.get<double>())) : "-";
}

// The appliance's own counters, its ports and workers: "show stats" without a VIP.
void print_appliance(const json& r) {
  std::vector<std::vector<std::string>> rows;
  for (const char* k : {"workers", "rx_packets", "tx_packets", "to_kernel", "conns_created",
                        "handed_off", "icmp_translated", "icmp_sent", "echo_replied",
                        "half_open_evicted", "active_conns", "inactive_conns",
                        "exception_dropped", "events_dropped"}) {
    rows.push_back({k, text(field(r, k))});
  }
  for (const char* k : {"conns_per_second", "rx_per_second", "tx_per_second"}) {
    rows.push_back({k, per_second(field(r, k))});
  }
  const json& drops = field(r, "drops");
  if (drops.is_object()) {
    for (const auto& [name, count] : drops.items()) {
      if (!count.is_number() || count != 0) rows.push_back({"drop." + name, text(count)});
    }
  }
  for (const json& p : list(field(r, "ports"))) {
    const std::string prefix = "port." + text(field(p, "name")) + ".";
    for (const char* k : {"rx_packets", "tx_packets", "rx_bytes", "tx_bytes", "rx_missed",
                          "rx_errors", "tx_errors", "rx_no_mbuf"}) {
      rows.push_back({prefix + k, text(field(p, k))});
    }
    for (const char* k : {"rx_per_second", "tx_per_second", "rx_bytes_per_second",
                          "tx_bytes_per_second"}) {
      rows.push_back({prefix + k, per_second(field(p, k))});
    }
  }
  for (const json& w : list(field(r, "per_worker"))) {
    const std::string prefix = "worker." + text(field(w, "worker")) + ".";
    for (const char* k :
         {"rx_packets", "tx_packets", "conns_created", "handed_off", "taken_over", "loops"}) {
      rows.push_back({prefix + k, text(field(w, k))});
    }
    const json& idle = field(w, "idle_share");
    rows.push_back({prefix + "idle",
                    idle.is_number() ? std::to_string(std::lround(idle.get<double>() * 100)) + "%"
                                     : "-"});
    const json& worker_drops = field(w, "drops");
    if (worker_drops.is_object()) {
      for (const auto& [name, count] : worker_drops.items()) {
        if (!count.is_number() || count != 0) rows.push_back({prefix + "drop." + name, text(count)});
      }
    }
  }
  print_table({"COUNTER", "VALUE"}, rows);
}

// Per service and real server, as ipvsadm --stats (or --rate) counts them.
void print_services(const json& r, bool rate) {
  std::vector<std::vector<std::string>> rows;
  const auto row = [rate](const std::string& vip, const std::string& server, const json& x) {
    std::vector<std::string> cells{vip, server, text(field(x, "active_conns")),
                                   text(field(x, "inactive_conns"))};
    const json& t = rate ? field(x, "rates") : field(x, "traffic");
    const auto cell = [rate](const json& v) { return rate ? per_second(v) : text(v); };
    cells.push_back(cell(field(rate ? t : x, rate ? "conns" : "total_conns")));
    for (const char* k : {"packets_in", "packets_out", "bytes_in", "bytes_out"}) {
      cells.push_back(cell(field(t, k)));
    }
    return cells;
  };
  for (const json& s : list(field(r, "services"))) {
    std::string where;
    for (const json& l : list(field(s, "listeners"))) {
      where += (where.empty() ? "" : " ") + text(field(l, "address")) + ":" +
               text(field(l, "ports")) + "/" + text(field(l, "protocol"));
    }
    rows.push_back(row(text(field(s, "vip")), where, s));
    for (const json& server : list(field(s, "servers"))) {
      rows.push_back(row("", "  -> " + text(field(server, "server")) +
                                 (text(field(server, "role")) == "fallback" ? " (fallback)" : ""),
                         server));
    }
  }
  if (rate) {
    print_table({"VIP", "SERVICE / SERVER", "ACTIVE", "INACT", "CPS", "INPPS", "OUTPPS", "INBPS",
                 "OUTBPS"},
                rows);
  } else {
    print_table({"VIP", "SERVICE / SERVER", "ACTIVE", "INACT", "CONNS", "INPKTS", "OUTPKTS",
                 "INBYTES", "OUTBYTES"},
                rows);
  }
}

void print_persistence(const json& r) {
  std::vector<std::vector<std::string>> rows;
  for (const json& p : list(r)) {
    rows.push_back({text(field(p, "vip")), text(field(p, "client")), text(field(p, "server")),
                    text(field(p, "expires_in"))});
  }
  print_table({"VIP", "CLIENT", "SERVER", "EXPIRES"}, rows);
}

void print_neighbours(const json& r) {
  std::vector<std::vector<std::string>> rows;
  for (const json& n : list(r)) {
    rows.push_back({text(field(n, "address")), text(field(n, "interface")), text(field(n, "mac")),
                    text(field(n, "state")), text(field(n, "expires_in"))});
  }
  print_table({"ADDRESS", "INTERFACE", "MAC", "STATE", "EXPIRES"}, rows);
}

void print_ha(const json& r) {
  std::vector<std::vector<std::string>> rows;
  for (const json& h : list(field(r, "instances"))) {
    rows.push_back({text(field(h, "name")), text(field(h, "interface")), text(field(h, "vrid")),
                    text(field(h, "state")) +
                        (field(h, "maintenance") == true ? " (maintenance)" : ""),
                    text(field(h, "priority")) + "/" + text(field(h, "configured_priority")),
                    text(field(h, "master")) + " (" + text(field(h, "master_priority")) + ")",
                    text(field(h, "adverts_sent")), text(field(h, "adverts_received")),
                    text(field(h, "last_change"))});
  }
  print_table({"INSTANCE", "INTERFACE", "VRID", "STATE", "PRIORITY", "MASTER", "SENT", "RECEIVED",
               "LAST CHANGE"},
              rows);
  const json& sync = field(r, "sync");
  if (!sync.is_object()) return;
  const int64_t heard = sync.value("last_heard_ms", int64_t{-1});
  std::printf("\nsync with %s: last heard %s; sent %s datagrams (%s records, %s waiting, %s failed); "
              "received %s (%s records, %s lost); unknown server %s, not ours %s, refused %s\n",
              text(field(sync, "peer")).c_str(),
              heard < 0 ? "never" : (std::to_string(heard) + " ms ago").c_str(),
              text(field(sync, "datagrams_sent")).c_str(), text(field(sync, "records_sent")).c_str(),
              text(field(sync, "outbox")).c_str(), text(field(sync, "send_failed")).c_str(),
              text(field(sync, "datagrams_received")).c_str(),
              text(field(sync, "records_received")).c_str(), text(field(sync, "lost")).c_str(),
              text(field(sync, "unknown_server")).c_str(), text(field(sync, "not_ours")).c_str(),
              text(field(sync, "learnt_refused")).c_str());
}

void print_conns(const json& r) {
  std::vector<std::vector<std::string>> rows;
  for (const json& c : list(r)) {
    rows.push_back({text(field(c, "protocol")), text(field(c, "client")), text(field(c, "vip")),
                    text(field(c, "server")), text(field(c, "mode")), text(field(c, "state")),
                    text(field(c, "expires_in")), text(field(c, "worker"))});
  }
  print_table({"PROTO", "CLIENT", "VIP", "SERVER", "MODE", "STATE", "EXPIRES", "WORKER"}, rows);
}

}  // namespace

int main(int argc, char** argv) {
  const char* env_socket = std::getenv("SLUICE_SOCKET");
  std::string socket_path = env_socket != nullptr ? env_socket : kDefaultSocket;
  bool as_json = false;
  static const option longs[] = {{"socket", required_argument, nullptr, 's'},
                                 {"json", no_argument, nullptr, 'j'},
                                 {"help", no_argument, nullptr, 'h'},
                                 {nullptr, 0, nullptr, 0}};
  int c = 0;
  // '+': stop at the first command word, so "set server ... weight -1" is not an option.
  while ((c = getopt_long(argc, argv, "+s:jh", longs, nullptr)) != -1) {
    switch (c) {
      case 's': socket_path = optarg; break;
      case 'j': as_json = true; break;
      case 'h': usage(stdout); return 0;
      default: usage(stderr); return 1;
    }
  }
  if (optind == argc) {
    usage(stderr);
    return 1;
  }
  std::string line;
  const std::vector<std::string> words(argv + optind, argv + argc);
  for (const std::string& w : words) line += (line.empty() ? "" : " ") + w;

  const std::string reply = request(socket_path, line);
  const json doc = json::parse(reply, nullptr, false);
  if (doc.is_discarded() || !field(doc, "ok").is_boolean()) {
    fail("unreadable answer from sluiced");
  }
  if (!field(doc, "ok").get<bool>()) fail(text(field(doc, "error")));
  const json& result = field(doc, "result");
  if (as_json) {
    std::puts(result.dump(2).c_str());
  } else if (line == "show vips") {
    print_vips(result);
  } else if (line == "show servers") {
    print_servers(result);
  } else if (words.size() >= 2 && words[0] == "show" && words[1] == "stats") {
    // With a VIP, that VIP's services only; --rate: rates per second instead of totals.
    const bool rate = std::ranges::find(words, "--rate") != words.end();
    const bool one_vip = words.size() > (rate ? 3u : 2u);
    if (!one_vip) {
      print_appliance(result);
      std::puts("");
    }
    print_services(result, rate);
  } else if (words.size() >= 2 && words[0] == "show" && words[1] == "ipvs") {
    std::fputs(text(result).c_str(), stdout);
  } else if (line == "show neighbours") {
    print_neighbours(result);
  } else if (line == "show ha") {
    print_ha(result);
  } else if (line == "show persistence") {
    print_persistence(result);
  } else if (line == "show conns") {
    print_conns(result);
  } else {
    std::puts(text(result).c_str());
  }
  return 0;
}
