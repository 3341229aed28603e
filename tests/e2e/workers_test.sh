#!/usr/bin/env bash
# End to end: two workers. Each af_packet port gets two queue pairs (the kernel's fanout
# spreads flows over them by its own hash), two worker lcores share the second CPU with the
# lab, and every mode balances over both workers. nat and snat replies arrive on whichever
# queue the kernel picks and reach the worker owning their connection through the hand-off
# rings (the af_packet PMD has no flow API: the log says so). sluicectl's connection list
# names the worker of each connection.
#   web-dr   198.18.0.10:80  dr, wlc    web-tun   198.18.0.13:80  tun, rr
#   web-nat  198.18.0.11:80  nat, rr    dns-nat   198.18.0.11:53  udp nat, wrr
#   web-snat 198.18.0.12:80  snat, rr, pool 198.18.1.5
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

readonly VIP_TUN=198.18.0.13
readonly VIP_SNAT=198.18.0.12

# demo.yaml with two workers on lcores 1 and 2, both on CPU 1 (this machine has two CPUs),
# two queue pairs per port, and a TUN and an SNAT service added to its DR and NAT ones.
two_worker_config() {
  /usr/bin/python3 - "$DEMO_CONFIG" "$1" <<'PY'
import sys
text = open(sys.argv[1]).read()
text = text.replace('lcores: "0-1"', 'lcores: "0@0,1@1,2@1"')
text = text.replace("  count: 1\n", "  count: 2\n")
text = text.replace("iface=sl-lb0", "iface=sl-lb0,qpairs=2").replace("iface=sl-lb1", "iface=sl-lb1,qpairs=2")
added = """
  - name: web-snat
    address: 198.18.0.12
    ports: [80]
    protocol: tcp
    mode: snat
    scheduler: rr
    snat_pool: [198.18.1.5]
    real_servers:
      - { address: 198.18.1.21, port: 8080 }
      - { address: 198.18.1.22, port: 8080 }
      - { address: 198.18.1.23, port: 8080 }

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
open(sys.argv[2], "w").write(text.rstrip("\n") + "\n" + added)
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
wait_http "http://$VIP_NAT/"
wait_http "http://$VIP_SNAT/"
check_match "the log says return traffic is steered in software" \
  "no flow API.*hand-off rings" "$(cat "$E2E_TMP/sluiced.log")"

step "60 requests to each TCP service, from three client addresses"
for src in 198.18.0.2 198.18.0.3 198.18.0.4; do
  for svc in dr tun nat snat; do
    var=VIP_${svc^^}
    http_burst "http://${!var}/" 20 "$src" >>"$E2E_TMP/$svc.txt"
  done
done
for svc in dr tun nat snat; do
  say "$svc: $(tally "$E2E_TMP/$svc.txt")"
  check_eq "all 60 ${svc^^} requests answered" 60 "$(answered "$E2E_TMP/$svc.txt")"
done
for s in dr1 dr2 dr3; do
  check_ge "$s answered DR requests" "$(count_of "$s" "$E2E_TMP/dr.txt")" 10
  check_ge "$s answered TUN requests" "$(count_of "$s" "$E2E_TMP/tun.txt")" 10
done
for s in nat1 nat2 nat3; do
  check_ge "$s answered NAT requests" "$(count_of "$s" "$E2E_TMP/nat.txt")" 10
  check_ge "$s answered SNAT requests" "$(count_of "$s" "$E2E_TMP/snat.txt")" 10
done

step "udp nat: 60 datagrams, each from its own port"
udp_ask "$VIP_NAT" 53 60 42000 >"$E2E_TMP/udp.txt"
say "answers: $(tally "$E2E_TMP/udp.txt")"
check_eq "every datagram answered" 0 "$(count_of - "$E2E_TMP/udp.txt")"
check_eq "every answer came from $VIP_NAT:53" 0 "$(grep -c '^wrong-source' "$E2E_TMP/udp.txt" || true)"

step "replies that arrived on the other worker were handed to the owner"
stats=$(ctl_json show stats)
check_gt "packets were handed off" "$(jq '[.per_worker[].handed_off] | add' <<<"$stats")" 0
check_eq "every handed-off packet was taken over" \
  "$(jq '[.per_worker[].handed_off] | add' <<<"$stats")" "$(jq '[.per_worker[].taken_over] | add' <<<"$stats")"
check_eq "no drops for a full hand-off ring" 0 "$(jq '.drops.handoff_ring_full // 0' <<<"$stats")"

step "both workers carried connections"
conns=$(ctl_json show conns)
for worker in 0 1; do
  check_ge "worker $worker holds connections" \
    "$(jq --argjson w "$worker" '[.[] | select(.worker == $w)] | length' <<<"$conns")" 5
done

e2e_end
