#!/usr/bin/env bash
# End to end: the operator's statistics.
#   - a client opens 25 connections a second to web-nat for 12 s: show stats --rate reads
#     25 connections a second (within 10 %) for the service, and its servers' rates add up
#   - packets and bytes both ways for nat servers; per worker an idle share; per port the
#     driver's byte counters
#   - show ipvs, --stats and --rate have ipvsadm -Ln's header and column layout
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

readonly RATE=25 LOAD_SECONDS=12

e2e_begin
config=$E2E_TMP/sluice.yaml
config_from_demo "$config"
daemon_start "$config"
wait_http "http://$VIP_NAT/"

step "a known rate: $RATE new connections a second to $VIP_NAT:80 for $LOAD_SECONDS s"
traffic=$E2E_TMP/traffic
in_client "$PY" "$E2E_ROOT/tests/e2e/ha_traffic.py" client --dir "$traffic" \
  --loop "$VIP_NAT:80" --every "$(jq -n "1 / $RATE")" --lifetime "$LOAD_SECONDS" &
E2E_BG_PIDS+=("$!")
# The rate window is 5 s: read it once it lies wholly inside the load.
sleep 8
ctl_json show stats "$VIP_NAT" >"$E2E_TMP/stats.json"
ctl show stats --rate "$VIP_NAT" >"$E2E_TMP/rate.txt"
cat "$E2E_TMP/rate.txt"
web=$(jq -c '.services[] | select(.vip == "web-nat")' "$E2E_TMP/stats.json")
cps=$(jq -r '.rates.conns' <<<"$web")
check "web-nat reads $RATE connections a second within 10 % (read $cps)" \
  jq -e --argjson r "$RATE" '.rates.conns >= 0.9 * $r and .rates.conns <= 1.1 * $r' <<<"$web"
check "its servers' rates add up to the service's" \
  jq -e '([.servers[].rates.conns] | add) - .rates.conns | fabs < 0.01' <<<"$web"
check "every nat server takes its share (rr: more than a quarter of the rate each)" \
  jq -e --argjson r "$RATE" '[.servers[] | select(.role == "real") | .rates.conns > 0.25 * $r] | all' <<<"$web"
check "the table's CPS column says it too" \
  grep -Eq "^web-nat +198\.18\.0\.11:80/tcp +[0-9]+ +[0-9]+ +(2[3-7]) " "$E2E_TMP/rate.txt"
check "only the services of $VIP_NAT are listed (web-nat, dns-nat)" \
  jq -e '[.services[].vip] | sort == ["dns-nat", "web-nat"]' "$E2E_TMP/stats.json"
wait_until 20 "the load to end" test -e "$traffic/summary" || true
check "the client's requests were all answered" \
  test "$(grep -c ' fail ' "$traffic/events" || true)" -eq 0

step "packets and bytes both ways, per server and service"
ctl_json show stats >"$E2E_TMP/all.json"
web=$(jq -c '.services[] | select(.vip == "web-nat")' "$E2E_TMP/all.json")
check "web-nat: packets and bytes in and out" \
  jq -e '.traffic | .packets_in > 0 and .packets_out > 0 and .bytes_in > 40 * .packets_in and .bytes_out > .bytes_in' <<<"$web"
check "web-nat's connections are its servers' sum" \
  jq -e '([.servers[].total_conns] | add) == .total_conns and .total_conns >= 250' <<<"$web"
check "web-dr: packets in, none out (dr replies bypass sluice)" \
  jq -e '.services[] | select(.vip == "web-dr") | .traffic.packets_out == 0' "$E2E_TMP/all.json"
check "worker 0 has an idle share between 0 and 1, and polls" \
  jq -e '.per_worker[0] | .idle_share >= 0 and .idle_share <= 1 and .loops > .idle_loops' "$E2E_TMP/all.json"
check "the ports carry the driver's byte counters" \
  jq -e '[.ports[] | .rx_bytes > 0 and .tx_bytes > 0] | all' "$E2E_TMP/all.json"
check "show servers carries the same traffic" \
  jq -e '[.[] | select(.vip == "web-nat" and .role == "real") | .traffic.packets_in > 0] | all' \
  <(ctl_json show servers)

step "show ipvs: ipvsadm -Ln's shape"
ctl show ipvs >"$E2E_TMP/ipvs.txt"
cat "$E2E_TMP/ipvs.txt"
check_eq "the version line" "IP Virtual Server version 1.2.1 (size=65536)" "$(sed -n 1p "$E2E_TMP/ipvs.txt")"
check_eq "the column titles" "Prot LocalAddress:Port Scheduler Flags|  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn" \
  "$(sed -n '2p;3p' "$E2E_TMP/ipvs.txt" | paste -sd '|')"
check "services, in ipvsadm's order" \
  test "$(grep -E '^(TCP|UDP)  ' "$E2E_TMP/ipvs.txt" | paste -sd '|')" = \
  "TCP  198.18.0.10:80 wlc|TCP  198.18.0.11:80 rr|UDP  198.18.0.11:53 wrr"
# ipvsadm: printf("  -> %-28s %-7s %-6d %-10u %-10u\n"): Forward at column 34, Weight 42, ...
check "every server line has ipvsadm's columns" \
  test "$(grep -cE '^  -> [0-9]' "$E2E_TMP/ipvs.txt")" -eq "$(grep -cE '^  -> [0-9][0-9.: ]{27} (Route  |Masq   ) [0-9 ]{6} [0-9 ]{10} [0-9 ]{10}$' "$E2E_TMP/ipvs.txt")"
check_eq "8 server lines (3 dr, 3 nat, 2 dns)" 8 "$(grep -cE '^  -> [0-9]' "$E2E_TMP/ipvs.txt")"
ctl show ipvs --stats >"$E2E_TMP/ipvs-stats.txt"
check_eq "--stats: the column titles" "Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes" \
  "$(sed -n 2p "$E2E_TMP/ipvs-stats.txt")"
check "--stats: web-nat's line is 33 columns of name and five 9-wide numbers" \
  grep -Eq '^TCP  198\.18\.0\.11:80 {15}( {0,8}[0-9]{1,9}){5}$' "$E2E_TMP/ipvs-stats.txt"
# ipvsadm: "%-33s" then five "%9llu" (a server's "  -> %-28s" is 33 too): 78 columns a line.
check "--stats: every service and server line is 78 columns" \
  test "$(sed -n '4,$p' "$E2E_TMP/ipvs-stats.txt" | awk 'length($0) != 78' | wc -l)" -eq 0
ctl show ipvs --rate >"$E2E_TMP/ipvs-rate.txt"
check_eq "--rate: the column titles" "Prot LocalAddress:Port                 CPS    InPPS   OutPPS    InBPS   OutBPS" \
  "$(sed -n 2p "$E2E_TMP/ipvs-rate.txt")"

step "bad arguments"
check_not "show stats 198.18.0.300 is refused" ctl show stats 198.18.0.300
check_not "show ipvs --exact is refused" ctl show ipvs --exact
out=$(ctl show stats 198.18.0.99 2>&1) || true
check_match "show stats of an address no service listens on says so" "no virtual service listens on 198\.18\.0\.99" "$out"

e2e_end
