#!/usr/bin/env bash
# End to end: two workers. Each af_packet port gets two queue pairs (the kernel's fanout
# spreads flows over them), two worker lcores share the second CPU with the lab, and DR
# and TUN services (their replies bypass sluice, so no return steering is needed) balance
# over both workers. sluicectl's connection list names the worker of each connection.
#   web-dr   198.18.0.10:80  dr, wlc    web-tun  198.18.0.13:80  tun, rr
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

readonly VIP_TUN=198.18.0.13

# demo.yaml with two workers on lcores 1 and 2, both on CPU 1 (this machine has two CPUs),
# two queue pairs per port, and only its DR service plus a TUN one: validation refuses nat
# on more than one worker until replies are steered.
two_worker_config() {
  /usr/bin/python3 - "$DEMO_CONFIG" "$1" <<'PY'
import sys
text = open(sys.argv[1]).read()
text = text.replace('lcores: "0-1"', 'lcores: "0@0,1@1,2@1"')
text = text.replace("  count: 1\n", "  count: 2\n")
text = text.replace("iface=sl-lb0", "iface=sl-lb0,qpairs=2").replace("iface=sl-lb1", "iface=sl-lb1,qpairs=2")
head, services = text.split("virtual_services:\n")
dr = services.split("\n  - name: web-nat")[0]
tun = """
  - name: web-tun
    address: 198.18.0.13
    ports: [80]
    protocol: tcp
    mode: tun
    scheduler: rr
    real_servers:
      - { address: 198.18.0.21 }
      - { address: 198.18.0.22 }
      - { address: 198.18.0.23 }
"""
open(sys.argv[2], "w").write(head + "virtual_services:\n" + dr.rstrip("\n") + "\n" + tun)
PY
}

e2e_begin
config=$E2E_TMP/sluice.yaml
two_worker_config "$config"
check_eq "the config is valid" 0 "$("$SLUICED" --config "$config" --check >/dev/null 2>&1; echo $?)"

step "tun real servers: VIP on lo and the IP-in-IP decapsulator"
for s in dr1 dr2 dr3; do
  ip -n "sl-$s" addr add "$VIP_TUN/32" dev lo
  ip netns exec "sl-$s" "$PY" "$E2E_ROOT/tests/e2e/ipip_decap.py" --ready "$E2E_TMP/$s.ready" \
    >"$E2E_TMP/$s.decap.log" 2>&1 &
  E2E_BG_PIDS+=($!)
done
for s in dr1 dr2 dr3; do
  wait_until 10 "the $s decapsulator" test -s "$E2E_TMP/$s.ready" || abort "no decapsulator in $s"
done

daemon_start "$config"
check_eq "show stats reports two workers" 2 "$(ctl_json show stats | jq -r '.workers')"
wait_http "http://$VIP_DR/"
wait_http "http://$VIP_TUN/"

step "60 requests each to the DR and TUN services, from three client addresses"
for src in 198.18.0.2 198.18.0.3 198.18.0.4; do
  http_burst "http://$VIP_DR/" 20 "$src" >>"$E2E_TMP/dr.txt"
  http_burst "http://$VIP_TUN/" 20 "$src" >>"$E2E_TMP/tun.txt"
done
say "dr: $(tally "$E2E_TMP/dr.txt"); tun: $(tally "$E2E_TMP/tun.txt")"
check_eq "all 60 DR requests answered" 60 "$(answered "$E2E_TMP/dr.txt")"
check_eq "all 60 TUN requests answered" 60 "$(answered "$E2E_TMP/tun.txt")"
for s in dr1 dr2 dr3; do
  check_ge "$s answered DR requests" "$(count_of "$s" "$E2E_TMP/dr.txt")" 10
  check_ge "$s answered TUN requests" "$(count_of "$s" "$E2E_TMP/tun.txt")" 10
done

step "both workers carried connections"
conns=$(ctl_json show conns)
for worker in 0 1; do
  check_ge "worker $worker holds connections" \
    "$(jq --argjson w "$worker" '[.[] | select(.worker == $w)] | length' <<<"$conns")" 5
done

e2e_end
