// The status page itself (GET /): a static shell of HTML, CSS and script that fetches the
// overview fragment (GET /status/overview) every `refresh_ms` and swaps it in, without
// reloading the page. Polling rather than server-sent events: each refresh is one short
// request that ends, so a page left open holds no connection against the endpoint's limits,
// and the loop never keeps a response open.
// With actions, the buttons of each real server post a `set server` line to /action with the
// token the operator typed (kept in the tab's sessionStorage, sent as a Bearer header: a
// header no other site's page can make a browser send, unlike a cookie).
// Thread safety: a pure function.
#pragma once

#include <cstdint>
#include <string>

namespace sluice::control::http {

std::string render_page(const std::string& overview, uint32_t refresh_ms, bool actions);

}  // namespace sluice::control::http
