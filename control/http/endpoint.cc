#include "control/http/endpoint.h"

#include <ctime>

#include "control/command_parse.h"
#include "control/http/metrics.h"
#include "control/http/overview.h"
#include "control/http/page.h"
#include "control/http/token.h"

namespace sluice::control::http {
namespace {

Reply html_reply(std::string body) {
  Reply r = body_reply("text/html; charset=utf-8", std::make_shared<const std::string>(std::move(body)));
  // The page takes actions: no other site may frame it and have it clicked.
  r.headers = {{"Content-Security-Policy", "frame-ancestors 'none'"}, {"X-Frame-Options", "DENY"}};
  return r;
}

}  // namespace

Result<std::unique_ptr<HttpEndpoint>> HttpEndpoint::open(EventLoop& loop, ControlApi& api,
                                                         const config::HttpSettings& settings,
                                                         const HttpLimits& limits) {
  std::unique_ptr<HttpEndpoint> endpoint(new HttpEndpoint(loop, api, settings));
  HttpEndpoint* self = endpoint.get();
  Result<std::unique_ptr<HttpServer>> server =
      HttpServer::open(loop, settings.listen, limits, [self](const Request& r) { return self->handle(r); });
  if (!server) return Error{server.error()};
  endpoint->server_ = std::move(server.value());
  return endpoint;
}

Reply HttpEndpoint::handle(const Request& r) {
  const bool read = r.method == "GET" || r.method == "HEAD";
  const auto known = [&](bool enabled, bool method_ok, const char* allow,
                         auto&& serve) -> std::optional<Reply> {
    if (!enabled) return std::nullopt;
    if (!method_ok) {
      Reply refused = text_reply(405, std::string("method not allowed (allowed: ") + allow + ")");
      refused.headers.emplace_back("Allow", allow);
      return refused;
    }
    return serve();
  };
  std::optional<Reply> reply;
  if (r.path == "/metrics") {
    reply = known(settings_.metrics, read, "GET, HEAD", [&] { return metrics(); });
  } else if (r.path == "/") {
    reply = known(settings_.status_page, read, "GET, HEAD", [&] { return page(); });
  } else if (r.path == "/status/overview") {
    reply = known(settings_.status_page, read, "GET, HEAD", [&] { return overview(); });
  } else if (r.path == "/action") {
    reply = known(settings_.status_page, r.method == "POST", "POST", [&] { return action(r); });
  }
  return reply ? std::move(*reply) : text_reply(404, "not found");
}

Reply HttpEndpoint::metrics() {
  const uint64_t now = loop_.now_ms();
  if (!metrics_ || now - metrics_at_ms_ >= kMetricsMaxAgeMs) {
    metrics_ = std::make_shared<const std::string>(render_metrics(read_api(api_), server_->counters()));
    metrics_at_ms_ = now;
  }
  return body_reply("text/plain; version=0.0.4; charset=utf-8", metrics_);
}

std::string HttpEndpoint::overview_html() const {
  OverviewInput in{.api = read_api(api_),
                   .action_refs = {},
                   .now = static_cast<int64_t>(std::time(nullptr))};
  if (!settings_.token.empty()) {
    // `set server` names a service by its first address, lowest port and first protocol.
    for (const config::VirtualService& vs : api_.config().virtual_services) {
      const config::Listener& l = vs.listeners.front();
      in.action_refs[vs.name] = format_endpoint(l.address, l.ports.lowest()) + "/" +
                                to_string(l.protocols.front());
    }
  }
  return render_overview(in);
}

Reply HttpEndpoint::page() const {
  return html_reply(render_page(overview_html(), kRefreshMs, !settings_.token.empty()));
}

Reply HttpEndpoint::overview() const { return html_reply(overview_html()); }

Reply HttpEndpoint::action(const Request& r) {
  if (settings_.token.empty()) {
    return text_reply(403, "actions are off: http.token_file is not configured");
  }
  if (r.authorization.empty()) {
    Reply refused = text_reply(401, "an action needs Authorization: Bearer TOKEN");
    refused.headers.emplace_back("WWW-Authenticate", "Bearer");
    return refused;
  }
  if (!bearer_matches(r.authorization, settings_.token)) return text_reply(403, "wrong token");
  const ParsedCommand parsed = parse_command(r.body);
  if (!parsed.command) return text_reply(400, parsed.error);
  const auto* set = std::get_if<SetServer>(&*parsed.command);
  if (set == nullptr) return text_reply(400, "only set server ... is taken here");
  const std::string origin = "status page " + r.client;
  const Result<void> done = set->state ? api_.set_admin_state(*set, *set->state, origin)
                                       : api_.set_weight(*set, *set->weight, origin);
  if (!done) return text_reply(409, done.error());
  return text_reply(200, "changed");
}

}  // namespace sluice::control::http
