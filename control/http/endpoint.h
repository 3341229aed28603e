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

  static Result<std::unique_ptr<HttpEndpoint>> open(EventLoop& loop, ControlApi& api,
                                                    const config::HttpSettings& settings,
                                                    const HttpLimits& limits = {});
  uint16_t port() const { return server_->port(); }

 private:
  HttpEndpoint(ControlApi& api, const config::HttpSettings& settings)
      : api_(api), settings_(settings) {}
  Reply handle(const Request& r);
  Reply metrics() const;
  Reply page() const;
  Reply overview() const;
  Reply action(const Request& r);
  std::string overview_html() const;

  ControlApi& api_;
  config::HttpSettings settings_;
  std::unique_ptr<HttpServer> server_;
};

}  // namespace sluice::control::http
