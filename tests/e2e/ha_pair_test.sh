#!/usr/bin/env bash
# End to end: two sluiced as an HA pair in front of the lab's real servers, with connection
# sync. A (the lab's sl-lb, 198.18.0.1 / 198.18.1.1, priority 150) and B (sl-lb2, 198.18.0.6 /
# 198.18.1.6, priority 100) share the front and back segments; one VRRP instance (100 ms
# adverts, no preemption) floats the DR, NAT and SNAT VIPs, the snat pool addresses and the
# NAT servers' gateway 198.18.1.254; sync runs on the back segment. The client holds echo
# connections through the DR, NAT and SNAT VIPs (a line every 100 ms) and opens a new
# connection every 50 ms. Three takeovers, each timed from the failure to the first new
# connection answered, with the loop's failures counted and every held connection checked:
#   1. A is killed (SIGKILL): B takes over, with the connections A streamed to it
#   2. A comes back (as backup: no preemption) and gets everything from B; then B's front
#      link goes down: B tracks it (fault), A takes over
#   3. B's link returns (it is backup now); A stops cleanly (priority 0): B takes over at once
# A second instance (`split`, DR VIP 198.18.0.14) has the priorities the other way round and
# preempts: active/active once B is up, B answering for it while A answers for the rest. Adverts go
# unicast to the peer (as clouds need), not to the multicast group.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

readonly B_NS=sl-lb2 B_SOCKET=/run/sluice-lab/b.sock GATEWAY=198.18.1.254 VIP_SNAT=198.18.0.12
readonly VIP_STICKY=198.18.0.13 VIP_SPLIT=198.18.0.14
readonly ECHO_PORT=7000
B_PID=""
e2e_begin

step "B's namespace on both segments; the NAT servers route through the floating gateway"
ip netns add "$B_NS"
ip netns exec "$B_NS" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip link add sl-lb2a netns "$B_NS" address 02:00:c6:12:00:06 type veth peer name p-lb2a netns "$SWITCH_NS"
ip link add sl-lb2b netns "$B_NS" address 02:00:c6:12:01:06 type veth peer name p-lb2b netns "$SWITCH_NS"
ip -n "$SWITCH_NS" link set p-lb2a master br0 up
ip -n "$SWITCH_NS" link set p-lb2b master br1 up
ip -n "$B_NS" link set sl-lb2a up
ip -n "$B_NS" link set sl-lb2b up
ip -n "$B_NS" link set lo up
for s in nat1 nat2 nat3; do ip -n "sl-$s" route replace default via "$GATEWAY" dev eth0; done
for s in dr1 dr2 dr3 nat1 nat2 nat3; do
  ip netns exec "sl-$s" "$PY" "$E2E_ROOT/tests/e2e/ha_traffic.py" echo --port "$ECHO_PORT" \
    >"$E2E_TMP/echo-$s.log" 2>&1 &
  E2E_BG_PIDS+=("$!")
done

KEY=$E2E_TMP/sync.key
head -c 32 /dev/urandom | base64 >"$KEY"
chmod 600 "$KEY"

for s in dr1 dr2 dr3; do ip -n "sl-$s" addr add "$VIP_SPLIT/32" dev lo; done

# pair_config OUT NAME-SED PRIORITY SPLIT-PRIORITY PEER-FRONT PEER-BACK: demo.yaml with the
# pair's services and HA.
pair_config() {
  local out=$1 edits=$2 priority=$3 split_priority=$4 peer_front=$5 peer=$6
  config_from_demo "$out" "$edits"
  cat >>"$out" <<EOF

  - name: echo-dr
    address: $VIP_DR
    ports: [$ECHO_PORT]
    protocol: tcp
    mode: dr
    real_servers: [{ address: 198.18.0.21 }, { address: 198.18.0.22 }, { address: 198.18.0.23 }]
  - name: echo-nat
    address: $VIP_NAT
    ports: [$ECHO_PORT]
    protocol: tcp
    mode: nat
    real_servers: [{ address: 198.18.1.21 }, { address: 198.18.1.22 }, { address: 198.18.1.23 }]
  - name: echo-snat
    address: $VIP_SNAT
    ports: [$ECHO_PORT]
    protocol: tcp
    mode: snat
    snat_pool: [198.18.1.5]
    real_servers: [{ address: 198.18.1.21 }, { address: 198.18.1.22 }, { address: 198.18.1.23 }]

  - name: web-sticky
    address: $VIP_STICKY
    ports: [80]
    protocol: tcp
    mode: nat
    scheduler: rr
    persistence: { timeout: 600 }
$(nat_real_servers_yaml)
  - name: web-split
    address: $VIP_SPLIT
    ports: [80]
    protocol: tcp
    mode: dr
    real_servers: [{ address: 198.18.0.21 }, { address: 198.18.0.22 }, { address: 198.18.0.23 }]

ha:
  sync: { interface: back, peer: $peer, key_file: $KEY, refresh: 5 }
  instances:
    - { name: vips, interface: front, vrid: 60, priority: $priority, interval: 0.1, preempt: false,
        peers: [$peer_front], addresses: [$VIP_DR, $VIP_NAT, $VIP_SNAT, $VIP_STICKY, 198.18.1.5, $GATEWAY],
        garp: { repeat: 3, delay: 1 }, track: { interfaces: [front, back] } }
    - { name: split, interface: front, vrid: 61, priority: $split_priority, interval: 0.1,
        peers: [$peer_front], addresses: [$VIP_SPLIT],
        garp: { repeat: 3, delay: 1 }, track: { interfaces: [front, back] } }
EOF
}
pair_config "$E2E_TMP/a.yaml" "" 150 100 198.18.0.6 198.18.1.6
pair_config "$E2E_TMP/b.yaml" "s/sluice-demo/sluice-pair-b/; s|sluiced.sock|b.sock|; s/iface=sl-lb0/iface=sl-lb2a/; s/iface=sl-lb1/iface=sl-lb2b/; s|198.18.0.1/24|198.18.0.6/24|; s|198.18.1.1/24|198.18.1.6/24|" 100 150 198.18.0.1 198.18.1.1

a_ha() { ctl_json show ha | jq -r "$1"; }
b_ctl() { timeout --foreground 10 "$SLUICECTL" --socket "$B_SOCKET" "$@"; }
b_ha() { b_ctl --json show ha | jq -r "$1"; }
a_is() { [ "$(a_ha '.instances[0].state' 2>/dev/null)" = "$1" ]; }
b_is() { [ "$(b_ha '.instances[0].state' 2>/dev/null)" = "$1" ]; }
echo_conns() {  # SOCKET: connections to the echo port that sluiced holds
  timeout 10 "$SLUICECTL" --socket "$1" --json show conns |
    jq "[.[] | select(.vip | endswith(\":$ECHO_PORT\"))] | length"
}
holds_echo_conns() { [ "$(echo_conns "$1")" -ge 3 ]; }

start_b() {
  ip netns exec "$B_NS" "$SLUICED" --config "$E2E_TMP/b.yaml" >>"$E2E_TMP/b.log" 2>&1 &
  B_PID=$!
  E2E_BG_PIDS+=("$B_PID")
  wait_until 20 "B answers" b_ctl show vips || abort "B did not start" "$(tail -5 "$E2E_TMP/b.log")"
}

now_s() { date +%s.%N; }
# outcome NAME FAILED-AT: from the client's events, the first new connection answered after
# FAILED-AT (wall clock) and the loop's failures from 2 s before to 8 s after it.
outcome() {
  "$PY" - "$TRAFFIC/clock" "$TRAFFIC/events" "$2" "$1" <<'PYEOF'
import sys
clock, events, at, name = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
wall0, mono0 = map(float, open(clock).read().split())
failed_at = at - wall0 + mono0
first = None
fails = attempts = 0
for line in open(events):
    f = line.split()
    if f[0] != "loop":
        continue
    start, end, ok = float(f[1]), float(f[2]), f[3] == "ok"
    if failed_at - 2 <= start <= failed_at + 8:
        attempts += 1
        fails += not ok
    if ok and start >= failed_at and (first is None or end < first):
        first = end
ms = -1 if first is None else int((first - failed_at) * 1000)
print("%s %d %d %d" % (name, ms, fails, attempts))
PYEOF
}
# settled NAME FAILED-AT: waits out the held connections' 3 s limit, keeps the round's outcome
# and checks that no held connection broke.
settled() {
  sleep 4
  RESULTS+=("$(outcome "$1" "$2")")
  check "$1: the held connections kept talking (no reset, no 3 s silence)" no_held_broken
}
held_alive() { grep -c '^held .* alive ' "$TRAFFIC/summary" 2>/dev/null || echo 0; }
no_held_broken() { ! grep -q '^held .* broken' "$TRAFFIC/events"; }

# ---------------------------------------------------------------- the pair starts
daemon_start "$E2E_TMP/a.yaml"
wait_until 5 "A master" a_is master || true
check_eq "A (150), alone, is master" master "$(a_ha '.instances[0].state')"
start_b
wait_until 5 "B backup" b_is backup || true
check_eq "B (100) is backup" backup "$(b_ha '.instances[0].state')"
wait_http "http://$VIP_NAT/"

step "active/active: A answers for vips, B for split"
wait_until 5 "B master of split" bash -c "[ \"\$($SLUICECTL --socket $B_SOCKET --json show ha | jq -r '.instances[1].state')\" = master ]" || true
check_eq "A: vips master, split backup" "master backup" "$(a_ha '.instances[0].state') $(a_ha '.instances[1].state')"
check_eq "B: vips backup, split master" "backup master" "$(b_ha '.instances[0].state') $(b_ha '.instances[1].state')"
check_eq "the client resolves $VIP_DR to A's port" "${MAC[lb0]}" "$(resolved_mac "$VIP_DR")"
check_eq "and $VIP_SPLIT to B's" 02:00:c6:12:00:06 "$(resolved_mac "$VIP_SPLIT")"
check_match "web-split answers through B" '^dr[123]$' "$(in_client curl -s --max-time 2 "http://$VIP_SPLIT/")"
# What B's port sends (10 adverts, 2 s at most), seen from the switch: adverts to A's address, none to the group.
adverts=$(ip netns exec "$SWITCH_NS" timeout 2 tcpdump -l -n -c 10 -i p-lb2a 'ip proto 112 and src 198.18.0.6' 2>/dev/null || true)
check_gt "B's adverts go unicast to A" "$(grep -c '> 198.18.0.1:' <<<"$adverts" || true)" 0
check_eq "and none to the multicast group" 0 "$(grep -c '> 224.0.0.18' <<<"$adverts" || true)"

TRAFFIC=$E2E_TMP/traffic
in_client "$PY" "$E2E_ROOT/tests/e2e/ha_traffic.py" client --dir "$TRAFFIC" --lifetime 240 \
  --held "$VIP_DR:$ECHO_PORT" --held "$VIP_NAT:$ECHO_PORT" --held "$VIP_SNAT:$ECHO_PORT" \
  --loop "$VIP_DR:80" --loop "$VIP_NAT:80" >"$E2E_TMP/traffic.log" 2>&1 &
E2E_BG_PIDS+=("$!")
sleep 3
wait_until 5 "B learnt the held connections" holds_echo_conns "$B_SOCKET" || true
check_ge "B holds the three echo connections A streamed to it" "$(echo_conns "$B_SOCKET")" 3
check_eq "B's sync refused nothing" 0 "$(b_ha '[.sync.drops[]] | add')"
check_gt "B heard A's sync" "$(b_ha '.sync.datagrams_received')" 0

step "sluicectl ha push: A's virtual services to B, node-local settings untouched"
b_scheduler() { b_ctl --json show vips | jq -r '.[] | select(.name == "web-nat") | .scheduler'; }
check_eq "web-nat balances rr on B" rr "$(b_scheduler)"
sed -i '/- name: web-nat/,/scheduler:/ s/scheduler: rr/scheduler: wlc/' "$E2E_TMP/a.yaml"
check "A reloads with web-nat on wlc" ctl reload
check_match "ha push: B applied it" 'applied to .*b.yaml and reloaded' "$(ctl ha push 2>&1)"
check_eq "web-nat balances wlc on B" wlc "$(b_scheduler)"
check_eq "B's file has A's services" "$(sed -n '/^virtual_services:/,/^ha:/p' "$E2E_TMP/a.yaml")" \
  "$(sed -n '/^virtual_services:/,/^ha:/p' "$E2E_TMP/b.yaml")"
check_eq "and keeps its own interfaces, socket and priority" "198.18.0.6/24 b.sock 100" \
  "$(grep -o '198.18.0.6/24' "$E2E_TMP/b.yaml" | head -1) $(grep -o 'b.sock' "$E2E_TMP/b.yaml") $(grep -o 'priority: 100' "$E2E_TMP/b.yaml" | cut -d' ' -f2)"
# Valid on A, not on B: an snat pool address that is B's own interface address.
cp "$E2E_TMP/b.yaml" "$E2E_TMP/b.before"
sed -i 's/    snat_pool: \[198.18.1.5\]/    snat_pool: [198.18.1.5, 198.18.1.6]/' "$E2E_TMP/a.yaml"
check "A reloads with 198.18.1.6 in a pool" ctl reload
pushed=$(ctl ha push 2>&1 || true)
check_match "B refuses the push with the file, line and key" \
  "b.yaml.pushed:[0-9]+:[0-9]+: virtual_services\[[0-9]+\].snat_pool\[1\]: snat_pool address 198.18.1.6 is an address of interface 'back'" "$pushed"
check "B's file is untouched" cmp -s "$E2E_TMP/b.yaml" "$E2E_TMP/b.before"
sed -i 's/    snat_pool: \[198.18.1.5, 198.18.1.6\]/    snat_pool: [198.18.1.5]/' "$E2E_TMP/a.yaml"
check "A reloads without it" ctl reload

step "hostile sync datagrams from a NAT server's segment: dropped and counted, B unmoved"
capture=$E2E_TMP/sync.pcap
ip netns exec "$SWITCH_NS" timeout 10 tcpdump -i p-lb2b -c 1 -U -w "$capture" udp dst port 7778 2>/dev/null || true
sync_drop() { b_ha ".sync.drops.$1"; }
before_replayed=$(sync_drop replayed) before_signature=$(sync_drop bad_signature)
before_magic=$(sync_drop bad_magic) before_foreign=$(b_ha .sync.not_from_peer)
ip netns exec sl-nat1 "$PY" - "$capture" <<'PYEOF'
import random, sys
from scapy.all import IP, UDP, Raw, rdpcap, send
datagram = bytes(rdpcap(sys.argv[1])[0][UDP].payload)
def spoofed(payload, src="198.18.1.1"):
    send(IP(src=src, dst="198.18.1.6") / UDP(sport=7778, dport=7778) / Raw(payload), verbose=False)
spoofed(datagram)                                      # a replay: its sequence is old
forged = bytearray(datagram); forged[30] ^= 0xff
spoofed(bytes(forged))                                 # a record changed: the signature fails
spoofed(b"JUNK" + bytes(100))                          # not sync at all
spoofed(datagram, src="198.18.1.21")                   # from someone else
random.seed(7)
for _ in range(2000):                                  # a flood of garbage
    spoofed(bytes(random.getrandbits(8) for _ in range(random.randint(1, 1400))))
PYEOF
sleep 1
check_gt "the replay is refused as replayed" "$(sync_drop replayed)" "$before_replayed"
check_gt "the forged one as bad_signature" "$(sync_drop bad_signature)" "$before_signature"
check_gt "junk as bad_magic" "$(sync_drop bad_magic)" "$before_magic"
check_gt "one from another address as not_from_peer" "$(b_ha .sync.not_from_peer)" "$before_foreign"
check_eq "B is still backup" backup "$(b_ha '.instances[0].state')"
check "B still answers" b_ctl show vips

# The sticky service's server for the client, as its answers name it ("" unless all agree).
sticky_server() { http_burst "http://$VIP_STICKY/" 4 198.18.0.3 | sort -u | paste -sd' '; }
# Another client first, so that the client's server is not the one a fresh rr would pick.
http_burst "http://$VIP_STICKY/" 1 198.18.0.4 >/dev/null
STICKY=$(sticky_server)
check_match "the client sticks to one server of web-sticky, not rr's first" '^nat[23]$' "$STICKY"
# Its entry reaches B within 50 ms of the connection (then every second): wait for it here,
# so that the takeover below shows the entry kept, not a race with the kill.
b_knows_sticky() { b_ctl --json show persistence | jq -e '[.[] | select(.client == "198.18.0.3")] | length == 1' >/dev/null; }
wait_until 5 "B has the client's persistence entry" b_knows_sticky || true

declare -a RESULTS=()
# ---------------------------------------------------------------- 1. SIGKILL
step "1. A is killed: B takes over"
at=$(now_s)
kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null || true
DAEMON_PID=""
wait_until 5 "B master" b_is master || true
check_eq "B is master" master "$(b_ha '.instances[0].state')"
check_eq "and still of split" master "$(b_ha '.instances[1].state')"
settled sigkill "$at"
check_eq "after the takeover the client still goes to $STICKY (persistence synced)" "$STICKY" "$(sticky_server)"

# ---------------------------------------------------------------- 2. cut off
step "2. A returns as backup and learns B's connections; B's front link goes down"
daemon_start "$E2E_TMP/a.yaml"
wait_until 5 "A backup" a_is backup || true
check_eq "A returns as backup (no preemption)" backup "$(a_ha '.instances[0].state')"
wait_until 10 "A learnt the held connections" holds_echo_conns "$SOCKET" || true
check_ge "A learnt the echo connections from B (resync at its start)" "$(echo_conns "$SOCKET")" 3
at=$(now_s)
ip -n "$SWITCH_NS" link set p-lb2a down
wait_until 5 "A master" a_is master || true
check_eq "A took over" master "$(a_ha '.instances[0].state')"
wait_until 5 "B in fault" b_is fault || true
check_eq "B, its link down, is in fault" fault "$(b_ha '.instances[0].state')"
settled cut-off "$at"

# ---------------------------------------------------------------- 3. clean stop
step "3. B's link returns; A stops cleanly: B takes over"
ip -n "$SWITCH_NS" link set p-lb2a up
wait_until 5 "B backup" b_is backup || true
check_eq "B is backup again" backup "$(b_ha '.instances[0].state')"
sleep 2  # A's connections reach B (events, and the 5 s refresh)
at=$(now_s)
daemon_stop
check_eq "A stopped cleanly" 0 "$DAEMON_STATUS"
wait_until 5 "B master" b_is master || true
check_eq "B is master" master "$(b_ha '.instances[0].state')"
settled clean-stop "$at"

touch "$TRAFFIC/stop"
wait_until 15 "traffic summary" test -s "$TRAFFIC/summary" || true
check_eq "all three held connections (DR, NAT, SNAT) are alive at the end" 3 "$(held_alive)"
say "held connections: $(tr '\n' ';' <"$TRAFFIC/summary")"
for r in "${RESULTS[@]}"; do
  read -r name ms fails attempts <<<"$r"
  say "$name: first new connection answered ${ms} ms after the failure; $fails of $attempts loop requests failed"
  check_ge "$name: a new connection was answered after the failure" "$ms" 0
done

stop_pid 15 "$B_PID"
B_PID=""
ip netns del "$B_NS" 2>/dev/null || true
e2e_end
