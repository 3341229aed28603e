#!/usr/bin/env bash
# End to end: IPv6 virtual services beside the IPv4 ones. The test turns IPv6 on in the
# client and real-server namespaces (the lab keeps it off), gives them addresses in
# 2001:2::/48 (RFC 5180's benchmarking range, the IPv6 sibling of 198.18.0.0/15) and starts
# an IPv6 HTTP server next to each IPv4 one:
#   web6-dr    [2001:2::10]:80  dr, rr   -> dr1..3 2001:2::21-23 (VIP on lo)
#   web6-nat   [2001:2::11]:80  nat, rr  -> nat1..3 [2001:2:0:1::21-23]:8080 (default route
#                                           via the appliance, 2001:2:0:1::1)
#   web6-snat  [2001:2::12]:80  snat, rr, pool 2001:2:0:1::5 -> the same servers
#   web6-tun   [2001:2::13]:80  tun (IPv6-in-IPv6), rr -> dr1..3, each running the user-space
#                               decapsulator (tests/e2e/ipip_decap.py --ipv6)
# Neighbour discovery for the VIPs is answered by sluice, for its own addresses by the kernel
# through the TAP twins; sluice solicits its real servers itself.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

readonly WWW=/run/sluice-lab/www

# ipv6_on NS DEVICE ADDRESS/LEN: IPv6 on, no duplicate address detection (the address is
# ours at once), no router advertisements taken.
ipv6_on() {
  ip netns exec "$1" sysctl -q -w "net.ipv6.conf.$2.disable_ipv6=0" "net.ipv6.conf.$2.accept_dad=0" \
    "net.ipv6.conf.$2.accept_ra=0"
  ip -n "$1" addr add "$3" dev "$2" nodad
}

# get6 URL COUNT: COUNT requests, one line each: the body, or FAIL(code).
get6() {
  # shellcheck disable=SC2016  # expanded by the inner bash
  timeout --foreground 120 ip netns exec "$CLIENT_NS" bash -c '
    for ((i = 0; i < $2; i++)); do
      if body=$(curl -s -6 --max-time 2 "$1"); then echo "${body:-(empty)}"; else echo "FAIL($?)"; fi
    done' _ "$1" "$2" || true
}

e2e_begin
config=$E2E_TMP/sluice.yaml
config_from_demo "$config" 's|addresses: \[198.18.0.1/24\]|addresses: [198.18.0.1/24, "2001:2::1/64"]|; s|addresses: \[198.18.1.1/24\]|addresses: [198.18.1.1/24, "2001:2:0:1::1/64"]|'
cat >>"$config" <<'YAML'

  - name: web6-dr
    address: "2001:2::10"
    ports: [80]
    protocol: tcp
    mode: dr
    scheduler: rr
    real_servers:
      - { address: "2001:2::21" }
      - { address: "2001:2::22" }
      - { address: "2001:2::23" }

  - name: web6-nat
    address: "2001:2::11"
    ports: [80]
    protocol: tcp
    mode: nat
    scheduler: rr
    real_servers:
      - { address: "2001:2:0:1::21", port: 8080 }
      - { address: "2001:2:0:1::22", port: 8080 }
      - { address: "2001:2:0:1::23", port: 8080 }

  - name: web6-tun
    address: "2001:2::13"
    ports: [80]
    protocol: tcp
    mode: tun
    scheduler: rr
    health_check: { type: ping, interval: 0.5, timeout: 0.4 }
    real_servers:
      - { address: "2001:2::21" }
      - { address: "2001:2::22" }
      - { address: "2001:2::23" }

  - name: web6-snat
    address: "2001:2::12"
    ports: [80]
    protocol: tcp
    mode: snat
    scheduler: rr
    snat_pool: ["2001:2:0:1::5"]
    real_servers:
      - { address: "2001:2:0:1::21", port: 8080 }
      - { address: "2001:2:0:1::22", port: 8080 }
      - { address: "2001:2:0:1::23", port: 8080 }
YAML
check_eq "the config is valid" 0 "$("$SLUICED" --config "$config" --check >/dev/null 2>&1; echo $?)"

step "IPv6 on in the client and real-server namespaces"
ipv6_on sl-client eth0 2001:2::2/64
for i in 1 2 3; do
  ipv6_on "sl-dr$i" eth0 "2001:2::2$i/64"
  # The DR VIP on lo; Linux answers neighbour solicitations only for the receiving
  # interface's addresses, so IPv6 needs no arp_ignore counterpart.
  ip netns exec "sl-dr$i" sysctl -q -w net.ipv6.conf.lo.disable_ipv6=0
  ip -n "sl-dr$i" addr add 2001:2::10/128 dev lo nodad
  ip -n "sl-dr$i" addr add 2001:2::13/128 dev lo nodad  # the TUN VIP
  ip netns exec "sl-dr$i" "$PY" "$E2E_ROOT/tests/e2e/ipip_decap.py" --ipv6 \
    --ready "$E2E_TMP/dr$i.ready" >"$E2E_TMP/dr$i-decap.log" 2>&1 &
  E2E_BG_PIDS+=($!)
  ip netns exec "sl-dr$i" "$PY" "$E2E_ROOT/tests/e2e/http6_server.py" 80 "$WWW/dr$i" \
    >"$E2E_TMP/dr$i-http6.log" 2>&1 &
  E2E_BG_PIDS+=($!)
  ipv6_on "sl-nat$i" eth0 "2001:2:0:1::2$i/64"
  ip -n "sl-nat$i" -6 route add default via 2001:2:0:1::1 dev eth0
  ip netns exec "sl-nat$i" "$PY" "$E2E_ROOT/tests/e2e/http6_server.py" 8080 "$WWW/nat$i" \
    >"$E2E_TMP/nat$i-http6.log" 2>&1 &
  E2E_BG_PIDS+=($!)
done

for i in 1 2 3; do
  wait_until 10 "the dr$i decapsulator" test -s "$E2E_TMP/dr$i.ready" || abort "no decapsulator in dr$i"
done

daemon_start "$config"
# Until sluice has resolved a real server (one solicitation a second), its packets wait.
# Three requests more per service reach each of its servers once (rr): every neighbour on the
# way (sluice's, the servers' own for the client) is resolved before the counting starts.
for vip in 2001:2::10 2001:2::11 2001:2::12 2001:2::13; do
  wait_until 20 "[$vip] to answer" \
    ip netns exec "$CLIENT_NS" curl -s -6 --max-time 1 -o /dev/null "http://[$vip]/" ||
    abort "[$vip] does not answer"
  get6 "http://[$vip]/" 3 >/dev/null
done

step "the VIPs and pool are answered by neighbour discovery"
in_client ping -6 -c 1 -W 1 2001:2::1 >/dev/null 2>&1 || true  # own address: the kernel's
check_match "the client knows the VIP's MAC (sluice's front port)" "${MAC[lb0]}" \
  "$(ip -n sl-client -6 neigh show 2001:2::11)"
check_match "the kernel answers for the appliance's own address" "${MAC[lb0]}" \
  "$(ip -n sl-client -6 neigh show 2001:2::1)"

for svc in dr nat snat tun; do
  case $svc in dr) vip=2001:2::10 servers="dr1 dr2 dr3" ;; nat) vip=2001:2::11 servers="nat1 nat2 nat3" ;;
    snat) vip=2001:2::12 servers="nat1 nat2 nat3" ;; tun) vip=2001:2::13 servers="dr1 dr2 dr3" ;; esac
  step "web6-$svc: 30 requests to [$vip]:80"
  get6 "http://[$vip]/" 30 >"$E2E_TMP/$svc.txt"
  say "answers: $(tally "$E2E_TMP/$svc.txt")"
  check_eq "all 30 answered" 30 "$(answered "$E2E_TMP/$svc.txt")"
  for s in $servers; do
    check_ge "$s answered (rr: 10)" "$(count_of "$s" "$E2E_TMP/$svc.txt")" 8
  done
done

step "tun: a 3 kB request; the tunnel takes 40 bytes, sluice tells the client (packet too big)"
pad=$(head -c 3000 /dev/zero | tr '\0' a)
big=$(ip netns exec "$CLIENT_NS" curl -s -6 --max-time 5 -H "X-Pad: $pad" "http://[2001:2::13]/" || echo FAIL)
check_match "answered by a DR server through the tunnel" '^dr[123]$' "$big"
check_match "the client learned MTU 1460 for 2001:2::13" 'mtu 1460' \
  "$(ip -n sl-client -6 route get 2001:2::13)"
check_ge "sluice sent packet-too-big answers" "$(ctl_json show stats | jq '.icmp_sent')" 1
for i in 1 2 3; do
  stop_pid 5 "$(cat "$E2E_TMP/dr$i.ready")"
  check_match "dr$i's shim decapsulated IPv6 and found nothing malformed" \
    '^ipip_decap: received [1-9][0-9]*, forwarded [1-9][0-9]*, malformed 0$' \
    "$(grep '^ipip_decap: received' "$E2E_TMP/dr$i-decap.log" || true)"
done

step "who the real servers saw"
check_ge "nat1 logged the client's own address 2001:2::2" \
  "$(grep -c '^2001:2::2 ' "$E2E_TMP/nat1-http6.log" || true)" 10
check_ge "nat1 logged the snat pool address 2001:2:0:1::5" \
  "$(grep -c '^2001:2:0:1::5 ' "$E2E_TMP/nat1-http6.log" || true)" 8

step "sluice resolved its IPv6 next hops"
neighbours=$(ctl_json show neighbours)
check_eq "all six IPv6 real servers are resolved" 6 \
  "$(jq '[.[] | select((.address | contains(":")) and .state == "resolved")] | length' <<<"$neighbours")"
conns=$(ctl_json show conns)
check_ge "show conns lists IPv6 connections" \
  "$(jq '[.[] | select(.vip == "[2001:2::12]:80" and (.server_sees | startswith("[2001:2:0:1::5]:")))] | length' <<<"$conns")" 30
check_eq "show vips lists the IPv6 services" 4 \
  "$(ctl_json show vips | jq '[.[] | select(.address | contains(":"))] | length')"
check_eq "no IPv6 packet dropped as malformed" 0 \
  "$(ctl_json show stats | jq '.drops.truncated_ipv6 + .drops.bad_ipv6_header + .drops.bad_ipv6_length')"

step "ICMPv6 echo checks of the tun servers"
for i in 1 2 3; do
  check_eq "web6-tun: dr$i answers the ping check" "up echo reply" \
    "$(ctl_json show servers | jq -r --arg s "[2001:2::2$i]:80" '.[] | select(.vip == "web6-tun" and .server == $s) | "\(.health) \(.check_result)"')"
done

step "IPv4 still balances beside it"
http_burst "http://$VIP_NAT/" 9 >"$E2E_TMP/v4.txt"
check_eq "all 9 IPv4 requests answered" 9 "$(answered "$E2E_TMP/v4.txt")"

e2e_end
