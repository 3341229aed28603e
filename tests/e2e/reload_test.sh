#!/usr/bin/env bash
# End to end: configuration reload (sluicectl reload, SIGHUP).
#   - a good file is taken whole: a real server added to web-nat gets new connections, and
#     established connections keep going
#   - a reload that removes a real server keeps its established connections (as IPVS does)
#   - run-time overrides (sluicectl set server) survive a reload
#   - a bad file is refused with FILE:LINE:COLUMN; the running config and connections stay;
#     sluicectl prints every error, the log the first and how many more
#   - the log says what each reload changed
#   - SIGHUP reloads like sluicectl reload
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

e2e_begin
config=$E2E_TMP/sluice.yaml
vip=$VIP_NAT:80
nat3_line='{ address: 198.18.1.23, port: 8080, weight: 1 }'

# write_without_nat3: demo.yaml without web-nat's third real server.
write_without_nat3() {
  config_from_demo "$config" "\\|$nat3_line|d"
}

# nat_servers_in_config: the web-nat real servers sluiced runs now.
nat_servers_in_config() {
  ctl_json show servers | jq -r --arg v "$VIP_NAT" \
    '[.[] | select(.vip_address == $v and .protocol == "tcp") | .server] | sort | join(" ")'
}

# shellcheck disable=SC2317  # called through wait_until
nat_servers_are() { [ "$(nat_servers_in_config)" = "$1" ]; }

# burst LABEL COUNT: COUNT new requests to web-nat; the answers in $E2E_TMP/LABEL.txt.
burst() {
  http_burst "http://$VIP_NAT/" "$2" >"$E2E_TMP/$1.txt"
  say "$1: $(tally "$E2E_TMP/$1.txt")"
  check_eq "$1: all $2 requests answered" "$2" "$(answered "$E2E_TMP/$1.txt")"
}

# ---------------------------------------------------------------- start without nat3
write_without_nat3
check_eq "the start config lacks nat3 (one line removed)" \
  "$(($(wc -l <"$DEMO_CONFIG") - 1))" "$(wc -l <"$config")"
daemon_start "$config"
wait_http "http://$VIP_NAT/"
check_eq "web-nat runs nat1, nat2" "${RIP[nat1]} ${RIP[nat2]}" "$(nat_servers_in_config)"
burst before 30
check_eq "before reload: nat3 gets nothing" 0 "$(count_of nat3 "$E2E_TMP/before.txt")"

# ---------------------------------------------------------------- good reload
step "add nat3 to the file, sluicectl reload, with a connection held open and 8 clients connecting"
hold_open r1
unresolved_before=$(ctl_json show stats | jq '.drops.neighbour_unresolved')
# 8 clients open connections one after another through the reload; curl reports how long
# each took: a SYN dropped for an unknown MAC costs a 1 s retransmission.
clients=()
for c in $(seq 1 8); do
  in_client bash -c 'for i in $(seq 1 15); do
      curl -s -o /dev/null --max-time 3 -w "%{http_code} %{time_total}\n" "http://$1/" || echo "FAIL 9"
      sleep 0.02
    done' _ "$VIP_NAT" >"$E2E_TMP/during.$c" &
  clients+=($!)
done
sleep 0.3
config_from_demo "$config"
check "sluicectl reload succeeds" ctl reload
wait "${clients[@]}"
during=$(cat "$E2E_TMP"/during.*)
slowest=$(awk '{ if ($2 > max) max = $2 } END { print max + 0 }' <<<"$during")
say "connections during the reload: $(grep -c '^200 ' <<<"$during") of 120 answered, slowest ${slowest} s"
check_eq "every connection opened during the reload is answered" 120 "$(grep -c '^200 ' <<<"$during")"
check "none waited for a SYN retransmission (all under 0.9 s)" awk -v m="$slowest" 'BEGIN { exit !(m < 0.9) }'
check_eq "no SYN dropped for an unresolved next hop" "$unresolved_before" \
  "$(ctl_json show stats | jq '.drops.neighbour_unresolved')"
check_eq "web-nat runs nat1, nat2, nat3" "${RIP[nat1]} ${RIP[nat2]} ${RIP[nat3]}" "$(nat_servers_in_config)"
check_eq "nat3's next hop is resolved (show servers: reachable)" true \
  "$(ctl_json show servers | jq -r --arg s "${RIP[nat3]}" '[.[] | select(.server == $s)][0].reachable')"
check "the log says what the reload changed" \
  grep -Eq "level=notice event=reload to=taken reason=\"generation [0-9]+: real servers: added web-nat ${RIP[nat3]//./\\.}\"$" "$DAEMON_LOG"
hold_release r1
check_match "the connection held across the reload gets its answer" '^answer nat[12]$' "$HELD_RESULT"
burst after 30
check_ge "after reload: nat3 takes new connections" "$(count_of nat3 "$E2E_TMP/after.txt")" 5

# ---------------------------------------------------------------- removed server
step "remove the server of a held connection, sluicectl reload: the connection goes on"
hold_open r2
held_server=$(conn_server "$(held_local r2)")
[ -n "$held_server" ] || abort "the held connection is not in show conns"
held_name=$(name_of "$held_server")
config_from_demo "$config" "\\|{ address: ${held_server%:*}, port: 8080, weight: 1 }|d"
check "sluicectl reload without $held_name" ctl reload
check_eq "web-nat runs two servers" 2 "$(wc -w <<<"$(nat_servers_in_config)")"
check_eq "show conns still lists it, on $held_name" "$held_server" "$(conn_server "$(held_local r2)")"
check_ge "show stats still counts it as active" "$(ctl_json show stats | jq .active_conns)" 1
hold_release r2
check_eq "the connection to the removed $held_name still gets its answer" "answer $held_name" "$HELD_RESULT"
check_eq "nothing was dropped as server_halted" 0 "$(ctl_json show stats | jq '.drops.server_halted')"
config_from_demo "$config"
check "sluicectl reload with all three again" ctl reload

# ---------------------------------------------------------------- overrides survive a reload
step "a set-server override survives reload"
check "sluicectl set server $vip ${RIP[nat2]} state drain" ctl set server "$vip" "${RIP[nat2]}" state drain
check "sluicectl reload (same file)" ctl reload
check_eq "nat2 is still drain after the reload" drain "$(server_field "$vip" "${RIP[nat2]}" state)"
burst override 30
check_eq "the drained nat2 gets no new connections" 0 "$(count_of nat2 "$E2E_TMP/override.txt")"
check "sluicectl set server $vip ${RIP[nat2]} state online" ctl set server "$vip" "${RIP[nat2]}" state online

# ---------------------------------------------------------------- bad files
# try_bad_file LABEL SED-SCRIPT MARKER: writes demo.yaml edited by SED-SCRIPT (the broken line
# contains MARKER), checks that reload refuses it with FILE:LINE:COLUMN and that nothing
# changed: same servers, all requests answered, a held connection still answers.
try_bad_file() {
  local label=$1 script=$2 marker=$3 line out rc=0
  step "bad file ($label): reload refused, service untouched"
  hold_open "bad-$label"
  config_from_demo "$config" "$script"
  line=$(line_of "$marker" "$config")
  [ -n "$line" ] || abort "test bug: the $label edit did not apply"
  out=$(ctl reload 2>&1) || rc=$?
  check_ge "sluicectl reload exits non-zero" "$rc" 1
  check_match "the error names $config:$line:COLUMN" "${config//./\\.}:$line:[0-9]+" "$out"
  check_eq "the error is one line" 1 "$(count_matching . "$out")"
  check "sluiced still answers show vips" ctl show vips
  check_eq "web-nat still runs nat1, nat2, nat3" "${RIP[nat1]} ${RIP[nat2]} ${RIP[nat3]}" "$(nat_servers_in_config)"
  burst "bad-$label" 30
  check_ge "nat3 (running config) still gets connections" "$(count_of nat3 "$E2E_TMP/bad-$label.txt")" 5
  hold_release "bad-$label"
  check_match "the held connection still gets its answer" '^answer nat[123]$' "$HELD_RESULT"
}
try_bad_file unknown-key '/^    scheduler: rr$/a\    colour: blue' 'colour: blue'
try_bad_file bad-value 's/^    scheduler: rr$/    scheduler: fastest/' 'scheduler: fastest'
try_bad_file bad-weight "s|{ address: 198.18.1.22, port: 8080, weight: 1 }|{ address: 198.18.1.22, port: 8080, weight: 70000 }|" 'weight: 70000'

step "a file with two errors: sluicectl reload prints both, the log the first and a count"
config_from_demo "$config" $'/^    scheduler: rr$/a\\    colour: blue\ns/^    scheduler: wrr$/    scheduler: fastest/'
out=$(ctl reload 2>&1) || true
check_eq "sluicectl prints two lines" 2 "$(count_matching . "$out")"
check_eq "each names sluicectl and FILE:LINE:COLUMN" 2 "$(count_matching "^sluicectl: ${config//./\\.}:[0-9]+:[0-9]+: " "$out")"
check "the log has the first error and (+1 more)" \
  grep -Eq "level=notice event=reload to=refused reason=\"${config//./\\.}:[0-9]+:[0-9]+: .* \(\+1 more\)\"$" "$DAEMON_LOG"

# ---------------------------------------------------------------- SIGHUP
step "SIGHUP with a fixed file (nat3 removed again)"
write_without_nat3
kill -HUP "$DAEMON_PID"
if wait_until 10 "SIGHUP reload to drop nat3" nat_servers_are "${RIP[nat1]} ${RIP[nat2]}"; then
  pass "SIGHUP reloaded the file: web-nat runs nat1, nat2"
else
  fail "SIGHUP reloaded the file" "web-nat runs: $(nat_servers_in_config)"
fi
burst sighup 30
check_eq "after SIGHUP: nat3 gets nothing" 0 "$(count_of nat3 "$E2E_TMP/sighup.txt")"

step "SIGHUP with a bad file: refused, logged with FILE:LINE:COLUMN"
config_from_demo "$config" '/^    scheduler: rr$/a\    colour: blue'
line=$(line_of 'colour: blue' "$config")
kill -HUP "$DAEMON_PID"
if wait_until 10 "the log to report $config:$line" grep -Eq "${config//./\\.}:$line:[0-9]+" "$DAEMON_LOG"; then
  pass "the log names $config:$line:COLUMN"
else
  fail "the log names $config:$line:COLUMN" "$(tail -n 5 "$DAEMON_LOG")"
fi
check "sluiced still answers show vips" ctl show vips
check_eq "web-nat still runs nat1, nat2 (the running config)" "${RIP[nat1]} ${RIP[nat2]}" "$(nat_servers_in_config)"
burst sighup-bad 30

e2e_end
