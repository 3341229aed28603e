#include "config/load_http.h"

#include "config/secret_file.h"

namespace sluice::config {

std::optional<HttpSettings> parse_http(Context& cx, const Element& e) {
  const size_t errors_before = cx.error_count();
  HttpSettings http;
  http.origin = e.origin;
  const Fields f(cx, e, {"listen", "metrics", "status_page", "token_file"});
  if (!f.is_mapping()) return std::nullopt;
  std::optional<Element> listen = f.require("listen");
  if (listen) {
    if (const std::optional<std::string> text = read_string(cx, *listen)) {
      const std::optional<Endpoint> endpoint = parse_endpoint(*text);
      if (!endpoint) {
        cx.error(listen->origin, "expected ADDRESS:PORT (198.18.0.1:9100, [2001:db8::1]:9100), got " +
                                     quote(*text));
      } else {
        http.listen = *endpoint;
      }
    }
  }
  if (auto v = f.get("metrics")) set(http.metrics, read_bool(cx, *v));
  if (auto v = f.get("status_page")) set(http.status_page, read_bool(cx, *v));
  if (!http.metrics && !http.status_page && cx.error_count() == errors_before) {
    cx.error(e.origin, "serves nothing: metrics and status_page are both false (remove the block)");
  }
  if (auto v = f.get("token_file")) {
    if (!http.status_page) {
      cx.error(v->origin, "is for the status page's actions: set status_page: true");
    } else if (listen && cx.error_count() == errors_before && !http.listen.address.is_loopback()) {
      // Plain HTTP: a token sent over the network could be read on the way and replayed.
      cx.error(v->origin, "actions need a loopback listen address (127.0.0.1, [::1]): the "
                          "endpoint speaks plain HTTP, and a token crossing the network could "
                          "be read and replayed");
    } else if (std::optional<std::string> path = read_string(cx, *v)) {
      http.token_file = *path;
      set(http.token, read_secret_file(cx, *v, *path, "token file"));
    }
  }
  if (cx.error_count() != errors_before) return std::nullopt;
  return http;
}

}  // namespace sluice::config
