#!/usr/bin/env bash
# The HTTP endpoint with 4,000 real servers, in the lab (docs/performance.md, "HTTP endpoint"):
# the most an appliance takes is 4,096 (bench/metrics_perf renders 10,000 without one).
#   bench/scrape.sh [scrapes]
# sluiced runs the demo appliance plus 40 services of 100 real servers each (on nat1..3's
# addresses, ports 10000 and up) with the endpoint on 127.0.0.1:9100 in sl-lb. Prints, over
# `scrapes` requests each (default 20): the median and worst time of GET /metrics (each a fresh
# rendering) and of GET /status/overview (the page's refresh) as curl sees them, the size of
# each answer, and the worst time sluicectl show vips waited while overviews were fetched back
# to back (the loop's stall).
# Bounded: `scrapes` requests of 10 s at most each; the e2e library's trap tears down.
set -Eeuo pipefail
E2E_NAME=scrape_bench
# shellcheck source-path=SCRIPTDIR source=../tests/e2e/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../tests/e2e/lib.sh"
scrapes=${1:-20}

e2e_begin
config=$E2E_TMP/sluice.yaml
config_from_demo "$config"
{
  for ((v = 0; v < 40; v++)); do
    echo "  - name: bench$v"
    echo "    address: $VIP_NAT"
    echo "    ports: [$((1001 + v))]"
    echo "    protocol: tcp"
    echo "    mode: nat"
    echo "    real_servers:"
    for ((k = 0; k < 100; k++)); do
      i=$((v * 100 + k))
      echo "      - { address: 198.18.1.2$((i % 3 + 1)), port: $((10000 + i / 3)) }"
    done
  done
  printf 'http:\n  listen: 127.0.0.1:9100\n  status_page: true\n'
} >>"$config"
daemon_start "$config"
servers=$(ctl_json show servers | jq length)
say "$servers real servers"

# timed PATH PAUSE: "SECONDS BYTES" per request, one line each, PAUSE seconds apart (1.1 for
# /metrics: each scrape then renders afresh instead of taking the last second's rendering).
timed() {
  local i
  for ((i = 0; i < scrapes; i++)); do
    ip netns exec "$LB_NS" curl -s -o /dev/null --max-time 10 -w '%{time_total} %{size_download}\n' \
      "http://127.0.0.1:9100$1"
    sleep "$2"
  done
}
report() {  # NAME FILE
  sort -n "$2" | awk -v name="$1" '{t[NR] = $1 * 1000; b = $2} END {
    printf "%-21s median %6.1f ms  worst %6.1f ms  %6.2f MB\n", name, t[int((NR + 1) / 2)], t[NR], b / 1e6}'
}
timed /metrics 1.1 >"$E2E_TMP/metrics.txt"
report "GET /metrics" "$E2E_TMP/metrics.txt"
timed /status/overview 0 >"$E2E_TMP/overview.txt"
report "GET /status/overview" "$E2E_TMP/overview.txt"

# The control loop while the page's overview is fetched back to back (as 20 open pages
# would): how long sluicectl waits for show vips.
timed /status/overview 0 >/dev/null &
E2E_BG_PIDS+=("$!")
worst=0
for ((i = 0; i < 20; i++)); do
  t0=$(date +%s%N)
  ctl show vips >/dev/null
  ms=$((($(date +%s%N) - t0) / 1000000))
  [ "$ms" -le "$worst" ] || worst=$ms
  sleep 0.05
done
say "sluicectl show vips during back-to-back overviews: worst $worst ms (of 20)"
