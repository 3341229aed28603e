#!/usr/bin/env bash
# End to end: ICMP across the appliance.
#   udp-closed       198.18.0.11:54/udp  nat  -> nat1:5999 (nothing listens there)
#   udp-closed-snat  198.18.0.12:54/udp  snat, pool 198.18.1.5 -> nat1:5999
#   web-nat, web-tun as in the lab; the back port's MTU is set to 1400 in the config.
# The real server's "port unreachable" reaches the client's socket as ECONNREFUSED, from the
# VIP, in nat and snat; a request too big for the way to the server (nat: MTU 1400; tun: 20
# bytes of IP-in-IP) is answered with "fragmentation needed", the client's kernel lowers its
# path MTU, and the request is answered. Pings of VIPs are answered by the data plane; a
# connection no real server can take is refused at once ("port unreachable", as IPVS does).
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

readonly VIP_SNAT=198.18.0.12
readonly VIP_TUN=198.18.0.13

# udp_refused VIP PORT: "refused" when the client's connected UDP socket gets ECONNREFUSED
# (the kernel matched an ICMP port unreachable to it), else what happened.
udp_refused() {
  in_client timeout 10 "$PY" - "$1" "$2" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.connect((sys.argv[1], int(sys.argv[2])))
try:
    s.send(b"anyone?")
    s.recv(100)
    print("answered")
except ConnectionRefusedError:
    print("refused")
except socket.timeout:
    print("timeout")
PY
}

e2e_begin
config=$E2E_TMP/sluice.yaml
# The back port gets MTU 1400 (for sluice; the veth stays at 1500).
config_from_demo "$config" '/device: net_af_packet1/{n;s/mtu: 1500/mtu: 1400/}'
cat >>"$config" <<YAML

  - name: udp-closed
    address: $VIP_NAT
    ports: [54]
    protocol: udp
    mode: nat
    real_servers:
      - { address: ${RIP[nat1]%:*}, port: 5999 }

  - name: udp-closed-snat
    address: $VIP_SNAT
    ports: [54]
    protocol: udp
    mode: snat
    snat_pool: [198.18.1.5]
    real_servers:
      - { address: ${RIP[nat1]%:*}, port: 5999 }

  - name: web-tun
    address: $VIP_TUN
    ports: [80]
    protocol: tcp
    mode: tun
    real_servers:
      - { address: ${RIP[dr1]%:*} }
YAML
check_match "the back port's MTU is 1400 in the config" "mtu: 1400" "$(cat "$config")"

step "tun real server dr1: VIP $VIP_TUN on lo, the IP-in-IP shim running"
ip -n sl-dr1 addr add "$VIP_TUN/32" dev lo
ip netns exec sl-dr1 "$PY" "$E2E_ROOT/tests/e2e/ipip_decap.py" --ready "$E2E_TMP/dr1.ready" \
  >"$E2E_TMP/dr1.decap.log" 2>&1 &
E2E_BG_PIDS+=($!)
wait_until 10 "the dr1 decapsulator" test -s "$E2E_TMP/dr1.ready" || abort "no decapsulator in dr1"

daemon_start "$config"
wait_http "http://$VIP_NAT/"
wait_http "http://$VIP_TUN/"

step "port unreachable from the real server reaches the client's socket"
check_eq "nat: the client's UDP socket is refused" refused "$(udp_refused "$VIP_NAT" 54)"
check_eq "snat: the client's UDP socket is refused" refused "$(udp_refused "$VIP_SNAT" 54)"
check_ge "sluice translated ICMP errors" "$(ctl_json show stats | jq '.icmp_translated')" 2

# A request of about 3 kB: the client's first full-size segment (1500 bytes) does not fit.
pad=$(head -c 3000 /dev/zero | tr '\0' a)
big_request() { in_client curl -s --max-time 5 -H "X-Pad: $pad" "http://$1/" || echo "FAIL($?)"; }

step "nat: a 3 kB request, MTU 1400 towards the server"
check_match "answered by a NAT server" '^nat[123]$' "$(big_request "$VIP_NAT")"
check_match "the client learned MTU 1400 for $VIP_NAT" 'mtu 1400' \
  "$(in_client ip route get "$VIP_NAT")"

step "tun: a 3 kB request, 20 bytes of IP-in-IP on a 1500-byte port"
check_eq "answered by dr1 directly" dr1 "$(big_request "$VIP_TUN")"
check_match "the client learned MTU 1480 for $VIP_TUN" 'mtu 1480' \
  "$(in_client ip route get "$VIP_TUN")"
stats=$(ctl_json show stats)
check_ge "sluice sent fragmentation-needed answers" "$(jq '.icmp_sent' <<<"$stats")" 2
check_eq "and dropped nothing as too big" 0 "$(jq '.drops.too_big' <<<"$stats")"

step "ping the VIPs"
for vip in "$VIP_DR" "$VIP_NAT" "$VIP_TUN"; do
  received=$(in_client ping -c 5 -i 0.2 -W 1 "$vip" | awk '/packets transmitted/ {print $4}')
  check_eq "$vip answers 5 of 5 pings" 5 "${received:-0}"
done
check_ge "show stats counts the echo replies" "$(ctl_json show stats | jq '.echo_replied')" 15

step "no real server can take a new connection: refused at once"
for s in nat1 nat2 nat3; do ctl set server "$VIP_NAT:80" "${RIP[$s]}" state halt >/dev/null; done
t0=$(date +%s%N)
rc=0
in_client curl -s -o /dev/null --max-time 5 "http://$VIP_NAT/" || rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
say "curl with every server halted: exit $rc after $ms ms"
check_eq "curl is refused (exit 7, connection refused)" 7 "$rc"
check "and fails at once, not after its timeout (under 1 s)" [ "$ms" -lt 1000 ]
check_ge "counted as no_server" "$(ctl_json show stats | jq '.drops.no_server')" 1
for s in nat1 nat2 nat3; do ctl set server "$VIP_NAT:80" "${RIP[$s]}" state online >/dev/null; done
check "web-nat answers again once its servers are online" http_ok "http://$VIP_NAT/"

e2e_end
