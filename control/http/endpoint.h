// The HTTP endpoint (docs/operations.md, "The HTTP endpoint"): an adapter over the control
// API, as the control-socket commands are, served by control/http/server.h on the loop.
//   GET /metrics          Prometheus text format (http.metrics)
//   GET /                 the status page (http.status_page)
//   GET /status/overview  its refreshed fragment
//   POST /action          a `set server ...` line, with "Authorization: Bearer TOKEN"
//                         (http.token_file; loopback listeners only)
// Anything else: 404, or 405 for a known path and another method.
// Thread safety: the event loop's thread only.
#pragma once

#include <memory>

#include "common/result.h"
#include "config/model.h"
#include "control/api.h"
#include "control/event_loop.h"
#include "control/http/server.h"

namespace sluice::control::http {

class HttpEndpoint {
 public:
  // How often the page fetches its overview.
  static constexpr uint32_t kRefreshMs = 1000;
  // Scrapes within this long of a rendering get that rendering: one text serves a pair of
  // Prometheus servers, and clients that read slowly hold one copy between them, not one
  // each (a copy is about 1.6 kB per real server).
  static constexpr uint64_t kMetricsMaxAgeMs = 1000;

  static Result<std::unique_ptr<HttpEndpoint>> open(EventLoop& loop, ControlApi& api,
                                                    const config::HttpSettings& settings,
                                                    const HttpLimits& limits = {});
  uint16_t port() const { return server_->port(); }

 private:
  HttpEndpoint(EventLoop& loop, ControlApi& api, const config::HttpSettings& settings)
      : loop_(loop), api_(api), settings_(settings) {}
  Reply handle(const Request& r);
  Reply metrics();
  Reply page() const;
  Reply overview() const;
  Reply action(const Request& r);
  std::string overview_html() const;

  EventLoop& loop_;
  ControlApi& api_;
  config::HttpSettings settings_;
  std::unique_ptr<HttpServer> server_;
  std::shared_ptr<const std::string> metrics_;  // the last rendering, and when
  uint64_t metrics_at_ms_ = 0;
};

}  // namespace sluice::control::http
