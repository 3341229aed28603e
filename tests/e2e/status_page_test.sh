#!/usr/bin/env bash
# End to end: the status page of the HTTP endpoint, in headless Chromium, as an operator on
# the appliance (or through an SSH tunnel to its loopback) sees it.
#   - the page renders every real server in the seeds' colours (a checked service: a closed port
#     red, weight 0 amber, the service degraded); a server halted by sluicectl
#     turns blue within the refresh interval (1 s), without a reload; screenshots are kept in
#     build/e2e-output/status_page/
#   - with the token typed in, the page's "online" button brings it back (green)
#   - actions: no token 401, a wrong one 403, a command other than set server 400, a server
#     that does not exist 409, a body over 4096 bytes 413, GET 405; a right one changes the
#     weight as sluicectl would
#   - a reload that changes the http block is refused (a restart-only key)
# The endpoint listens on 127.0.0.1 in sl-lb (actions are refused on any other address of a
# plain-HTTP listener), so Chromium and curl run there.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

e2e_begin
token=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
(umask 077 && printf '%s\n' "$token" >"$E2E_TMP/http.token")
config=$E2E_TMP/sluice.yaml
config_from_demo "$config"
# A checked service beside the demo's, for the colours: nat3's port is closed (red), nat2 has
# weight 0 (amber).
cat >>"$config" <<YAML
  - name: web-checked
    address: $VIP_NAT
    ports: [81]
    protocol: tcp
    mode: nat
    health_check: { type: connect, interval: 0.5, timeout: 0.5 }
    real_servers:
      - { address: 198.18.1.21, port: 8080 }
      - { address: 198.18.1.22, port: 8080, weight: 0 }
      - { address: 198.18.1.23, port: 8099 }
http:
  listen: 127.0.0.1:9180
  status_page: true
  token_file: $E2E_TMP/http.token
YAML
daemon_start "$config"
wait_http "http://$VIP_NAT/"
url=http://127.0.0.1:9180
vip=$VIP_NAT:80
in_lb() { ip netns exec "$LB_NS" "$@"; }
status_of() { in_lb curl -s -o "$E2E_TMP/answer.txt" -w '%{http_code}' --max-time 5 "$@"; }
post() { status_of -X POST "$url/action" "$@"; }

step "the page and its fragment"
check_eq "GET /: 200" 200 "$(status_of "$url/")"
check_match "it is the System Overview" '<title>sluice: System Overview</title>' "$(cat "$E2E_TMP/answer.txt")"
check_eq "GET /status/overview: 200" 200 "$(status_of "$url/status/overview")"
check_match "nat1 is green" 'class="rip colour-green" data-server="198.18.1.21:8080"' "$(cat "$E2E_TMP/answer.txt")"
wait_until 10 "nat3's check fails" test "$(server_field "$VIP_NAT:81" 198.18.1.23:8099 health)" = down || true
status_of "$url/status/overview" >/dev/null
overview=$(cat "$E2E_TMP/answer.txt")
check_match "a server failing its check is red" 'class="rip colour-red" data-server="198.18.1.23:8099"' "$overview"
check_match "a server of weight 0 is amber" 'class="rip colour-amber" data-server="198.18.1.22:8080"' "$overview"
check_match "their service is degraded" 'data-service="web-checked"><tr class="vip state-degraded">' "$overview"
check_eq "metrics are served too" 200 "$(status_of "$url/metrics")"

step "actions"
check_eq "no token: 401" 401 "$(post --data "set server $vip ${RIP[nat2]} weight 5")"
check_eq "a wrong token: 403" 403 "$(post -H "Authorization: Bearer x$token" --data "set server $vip ${RIP[nat2]} weight 5")"
check_eq "a token as Basic: 403" 403 "$(post -H "Authorization: Basic $token" --data "set server $vip ${RIP[nat2]} weight 5")"
check_eq "nat2's weight unchanged" 1 "$(server_field "$vip" "${RIP[nat2]}" configured_weight)"
auth=(-H "Authorization: Bearer $token")
check_eq "reload is not taken here: 400" 400 "$(post "${auth[@]}" --data reload)"
check_eq "a malformed line: 400" 400 "$(post "${auth[@]}" --data "set server $vip")"
check_eq "an unknown server: 409" 409 "$(post "${auth[@]}" --data "set server $vip 198.18.1.99:8080 state drain")"
check_eq "a 10 kB body: 413" 413 "$(post "${auth[@]}" --data "$(head -c 10000 /dev/zero | tr '\0' a)")"
check_eq "GET /action: 405" 405 "$(status_of "${auth[@]}" "$url/action")"
check_eq "the right token: 200" 200 "$(post "${auth[@]}" --data "set server $vip ${RIP[nat2]} weight 5")"
check_eq "nat2's weight is 5" 5 "$(server_field "$vip" "${RIP[nat2]}" configured_weight)"

step "reload"
sed 's/127.0.0.1:9180/127.0.0.1:9181/' "$config" >"$config.tmp" && mv -f "$config.tmp" "$config"
check_match "a reload that moves the endpoint is refused: restart" 'http: changing this needs a restart' \
  "$(ctl reload 2>&1 || true)"
check_eq "the endpoint still answers where it was" 200 "$(status_of "$url/metrics")"

step "the page in headless Chromium"
rm -rf "$E2E_OUT" && mkdir -p "$E2E_OUT"
timeout --foreground 90 ip netns exec "$LB_NS" "$PY" "$E2E_ROOT/tests/e2e/cdp_page.py" "$url/" "$E2E_OUT" \
  --service web-nat --server "${RIP[nat1]}" --token "$token" -- \
  "$SLUICECTL" --socket "$SOCKET" set server "$vip" "${RIP[nat1]}" state halt >"$E2E_TMP/page.txt" 2>&1 || true
page=$(cat "$E2E_TMP/page.txt")
servers=$(ctl_json show servers | jq length)
check_match "the page renders every real server ($servers)" "^rendered: $servers servers\$" "$page"
check_match "nat1 is green first" '^before: colour-green$' "$page"
after=$(sed -n 's/^after: colour-blue in \([0-9]*\) ms$/\1/p' <<<"$page")
if [ -n "$after" ] && [ "$after" -le 1500 ]; then
  pass "halted by sluicectl, nat1 turns blue within the refresh interval ($after ms)"
else
  fail "halted by sluicectl, nat1 turns blue within the refresh interval" "$page"
fi
check_match "without reloading the page" '^reloaded: no$' "$page"
check_match "the page's online button (with the token) turns it green" '^clicked online: colour-green in [0-9]+ ms$' "$page"
check_eq "nat1 is online again" online "$(server_field "$vip" "${RIP[nat1]}" state)"
check_match "the log says the page made that change, and from where" \
  'event=admin service=web-nat server=198\.18\.1\.21:8080 from=halt to=online reason="status page 127\.0\.0\.1:[0-9]+, generation [0-9]+"' \
  "$(cat "$DAEMON_LOG")"
check_match "a weight being typed survives the page's refreshes" '^typed weight after refreshes: 7$' "$page"
check_eq "the page's weight button sets what was typed" 7 "$(server_field "$vip" "${RIP[nat1]}" configured_weight)"
check "the screenshot is kept ($E2E_OUT/status.png)" test -s "$E2E_OUT/status.png"

e2e_end
