#!/usr/bin/env bash
# End to end: run-time admin state and weight of a real server (sluicectl set server).
#   drain     no new connections; an established one still gets its answer
#   halt      no new connections; an established one is cut (no answer)
#   online    takes new connections again
#   weight 0  takes no new connections (state stays online); weight 1 restores it
# Works on web-nat (198.18.0.11:80, rr over nat1..3) with connections held open: the python
# real servers wait for the request line, so a connection without a request stays idle.
#   - after halt, a cut connection's packets and retransmissions all count as server_halted;
#     every set server is logged with its generation
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

e2e_begin
config=$E2E_TMP/sluice.yaml
config_from_demo "$config"
daemon_start "$config"
wait_http "http://$VIP_NAT/"
vip=$VIP_NAT:80

# burst_avoids LABEL SERVER COUNT: COUNT new requests all answered, none by SERVER.
burst_avoids() {
  local label=$1 server=$2 count=$3 file=$E2E_TMP/$1.txt
  http_burst "http://$VIP_NAT/" "$count" >"$file"
  say "$label: $(tally "$file")"
  check_eq "$label: all $count new requests answered" "$count" "$(answered "$file")"
  check_eq "$label: none went to $server" 0 "$(count_of "$server" "$file")"
}

# burst_reaches LABEL SERVER COUNT: COUNT new requests all answered, some by SERVER.
burst_reaches() {
  local label=$1 server=$2 count=$3 file=$E2E_TMP/$1.txt
  http_burst "http://$VIP_NAT/" "$count" >"$file"
  say "$label: $(tally "$file")"
  check_eq "$label: all $count new requests answered" "$count" "$(answered "$file")"
  check_ge "$label: $server takes new connections again" "$(count_of "$server" "$file")" 5
}

# ---------------------------------------------------------------- two idle connections on one server
step "hold connections until two share a real server"
# rr over three servers: of four connections two share a server (pigeonhole).
declare -A held_on=()  # server name -> ids of held connections on it
S="" A="" B=""
for id in h1 h2 h3 h4; do
  hold_open "$id"
  client=$(held_local "$id")
  wait_until 5 "$client established on a NAT server" nat_server_holding "$client" ||
    abort "held connection $client is established on no NAT real server"
  name=$(nat_server_holding "$client")
  wait_until 5 "show conns lists $client" conn_listed "$client" || true
  check_eq "show conns puts $client on $name, as $name's kernel does" "${RIP[$name]}" "$(conn_server "$client")"
  held_on[$name]+="$id "
  read -r -a ids <<<"${held_on[$name]}"
  if [ ${#ids[@]} -ge 2 ]; then S=$name A=${ids[0]} B=${ids[1]}; break; fi
done
[ -n "$S" ] || abort "no two held connections on one real server"
say "held connections $A and $B are both on $S (${RIP[$S]})"
check_ge "show servers: $S has at least 2 active connections" \
  "$(server_field "$vip" "${RIP[$S]}" active_conns)" 2
for id in "${!HELD_PID[@]}"; do
  [ "$id" = "$A" ] || [ "$id" = "$B" ] || { hold_release "$id"; check_match "spare held connection $id answers" '^answer nat[123]$' "$HELD_RESULT"; }
done

# ---------------------------------------------------------------- drain
step "drain $S"
check "sluicectl set server $vip ${RIP[$S]} state drain" ctl set server "$vip" "${RIP[$S]}" state drain
check_eq "show servers: $S is drain" drain "$(server_field "$vip" "${RIP[$S]}" state)"
burst_avoids drain "$S" 30
hold_release "$A"
check_eq "held connection $A on the drained $S still gets its answer" "answer $S" "$HELD_RESULT"

# ---------------------------------------------------------------- halt
step "halt $S"
check "sluicectl set server $vip ${RIP[$S]} state halt" ctl set server "$vip" "${RIP[$S]}" state halt
check_eq "show servers: $S is halt" halt "$(server_field "$vip" "${RIP[$S]}" state)"
hold_release "$B"
check_match "held connection $B on the halted $S gets no answer within 3 s" '^no-answer' "$HELD_RESULT"
# Its request and the kernel's retransmissions of it all count as server_halted.
check_ge "its packets count as server_halted" "$(ctl_json show stats | jq '.drops.server_halted')" 2
check_eq "none of them as tcp_no_conn" 0 "$(ctl_json show stats | jq '.drops.tcp_no_conn')"
check "the log tells the change and its generation" \
  grep -Eq "level=notice event=admin service=web-nat server=${RIP[$S]//./\\.} from=drain to=halt reason=\"sluicectl, generation [0-9]+\"" "$DAEMON_LOG"
burst_avoids halt "$S" 30

# ---------------------------------------------------------------- online
step "online $S"
check "sluicectl set server $vip ${RIP[$S]} state online" ctl set server "$vip" "${RIP[$S]}" state online
check_eq "show servers: $S is online" online "$(server_field "$vip" "${RIP[$S]}" state)"
burst_reaches online "$S" 30

# ---------------------------------------------------------------- weight
step "weight 0 on $S"
check "sluicectl set server $vip ${RIP[$S]} weight 0" ctl set server "$vip" "${RIP[$S]}" weight 0
check_eq "show servers: $S has weight 0" 0 "$(server_field "$vip" "${RIP[$S]}" weight)"
check_eq "show servers: $S is still online" online "$(server_field "$vip" "${RIP[$S]}" state)"
burst_avoids weight0 "$S" 30
check "sluicectl set server $vip ${RIP[$S]} weight 1" ctl set server "$vip" "${RIP[$S]}" weight 1
burst_reaches weight1 "$S" 30

e2e_end
