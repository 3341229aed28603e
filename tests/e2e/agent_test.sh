#!/usr/bin/env bash
# End to end: the feedback agent, and checks against hostile targets.
#   agent    web-nat (198.18.0.11:80, wrr, weight 100 each) polls an agent on each NAT server
#            (:3333). nat1's agent says "drain", then "50%", then "up": show servers and the
#            traffic split follow (0, then half of the others' share, then an equal share);
#            garbage changes nothing; an agent that never closes times out and changes nothing
#   hostile  hc-hostile (:85) is checked over http on targets that accept and never answer,
#            reset, or send 1 MB: each gets its verdict and reason, and sluicectl stays quick
#            throughout (the slowest of 20 calls is measured)
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

e2e_begin
PEERS=$E2E_ROOT/tests/e2e/check_peers.py
step "agents on nat1..3, hostile check targets on :8090"
for s in nat1 nat2 nat3; do
  echo 100 >"$E2E_TMP/agent-$s"
  ip netns exec "sl-$s" "$PY" "$PEERS" agent 3333 "$E2E_TMP/agent-$s" &
  E2E_BG_PIDS+=("$!")
done
ip netns exec sl-nat1 "$PY" "$PEERS" silent 8090 &
E2E_BG_PIDS+=("$!")
ip netns exec sl-nat2 "$PY" "$PEERS" reset 8090 &
E2E_BG_PIDS+=("$!")
ip netns exec sl-nat3 "$PY" "$PEERS" flood 8090 &
E2E_BG_PIDS+=("$!")

config=$E2E_TMP/sluice.yaml
config_from_demo "$config" "/name: web-nat/,/real_servers/ s|scheduler: rr|scheduler: wrr\n    feedback: { type: agent, port: 3333, interval: 0.3, timeout: 0.25 }|; /port: 8080, weight: 1/ s|weight: 1|weight: 100|"
echo 25 >/run/sluice-lab/www/nat3/load  # the http feedback method reads it
cat >>"$config" <<EOF

  - name: fb-http
    address: $VIP_NAT
    ports: [88]
    protocol: tcp
    mode: nat
    scheduler: wrr
    feedback: { type: http, port: 8080, path: /load, interval: 0.3, timeout: 0.25 }
    real_servers:
      - { address: 198.18.1.22, port: 8080, weight: 100 }
      - { address: 198.18.1.23, port: 8080, weight: 100 }

  - name: hc-hostile
    address: $VIP_NAT
    ports: [85]
    protocol: tcp
    mode: nat
    health_check: { type: http, port: 8090, interval: 1, timeout: 0.5, rise: 1, fall: 1 }
$(nat_real_servers_yaml)
EOF
daemon_start "$config"
wait_http "http://$VIP_NAT/"

field_of() {
  ctl_json show servers | jq -c --arg v "$1" --arg s "$2" --arg f "$3" \
    '[.[] | select(.vip == $v and .server == $s)][0][$f] // empty' | tr -d '"'
}
weight_is() { [ "$(field_of web-nat "${RIP[$1]}" weight)" = "$2" ]; }
say_agent() { echo "$1" >"$E2E_TMP/agent-nat1.tmp" && mv "$E2E_TMP/agent-nat1.tmp" "$E2E_TMP/agent-nat1"; }

# ---------------------------------------------------------------- drain, 50%, up
step "nat1's agent says drain"
wait_until 5 "agents heard" weight_is nat1 100 || true
check_eq "every server starts at weight 100" "100 100 100" \
  "$(field_of web-nat "${RIP[nat1]}" weight) $(field_of web-nat "${RIP[nat2]}" weight) $(field_of web-nat "${RIP[nat3]}" weight)"
say_agent drain
wait_until 5 "nat1 drained" bash -c "[ \"\$(timeout 5 $SLUICECTL --socket $SOCKET --json show servers | jq -r '.[] | select(.vip == \"web-nat\" and .server == \"${RIP[nat1]}\") | .decided_by')\" = 'agent drain' ]" || true
check_eq "show servers: nat1 is out because of the agent" "agent drain" "$(field_of web-nat "${RIP[nat1]}" decided_by)"
check_eq "show servers: nat1 takes no new connections (drain)" drain "$(field_of web-nat "${RIP[nat1]}" effective_state)"
check_eq "show servers: the operator's state is untouched" online "$(field_of web-nat "${RIP[nat1]}" state)"
http_burst "http://$VIP_NAT/" 30 >"$E2E_TMP/drain.txt"
say "agent drain: $(tally "$E2E_TMP/drain.txt")"
check_eq "drain: all answered" 30 "$(answered "$E2E_TMP/drain.txt")"
check_eq "drain: none to nat1" 0 "$(count_of nat1 "$E2E_TMP/drain.txt")"

step "nat1's agent says 50%"
say_agent "50%"
wait_until 5 "nat1 at weight 50" weight_is nat1 50 || true
check_eq "show servers: nat1's weight is 50 of 100" "50/100" \
  "$(field_of web-nat "${RIP[nat1]}" weight)/$(field_of web-nat "${RIP[nat1]}" configured_weight)"
http_burst "http://$VIP_NAT/" 50 >"$E2E_TMP/half.txt"
say "agent 50%: $(tally "$E2E_TMP/half.txt")"
n1=$(count_of nat1 "$E2E_TMP/half.txt")
check_ge "50%: nat1 takes some (wrr 50:100:100 gives it 10 of 50)" "$n1" 6
check_ge "50%: nat1 takes less than the others" "$(( $(count_of nat2 "$E2E_TMP/half.txt") - n1 ))" 4

step "nat1's agent says up"
say_agent up
wait_until 5 "nat1 at weight 100" weight_is nat1 100 || true
check_eq "show servers: nat1's weight is 100 again" 100 "$(field_of web-nat "${RIP[nat1]}" weight)"
http_burst "http://$VIP_NAT/" 30 >"$E2E_TMP/up.txt"
say "agent up: $(tally "$E2E_TMP/up.txt")"
check_ge "up: nat1 takes its share again" "$(count_of nat1 "$E2E_TMP/up.txt")" 8

step "garbage from nat1's agent, and an agent that never closes on nat2"
say_agent "75%"
wait_until 5 "nat1 at 75" weight_is nat1 75 || true
say_agent "hello world"
wait_until 5 "garbage heard" bash -c "$SLUICECTL --socket $SOCKET --json show servers | grep -q 'no usable reply'" || true
check_eq "garbage changes nothing: nat1 keeps weight 75" 75 "$(field_of web-nat "${RIP[nat1]}" weight)"
check_match "show servers says the reply was not usable" 'no usable reply' "$(field_of web-nat "${RIP[nat1]}" agent)"
check_match "the unknown word is logged" 'level=warning event=agent_unknown_word .*word=hello' "$(cat "$DAEMON_LOG")"
pkill -f "$PEERS agent 3333 $E2E_TMP/agent-nat2" || true
ip netns exec sl-nat2 "$PY" "$PEERS" endless 3333 &
E2E_BG_PIDS+=("$!")
wait_until 5 "nat2's agent timed out" bash -c "$SLUICECTL --socket $SOCKET --json show servers | grep -q 'timeout after 0.25 s'" || true
check_match "an agent that never closes times out" 'timeout after 0.25 s' "$(field_of web-nat "${RIP[nat2]}" agent)"
check_eq "and nat2 keeps its last weight" 100 "$(field_of web-nat "${RIP[nat2]}" weight)"

# ---------------------------------------------------------------- the http feedback method
step "http feedback: nat3 serves /load = 25, nat2 has no such page"
wait_until 5 "nat3 at 25" bash -c "[ \"\$($SLUICECTL --socket $SOCKET --json show servers | jq -r '.[] | select(.vip == \"fb-http\" and .server == \"${RIP[nat3]}\") | .weight')\" = 25 ]" || true
check_eq "fb-http: nat3's weight is 25 of 100 (its page says 25)" 25 "$(field_of fb-http "${RIP[nat3]}" weight)"
check_eq "fb-http: nat2 keeps 100 (HTTP 404 is not a report)" 100 "$(field_of fb-http "${RIP[nat2]}" weight)"
check_match "fb-http: show servers says why" 'HTTP 404' "$(field_of fb-http "${RIP[nat2]}" agent)"

# ---------------------------------------------------------------- hostile check targets
step "http checks of targets that never answer, reset, or send 1 MB"
check_eq "a target that accepts and never answers is down" down "$(field_of hc-hostile "${RIP[nat1]}" health)"
check_match "  ...after its timeout" 'timeout after 0.5 s' "$(field_of hc-hostile "${RIP[nat1]}" check_result)"
check_eq "a target that resets is down" down "$(field_of hc-hostile "${RIP[nat2]}" health)"
say "reset target: $(field_of hc-hostile "${RIP[nat2]}" check_result)"
check_eq "a target sending 1 MB is judged on what was read (HTTP 200: up)" "up HTTP 200" \
  "$(field_of hc-hostile "${RIP[nat3]}" health) $(field_of hc-hostile "${RIP[nat3]}" check_result)"
slowest=0
for _ in $(seq 20); do
  t0=$(date +%s%N)
  ctl show servers >/dev/null
  ms=$((($(date +%s%N) - t0) / 1000000))
  [ "$ms" -gt "$slowest" ] && slowest=$ms
  sleep 0.1
done
say "slowest of 20 'sluicectl show servers' while all of this runs: ${slowest} ms"
check_ge "sluicectl stays responsive (slowest call under 1 s)" "$((1000 - slowest))" 0

e2e_end
