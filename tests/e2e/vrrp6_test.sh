#!/usr/bin/env bash
# End to end: VRRPv3 over IPv6 between sluice and keepalived 2.2 (Debian's), on the lab's front
# segment with IPv6 turned on where it is needed (the lab keeps it off). keepalived runs in a
# namespace of its own (sl-peer, link-local address only) with VRID 51 and the floating address
# 2001:db8::15 on its lo; sluice's instance `front6` (front: 2001:db8::1/64) has VRID 51,
# priority 100, 200 ms adverts and the same address, a dr service to dr1 (2001:db8::21).
#   - keepalived at priority 200 is master, sluice backup and names keepalived's link-local
#     address as master; nobody answers the client's neighbour solicitation for the address
#   - keepalived stops (priority 0): sluice is master within a second; tshark decodes its
#     adverts as VRRPv3 in IPv6 from its link-local address to ff02::12, hop limit 255, good
#     checksum, no expert warning; it announces the address by unsolicited neighbour
#     advertisements (3 at once, 3 more a second later), answers the client's solicitation
#     and passes its request to dr1
#   - keepalived comes back at 200: it preempts, sluice steps down and goes silent again
#   - sluice stops cleanly (priority 0): keepalived is master within a second
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

readonly PEER_NS=sl-peer FLOAT=2001:db8::15 OWN=2001:db8::1
readonly WWW=/run/sluice-lab/www

# ipv6_on NS DEVICE: IPv6 on, without duplicate address detection (the link-local address is
# usable at once, as on sluice's TAP twin) and without router advertisements.
ipv6_on() {
  ip netns exec "$1" sysctl -q -w "net.ipv6.conf.$2.accept_dad=0" "net.ipv6.conf.$2.accept_ra=0" \
    "net.ipv6.conf.$2.disable_ipv6=0"
}

e2e_begin

step "IPv6 on in the client and dr1; keepalived's namespace on the front segment"
ipv6_on "$CLIENT_NS" eth0
ip -n "$CLIENT_NS" addr add 2001:db8::2/64 dev eth0 nodad
ipv6_on sl-dr1 eth0
ipv6_on sl-dr1 lo
ip -n sl-dr1 addr add 2001:db8::21/64 dev eth0 nodad
ip -n sl-dr1 addr add "$FLOAT/128" dev lo nodad  # the DR VIP
ip netns exec sl-dr1 "$PY" "$E2E_ROOT/tests/e2e/http6_server.py" 80 "$WWW/dr1" \
  >"$E2E_TMP/dr1-http6.log" 2>&1 &
E2E_BG_PIDS+=($!)
ip netns add "$PEER_NS"
ip link add p-peer netns "$SWITCH_NS" type veth peer name eth0 netns "$PEER_NS" \
  address 02:00:c6:12:00:05
ip -n "$SWITCH_NS" link set p-peer master br0 up
ipv6_on "$PEER_NS" eth0
ipv6_on "$PEER_NS" lo
ip -n "$PEER_NS" link set lo up
ip -n "$PEER_NS" link set eth0 up
wait_until 5 "keepalived's link-local address" \
  bash -c "ip -n $PEER_NS -6 addr show dev eth0 scope link | grep -q inet6" ||
  abort "no link-local address in $PEER_NS"
PEER_LL=$(ip -n "$PEER_NS" -6 -o addr show dev eth0 scope link | awk '{print $4}' | cut -d/ -f1)

keepalived_setup "$PEER_NS" "$FLOAT/128"

config=$E2E_TMP/sluice.yaml
config_from_demo "$config" "s|addresses: \[198.18.0.1/24\]|addresses: [198.18.0.1/24, \"$OWN/64\"]|"
cat >>"$config" <<EOF

  - name: web6
    address: "$FLOAT"
    ports: [80]
    protocol: tcp
    mode: dr
    real_servers:
      - { address: "2001:db8::21" }

ha:
  instances:
    - { name: front6, interface: front, vrid: 51, priority: 100, interval: 0.2,
        addresses: ["$FLOAT"], garp: { repeat: 3, delay: 1 } }
EOF
check_eq "the config is valid" 0 "$("$SLUICED" --config "$config" --check >/dev/null 2>&1; echo $?)"

# ---------------------------------------------------------------- keepalived master
step "keepalived (priority 200) and sluice (100)"
start_keepalived 200
wait_until 10 "keepalived master" keepalived_says MASTER ||
  abort "keepalived did not become master" "$(tail -5 "$E2E_TMP/keepalived.log")"
daemon_start "$config"
wait_until 10 "sluice backup with a master heard" \
  bash -c "[ \"\$($SLUICECTL --socket $SOCKET --json show ha | jq -r '.instances[0].master')\" = $PEER_LL ]" || true
check_eq "sluice is backup" backup "$(ha_field state)"
check_eq "sluice names keepalived's link-local address as master, priority 200" "$PEER_LL 200" \
  "$(ha_field master) $(ha_field master_priority)"
wait_until 5 "three adverts heard" \
  bash -c "[ \"\$($SLUICECTL --socket $SOCKET --json show ha | jq -r '.instances[0].adverts_received')\" -ge 3 ]" || true
check_ge "sluice hears keepalived's adverts" "$(ha_field adverts_received)" 3
check_eq "none of them refused" 0 "$(ctl_json show ha | jq '[.instances[0].drops[]] | add')"
check_eq "keepalived stays master" MASTER "$(tail -n1 "$KEEPALIVED_STATES")"
check_eq "nobody answers the solicitation for $FLOAT: sluice, backup, leaves it to the master" "" \
  "$(resolved_mac "$FLOAT")"

# ---------------------------------------------------------------- keepalived stops
step "keepalived stops (priority 0): sluice takes over"
capture_start vrrp "$PEER_NS" eth0 "ip6 proto 112"
capture_start na "$CLIENT_NS" eth0 "icmp6 and ip6[40] == 136"
check_hands_over keepalived "$KEEPALIVED_PID" stop_keepalived sluice ha_is master
check_eq "show ha names sluice's link-local address as master" \
  "$(ip -n "$LB_NS" -6 -o addr show dev sl-tap0 scope link | awk '{print $4}' | cut -d/ -f1)" \
  "$(ha_field master)"
sleep 1.5
capture_stop vrrp
capture_stop na
ours="vrrp && eth.src == ${MAC[lb0]}"
decoded=$(tshark -r "${CAPTURE_FILE[vrrp]}" -Y "$ours" -T fields -e ipv6.src -e ipv6.dst -e ipv6.hlim \
  -e vrrp.version -e vrrp.virt_rtr_id -e vrrp.prio -e vrrp.ipv6_addr 2>/dev/null | sort -u)
say "sluice's adverts as tshark decodes them: $(tr '\n' ' ' <<<"$decoded")"
check_match "from its link-local address to ff02::12, hop limit 255, VRRPv3, VRID 51, priority 100, $FLOAT" \
  "^fe80::[0-9a-f:]+$(printf '\t')ff02::12$(printf '\t')255$(printf '\t')3$(printf '\t')51$(printf '\t')100$(printf '\t')$FLOAT\$" \
  "$decoded"
check_ge "tshark decoded several of them" \
  "$(tshark -r "${CAPTURE_FILE[vrrp]}" -Y "$ours" 2>/dev/null | wc -l)" 3
check_eq "every checksum good (tshark checks it with the IPv6 pseudo-header)" 1 \
  "$(tshark -r "${CAPTURE_FILE[vrrp]}" -Y "$ours" -T fields -e vrrp.checksum.status 2>/dev/null | sort -u)"
check_eq "with no expert warning (checksum, length)" 0 \
  "$(tshark -r "${CAPTURE_FILE[vrrp]}" -Y "$ours && _ws.expert" 2>/dev/null | wc -l)"
check_eq "sluice announced $FLOAT by 2 rounds of 3 unsolicited neighbour advertisements" 6 \
  "$(tshark -r "${CAPTURE_FILE[na]}" -Y "ipv6.dst == ff02::1 && icmpv6.nd.na.target_address == $FLOAT && icmpv6.nd.na.flag.s == 0 && icmpv6.nd.na.flag.o == 1 && eth.src == ${MAC[lb0]}" 2>/dev/null | wc -l)"
check_eq "the client resolves $FLOAT to sluice's port" "${MAC[lb0]}" "$(resolved_mac "$FLOAT")"
# Until sluice has resolved dr1 (one solicitation a second) the request waits.
wait_until 10 "[$FLOAT] to answer" in_client curl -s -6 --max-time 1 -o /dev/null "http://[$FLOAT]/" || true
check_eq "and its request to [$FLOAT]:80 reaches dr1" dr1 \
  "$(in_client curl -s -6 --max-time 2 "http://[$FLOAT]/" || echo FAIL)"

# ---------------------------------------------------------------- keepalived returns higher
step "keepalived returns at 200: it preempts"
start_keepalived 200
wait_until 10 "sluice backup" ha_is backup || true
check_eq "sluice stepped down" backup "$(ha_field state)"
check_eq "sluice names keepalived as master again" "$PEER_LL" "$(ha_field master)"
wait_until 5 "keepalived master" keepalived_says MASTER || true
check_eq "keepalived is master" MASTER "$(tail -n1 "$KEEPALIVED_STATES")"
check_eq "and sluice leaves $FLOAT to it (no answer to the solicitation)" "" "$(resolved_mac "$FLOAT")"
check_eq "no advert refused all along" 0 "$(ctl_json show ha | jq '[.instances[0].drops[]] | add')"

# ---------------------------------------------------------------- sluice stops cleanly
step "keepalived at 50, sluice master; sluice stops cleanly: keepalived takes over at once"
stop_keepalived
wait_until 5 "sluice master" ha_is master || true
start_keepalived 50
wait_until 5 "keepalived backup" keepalived_says BACKUP || true
check_eq "keepalived (50) is backup to sluice (100)" "BACKUP master" "$(tail -n1 "$KEEPALIVED_STATES") $(ha_field state)"
check_hands_over sluice "$DAEMON_PID" daemon_stop keepalived keepalived_says MASTER
check_eq "sluiced stopped cleanly" 0 "$DAEMON_STATUS"

e2e_end
