#include "control/http/page.h"

namespace sluice::control::http {
namespace {

// The seeds' colours: green normal, amber needs attention, red down, blue taken offline.
constexpr const char* kStyle = R"(
body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.4em;margin:0 0 .3em}h2{font-size:1.1em;margin:1.2em 0 .4em}
table{border-collapse:collapse;width:100%}th,td{padding:.3em .6em;text-align:left}
th{background:#445;color:#fff;font-weight:600}td.n{text-align:right}
tbody.service{border-top:2px solid #fff}
tr.vip td{font-weight:600;background:#e6e6ea}
tr.vip.state-up td.state,tr.colour-green td{background:#c8efc8}
tr.vip.state-degraded td.state,tr.colour-amber td{background:#ffe0a0}
tr.vip.state-down td.state,tr.colour-red td{background:#f5b5b5}
tr.vip.state-offline td.state,tr.colour-blue td{background:#bcd4f6}
tr.ha-master td.state{background:#c8efc8}tr.ha-backup td.state{background:#bcd4f6}
tr.ha-fault td.state{background:#f5b5b5}
.meta{color:#555}#error{color:#b00}input[type=number]{width:4.5em}td.actions{white-space:nowrap}
#auth{float:right}
)";

// Swaps the overview in every refresh; a failed fetch says so and keeps the last one. While
// the operator is in one of its fields (a weight being typed) the refresh waits: swapping
// would throw the typing away.
constexpr const char* kScript = R"(
const overview = document.getElementById('overview');
const error = document.getElementById('error');
async function refresh(forced) {
  if (forced !== true && overview.contains(document.activeElement) &&
      document.activeElement.tagName === 'INPUT') return;
  try {
    const r = await fetch('/status/overview', {cache: 'no-store'});
    if (!r.ok) throw new Error('HTTP ' + r.status);
    overview.innerHTML = await r.text();
    error.textContent = '';
  } catch (e) {
    error.textContent = 'not refreshed: ' + e.message;
  }
}
setInterval(refresh, REFRESH_MS);
)";

constexpr const char* kActionScript = R"(
const token = document.getElementById('token');
token.value = sessionStorage.getItem('sluice-token') || '';
token.addEventListener('change', () => sessionStorage.setItem('sluice-token', token.value));
overview.addEventListener('click', async (ev) => {
  const b = ev.target.closest('button');
  if (!b) return;
  const ref = b.closest('td').dataset.ref;
  const what = b.dataset.state !== undefined ? 'state ' + b.dataset.state
                                             : 'weight ' + b.previousElementSibling.value;
  const r = await fetch('/action', {method: 'POST', body: 'set server ' + ref + ' ' + what,
                                    headers: {'Authorization': 'Bearer ' + token.value}});
  error.textContent = r.ok ? '' : (await r.text());
  b.blur();
  refresh(true);
});
)";

}  // namespace

std::string render_page(const std::string& overview, uint32_t refresh_ms, bool actions) {
  std::string script = kScript;
  script.replace(script.find("REFRESH_MS"), 10, std::to_string(refresh_ms));
  std::string page =
      "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<title>sluice: System Overview</title><style>";
  page += kStyle;
  page += "</style></head><body>";
  if (actions) {
    page += "<label id=\"auth\">token <input id=\"token\" type=\"password\" "
            "autocomplete=\"off\"></label>";
  }
  page += "<h1>System Overview</h1><p id=\"error\"></p><div id=\"overview\">";
  page += overview;
  page += "</div><script>";
  page += script;
  if (actions) page += kActionScript;
  page += "</script></body></html>";
  return page;
}

}  // namespace sluice::control::http
