#!/usr/bin/env bash
# End to end: snat (full NAT). The real servers see a pool address as the client, so they need
# no route back through the appliance: the test takes their default route away, shows that
# plain nat then fails, and that snat still reaches every server.
#   web-snat  198.18.0.12:80  snat, rr, pool 198.18.1.5 -> nat1..3:8080
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

readonly VIP_SNAT=198.18.0.12
readonly POOL=198.18.1.5

e2e_begin
config=$E2E_TMP/sluice.yaml
config_from_demo "$config"
cat >>"$config" <<YAML

  - name: web-snat
    address: $VIP_SNAT
    ports: [80]
    protocol: tcp
    mode: snat
    scheduler: rr
    snat_pool: [$POOL]
$(nat_real_servers_yaml)
YAML
daemon_start "$config"
wait_http "http://$VIP_SNAT/"

step "the NAT real servers lose their route back to the clients"
for s in nat1 nat2 nat3; do ip -n "sl-$s" route del default; done
check_eq "nat1 has no default route" "" "$(ip -n sl-nat1 route show default)"

step "snat: 60 requests to $VIP_SNAT:80"
http_burst "http://$VIP_SNAT/" 60 >"$E2E_TMP/snat.txt"
say "answers: $(tally "$E2E_TMP/snat.txt")"
check_eq "all 60 snat requests answered" 60 "$(answered "$E2E_TMP/snat.txt")"
for s in nat1 nat2 nat3; do
  check_ge "$s answered snat requests" "$(count_of "$s" "$E2E_TMP/snat.txt")" 15
done

step "plain nat without the route back: the replies never reach sluice"
http_burst "http://$VIP_NAT/" 3 >"$E2E_TMP/nat.txt"
check_eq "no nat request answered" 0 "$(answered "$E2E_TMP/nat.txt")"

step "the real server sees the pool address, not the client"
dir=$E2E_TMP/held-snat
mkdir -p "$dir"
in_client "$PY" "$E2E_ROOT/tests/e2e/held_conn.py" "$VIP_SNAT" 80 --dir "$dir" \
  --src 198.18.0.2 --lifetime 60 --answer-timeout 3 >"$dir/out" 2>&1 &
HELD_PID[snat]=$!
HELD_DIR[snat]=$dir
wait_until 10 "the held snat connection to connect" test -s "$dir/local" ||
  abort "held snat connection did not connect"
peers=""
for s in nat1 nat2 nat3; do
  peers+=$(ip netns exec "sl-$s" ss -Htn state established '( sport = :8080 )' | awk '{print $4}')
  peers+=$'\n'
done
say "peers of the real servers: $(tr '\n' ' ' <<<"$peers")"
check_ge "a real server holds a connection from the pool address $POOL" \
  "$(count_matching "^$POOL:" "$peers")" 1
check_eq "no real server holds one from the client 198.18.0.2" 0 \
  "$(count_matching '^198\.18\.0\.2:' "$peers")"
hold_release snat
check_match "the held snat connection gets its answer" '^answer nat[123]$' "$HELD_RESULT"

step "counters"
check_eq "no snat source port ran out" 0 \
  "$(ctl_json show stats | jq -r '.drops.snat_no_free_port')"

e2e_end
