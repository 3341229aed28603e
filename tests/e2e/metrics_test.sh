#!/usr/bin/env bash
# End to end: the HTTP endpoint's Prometheus metrics, scraped as an operator would: from a
# monitoring host on the client segment, at the appliance's own address (198.18.0.1, its TAP
# twin, reached through the data path's exception path).
#   - /metrics passes `promtool check metrics` and counts the traffic sent through a VIP
#   - a real Prometheus server (in sl-client) scrapes it; its query API returns the series
#   - a server drained by sluicectl shows in the next scrape
#   - bad input: unknown paths 404, wrong methods 405, malformed requests 400, huge headers
#     431, huge URLs 414, huge bodies 413, the status page and actions 404 (not configured);
#     slowloris connections are cut at their deadline, while sluicectl and other scrapers are
#     answered at once; sluiced's memory stays bounded
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

e2e_begin
config=$E2E_TMP/sluice.yaml
config_from_demo "$config"
printf 'http:\n  listen: 198.18.0.1:9100\n' >>"$config"
daemon_start "$config"
wait_http "http://$VIP_NAT/"
url=http://198.18.0.1:9100
scrape() { in_client curl -s --max-time 5 "$@"; }
status_of() { in_client curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$@"; }
abuse() { in_client "$PY" "$E2E_ROOT/tests/e2e/http_abuse.py" "$@"; }
vip=$VIP_NAT:80

step "scrape and promtool"
http_burst "http://$VIP_NAT/" 30 >"$E2E_TMP/burst.txt"
scrape "$url/metrics" >"$E2E_TMP/metrics.txt"
check "promtool check metrics passes" promtool check metrics <"$E2E_TMP/metrics.txt"
check_match "Content-Type is the text format 0.0.4" 'text/plain; version=0.0.4' \
  "$(in_client curl -s -o /dev/null -w '%{content_type}' "$url/metrics")"
total=$(awk '/^sluice_real_server_connections_total\{service="web-nat"/ {s += $2} END {print s + 0}' "$E2E_TMP/metrics.txt")
check_ge "web-nat's servers count the burst's connections ($total)" "$total" "$(answered "$E2E_TMP/burst.txt")"
check_match "nat1's series has the conventional labels" \
  '^sluice_real_server_connections_total\{service="web-nat",vip="198.18.0.11",port="80",protocol="tcp",server="198.18.1.21:8080",role="real"\} [0-9]+$' \
  "$(grep -F 'server="198.18.1.21:8080"' "$E2E_TMP/metrics.txt" | grep '^sluice_real_server_connections_total')"
check_match "web-nat is up" 'sluice_virtual_service_state\{service="web-nat",[^}]*state="up"\} 1' \
  "$(cat "$E2E_TMP/metrics.txt")"

step "a real Prometheus scrapes sluice"
mkdir -p "$E2E_TMP/prometheus"
cat >"$E2E_TMP/prometheus.yml" <<PROM
global: { scrape_interval: 1s, scrape_timeout: 1s }
scrape_configs:
  - job_name: sluice
    static_configs: [{ targets: ['198.18.0.1:9100'] }]
PROM
in_client prometheus --config.file="$E2E_TMP/prometheus.yml" --storage.tsdb.path="$E2E_TMP/prometheus" \
  --web.listen-address=127.0.0.1:9090 >"$E2E_TMP/prometheus.log" 2>&1 &
E2E_BG_PIDS+=("$!")
query() {  # PROMQL: the first result's value, or nothing
  in_client curl -s --max-time 2 --get --data-urlencode "query=$1" http://127.0.0.1:9090/api/v1/query |
    jq -r '.data.result[0].value[1] // empty' 2>/dev/null
}
# shellcheck disable=SC2317  # called through wait_until
query_is() { [ "$(query "$1")" = "$2" ]; }
# shellcheck disable=SC2317  # called through wait_until
query_ge() { local v; v=$(query "$1"); [ -n "$v" ] && [ "${v%.*}" -ge "$2" ]; }
if wait_until 30 "Prometheus has scraped sluice" query_is 'up{job="sluice"}' 1; then
  pass "Prometheus scrapes sluice: up{job=\"sluice\"} = 1"
else
  fail "Prometheus scrapes sluice" "$(tail -n 5 "$E2E_TMP/prometheus.log")"
fi
if wait_until 10 "the connections series" query_ge 'sum(sluice_real_server_connections_total{service="web-nat"})' "$total"; then
  pass "the query API returns web-nat's connections (>= $total)"
else
  fail "the query API returns web-nat's connections" "$(query 'sum(sluice_real_server_connections_total{service="web-nat"})')"
fi
check_eq "three web-nat real servers have series" 3 "$(query 'count(sluice_real_server_up{service="web-nat"})')"
ctl set server "$vip" "${RIP[nat1]}" state drain >/dev/null
if wait_until 10 "nat1 drained in Prometheus" query_is \
  "sluice_real_server_admin_state{server=\"${RIP[nat1]}\",service=\"web-nat\",state=\"drain\"}" 1; then
  pass "a drain by sluicectl reaches Prometheus"
else
  fail "a drain by sluicectl reaches Prometheus"
fi
check_match "web-nat is degraded" 'state="degraded"\} 1' \
  "$(scrape "$url/metrics" | grep '^sluice_virtual_service_state{service="web-nat"')"
ctl set server "$vip" "${RIP[nat1]}" state online >/dev/null

step "bad input"
check_eq "an unknown path: 404" 404 "$(status_of "$url/nope")"
check_eq "the status page is off: 404" 404 "$(status_of "$url/")"
check_eq "actions are off: 404" 404 "$(status_of -X POST --data 'set server x' "$url/action")"
check_eq "POST /metrics: 405" 405 "$(status_of -X POST "$url/metrics")"
check_eq "DELETE /metrics: 405" 405 "$(status_of -X DELETE "$url/metrics")"
check_eq "a request line without a version: 400" "HTTP/1.1 400 Bad Request" \
  "$(printf 'GET /metrics\r\n\r\n' | abuse raw 198.18.0.1 9100)"
check_eq "a line that is no HTTP: closed" closed "$(printf 'GARBAGE\r\n\r\n' | abuse raw 198.18.0.1 9100)"
check_eq "an unknown method: 405" "HTTP/1.1 405 Method Not Allowed" \
  "$(printf 'BREW /metrics HTTP/1.1\r\nHost: x\r\n\r\n' | abuse raw 198.18.0.1 9100)"
check_eq "a header without a colon: 400" "HTTP/1.1 400 Bad Request" \
  "$(printf 'GET /metrics HTTP/1.1\r\nHost: x\r\nbroken\r\n\r\n' | abuse raw 198.18.0.1 9100)"
rss_before=$(awk '/^VmRSS/ {print $2}' "/proc/$DAEMON_PID/status")
for _ in 1 2 3 4 5; do
  { printf 'GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: '; head -c 1000000 /dev/zero | tr '\0' a; printf '\r\n\r\n'; } |
    abuse raw 198.18.0.1 9100 >"$E2E_TMP/huge-header.txt"
done
check_match "a 1 MB header: 431" '^HTTP/1.1 431' "$(cat "$E2E_TMP/huge-header.txt")"
check_match "a 100 kB URL: 414" '^HTTP/1.1 414' \
  "$(printf 'GET /%s HTTP/1.1\r\nHost: x\r\n\r\n' "$(head -c 100000 /dev/zero | tr '\0' a)" | abuse raw 198.18.0.1 9100)"
check_match "a 10 MB body: 413" '^HTTP/1.1 413' \
  "$({ printf 'POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n'; head -c 10000000 /dev/zero; } | abuse raw 198.18.0.1 9100)"
rss_after=$(awk '/^VmRSS/ {print $2}' "/proc/$DAEMON_PID/status")
check_gt "sluiced's memory grew less than 8 MB ($rss_before -> $rss_after kB)" $((rss_before + 8192)) "$rss_after"

step "slowloris"
abuse slowloris 198.18.0.1 9100 40 25 >"$E2E_TMP/slowloris.txt" &
slow=$!
sleep 2
t0=$(date +%s%N)
check "sluicectl answers during slowloris" ctl show vips
check "a scrape from another address is answered during slowloris" \
  in_client curl -sf --max-time 2 --interface 198.18.0.3 -o /dev/null "$url/metrics"
t1=$(date +%s%N)
check_gt "both within 2 s ($(((t1 - t0) / 1000000)) ms)" 2000 $(((t1 - t0) / 1000000))
wait "$slow" || true
check_match "the endpoint closed the slow connections (16 per address, Prometheus's among them; the rest at once) within their 10 s deadline" \
  '^opened 40 closed 40 of 40, the last after (9|10|11|12)\.[0-9] s$' "$(cat "$E2E_TMP/slowloris.txt")"
# /metrics answers from a rendering up to 1 s old (Prometheus scrapes every second here): the
# count may show in the next one.
cuts() { scrape "$url/metrics" | grep '^sluice_http_connections_cut_total'; }
cuts_counted() { [[ $(cuts) =~ ^sluice_http_connections_cut_total\ 1[0-9]$ ]]; }
wait_until 5 "the cuts in a rendering" cuts_counted || true
check_match "http_connections_cut_total counts them" '^sluice_http_connections_cut_total 1[0-9]$' "$(cuts)"
check "the endpoint answers afterwards" in_client curl -sf --max-time 2 -o /dev/null "$url/metrics"

e2e_end
