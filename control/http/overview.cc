#include "control/http/overview.h"

#include <cstdio>
#include <ctime>
#include <iterator>

#include "control/http/escape.h"
#include "control/http/status_rules.h"

namespace sluice::control::http {
namespace {

// Appends `<TAG>text</TAG>` with the text escaped.
void cell(std::string& out, std::string_view text, std::string_view cls = "") {
  out += cls.empty() ? "<td>" : "<td class=\"" + std::string(cls) + "\">";
  append_html(out, text);
  out += "</td>";
}
void cell(std::string& out, uint64_t n) { cell(out, std::to_string(n), "n"); }

// Connections a second, to a tenth.
std::string per_second(double rate) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", rate);
  return text;
}

// Bytes a second as bits a second, in the unit a network operator reads: "12.3 Mbit/s".
std::string bits(double bytes_per_second) {
  constexpr const char* kUnits[] = {"bit/s", "kbit/s", "Mbit/s", "Gbit/s", "Tbit/s"};
  double v = bytes_per_second * 8;
  size_t unit = 0;
  while (v >= 1000 && unit + 1 < std::size(kUnits)) {
    v /= 1000;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.1f %s", v, kUnits[unit]);
  return text;
}

void rate_cells(std::string& out, const Rates& r) {
  cell(out, per_second(r.conns), "n");
  cell(out, bits(r.bytes_in) + " / " + bits(r.bytes_out), "n");
}

// As the seeds write it: "Online", "Online (Drain)", "Online (Halt)".
std::string admin_text(AdminState s) {
  if (s == AdminState::drain) return "Online (Drain)";
  if (s == AdminState::halt) return "Online (Halt)";
  return "Online";
}

std::string health_text(const ServerView& s) {
  std::string text = s.check ? std::string(to_string(s.run.health)) : "unchecked";
  if (!s.run.check_result.empty()) text += " (" + s.run.check_result + ")";
  return text;
}

std::string agent_text(const RunState& run) {
  if (!run.has_agent) return "";
  return run.agent_percent ? std::to_string(*run.agent_percent) + "%" : run.agent_result;
}

void actions(std::string& out, const std::string& ref, const ServerView& s) {
  out += "<td class=\"actions\" data-ref=\"";
  append_html(out, ref + " " + s.server);
  out += "\">";
  for (const AdminState a : Vocabulary<AdminState>::values) {
    out += "<button data-state=\"";
    out += to_string(a);
    out += "\">";
    out += to_string(a);
    out += "</button>";
  }
  out += "<input type=\"number\" min=\"0\" max=\"65535\" aria-label=\"weight\" value=\"";
  out += std::to_string(s.configured_weight);
  out += "\"><button data-weight>weight</button></td>";
}

void service(std::string& out, const OverviewInput& in, const ServiceGroup& group) {
  const VipView& first = *group.service;
  const std::span<const ServerView> servers = group.servers;
  const ServiceState state = state_of(servers);
  const auto ref = in.action_refs.find(first.name);
  uint64_t active = 0, inactive = 0, total = 0;
  Rates rates;
  for (const ServerView& s : servers) {
    active += s.counts.active;
    inactive += s.counts.inactive;
    total += s.counts.conns;
    rates.conns += s.rates.conns;
    rates.bytes_in += s.rates.bytes_in;
    rates.bytes_out += s.rates.bytes_out;
  }
  out += "<tbody class=\"service\" data-service=\"";
  append_html(out, first.name);
  out += "\"><tr class=\"vip state-";
  out += name_of(state);
  out += "\">";
  cell(out, first.name, "name");
  std::string where = format_ip(first.address) + " " + first.ports + "/" + first.protocol;
  for (const VipView& v : in.api.vips) {
    if (v.name == first.name && &v != &first) {
      where += ", " + format_ip(v.address) + " " + v.ports + "/" + v.protocol;
    }
  }
  cell(out, where);
  cell(out, std::string(to_string(first.mode)) + " " + to_string(first.scheduler));
  cell(out, name_of(state), "state");
  cell(out, "");
  cell(out, "");
  cell(out, active);
  cell(out, inactive);
  cell(out, total);
  rate_cells(out, rates);
  if (ref != in.action_refs.end()) cell(out, "");
  out += "</tr>";
  for (const ServerView& s : servers) {
    out += "<tr class=\"rip colour-";
    out += name_of(colour_of(s));
    out += "\" data-server=\"";
    append_html(out, s.server);
    out += "\">";
    cell(out, s.fallback ? s.server + " (fallback)" : s.server, "name");
    cell(out, health_text(s));
    // The operator's own rule is already said by the admin state.
    const bool other_rule = !s.decided_by.empty() && !s.decided_by.starts_with("operator");
    cell(out, admin_text(s.state) + (other_rule ? ", " + s.decided_by : ""));
    cell(out, std::to_string(s.weight) + " / " + std::to_string(s.configured_weight), "n");
    cell(out, agent_text(s.run), "n");
    cell(out, s.reachable ? "" : "no next hop");
    cell(out, s.counts.active);
    cell(out, s.counts.inactive);
    cell(out, s.counts.conns);
    rate_cells(out, s.rates);
    if (ref != in.action_refs.end()) actions(out, ref->second, s);
    out += "</tr>";
  }
  out += "</tbody>";
}

void ha_section(std::string& out, const OverviewInput& in) {
  if (in.api.ha.empty() && !in.api.sync) return;
  out += "<h2>High availability</h2><table class=\"ha\"><thead><tr><th>Instance</th><th>State</th>"
         "<th>Priority</th><th>Master</th><th>Last change</th></tr></thead><tbody>";
  for (const HaView& h : in.api.ha) {
    out += "<tr class=\"ha-";
    append_html(out, h.state);
    out += "\">";
    cell(out, h.name, "name");
    cell(out, std::string(h.state) + (h.maintenance ? " (maintenance)" : ""), "state");
    cell(out, h.priority);
    cell(out, h.master);
    cell(out, h.last_change);
    out += "</tr>";
  }
  if (in.api.sync) {
    out += "<tr>";
    cell(out, "sync with " + in.api.sync->peer, "name");
    cell(out, in.api.sync->last_heard_ms < 0 ? "peer never heard"
                                         : "peer heard " + std::to_string(in.api.sync->last_heard_ms) + " ms ago");
    cell(out, in.api.sync->records_sent);
    cell(out, in.api.sync->records_received);
    cell(out, "records sent, received");
    out += "</tr>";
  }
  out += "</tbody></table>";
}

}  // namespace

std::string render_overview(const OverviewInput& in) {
  std::string out;
  out.reserve(256 + in.api.servers.size() * 400);
  char when[32] = "";
  const time_t now = in.now;
  tm utc{};
  gmtime_r(&now, &utc);
  strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &utc);
  out += "<p class=\"meta\">";
  out += when;
  out += " &middot; ";
  const StatsView& st = in.api.stats;
  out += std::to_string(st.active_conns) + " active, " + std::to_string(st.inactive_conns) +
         " inactive connections, " + per_second(st.conns_per_second) + " new a second &middot; " +
         per_second(st.rx_per_second) + " packets a second in, " + per_second(st.tx_per_second) +
         " out</p>";
  const bool with_actions = !in.action_refs.empty();
  out += "<table class=\"services\"><thead><tr><th>Virtual service / real server</th>"
         "<th>Address / health</th><th>Mode / admin state</th><th>State / weight</th>"
         "<th>Agent</th><th></th><th>Active</th><th>Inactive</th><th>Total</th>"
         "<th>Conns/s</th><th>In / out</th>";
  if (with_actions) out += "<th>Actions</th>";
  out += "</tr></thead>";
  for (const ServiceGroup& group : by_service(in.api.vips, in.api.servers)) service(out, in, group);
  out += "</table>";
  ha_section(out, in);
  return out;
}

}  // namespace sluice::control::http
