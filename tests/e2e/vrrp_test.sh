#!/usr/bin/env bash
# End to end: VRRPv3 between sluice and keepalived 2.2 (Debian's), on the lab's front segment.
# keepalived runs in a namespace of its own (sl-peer, 198.18.0.5) with VRID 51, the same
# floating address (198.18.0.15, on its lo) and a notify script that records its states;
# sluice's instance `front` has VRID 51 and priority 100, 200 ms adverts.
#   - keepalived at priority 200 is master, sluice backup and names it as master; sluice
#     leaves the floating address alone (no ARP answer from it)
#   - keepalived stops (it sends priority 0): sluice is master within a second; its adverts
#     decode in tshark as VRRPv3 with a good checksum and no expert warnings; it announces
#     the floating address by gratuitous ARP (3 at once, 3 more a second later: its `garp`)
#     and answers ARP for it
#   - keepalived comes back at 200: it preempts, sluice steps down and goes silent again
#   - keepalived comes back at 50 instead: sluice stays master, keepalived says BACKUP
#   - sluice's back port loses its link (tracked): sluice goes fault, keepalived takes over;
#     the link returns: sluice takes the addresses back; likewise when the tracked service
#     loses its only real server (sluicectl halt) and gets it back
#   - health.notify hears each transition (kind ha, the instance, from, to, why)
#   - hostile adverts (wrong TTL, VRRPv2, bad checksum, truncated, all at priority 254) are
#     dropped under their names while sluice stays master
#   - sluicectl ha maintenance on / off, ha failover: keepalived takes over, sluice takes back
#   - sluice stops cleanly (priority 0): keepalived is master within a second
#   - sluice returns with a preempt delay of 2 s: backup until then, then it preempts
# Not yet tested here (issue 9 goes on): sync.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

readonly PEER_NS=sl-peer PEER=198.18.0.5 FLOAT=198.18.0.15
e2e_begin

step "keepalived's namespace on the front segment"
front_host "$PEER_NS" "$PEER/24"
# Its floating address lives on lo: keepalived must not answer ARP for it on the segment.
ip netns exec "$PEER_NS" sysctl -q -w net.ipv4.conf.all.arp_ignore=1

keepalived_setup "$PEER_NS" "$FLOAT/32"

NOTIFIED=$E2E_TMP/notified
cat >"$E2E_TMP/sluice-notify.sh" <<EOF
#!/bin/sh
echo "\$*" >>"$NOTIFIED"
EOF
chmod +x "$E2E_TMP/sluice-notify.sh"
config=$E2E_TMP/sluice.yaml
config_from_demo "$config"
cat >>"$config" <<EOF

  - name: ha-web
    address: $FLOAT
    ports: [80]
    protocol: tcp
    mode: dr
    real_servers:
      - { address: 198.18.0.21 }

ha:
  instances:
    - { name: front, interface: front, vrid: 51, priority: 100, interval: 0.2, addresses: [$FLOAT],
        garp: { repeat: 3, delay: 1 }, track: { interfaces: [back], services: [ha-web] } }

health:
  notify: $E2E_TMP/sluice-notify.sh
EOF

# ---------------------------------------------------------------- keepalived master
step "keepalived (priority 200) and sluice (100)"
start_keepalived 200
wait_until 10 "keepalived master" keepalived_says MASTER || abort "keepalived did not become master" "$(tail -5 "$E2E_TMP/keepalived.log")"
daemon_start "$config"
wait_until 10 "sluice backup with a master heard" bash -c "[ \"\$($SLUICECTL --socket $SOCKET --json show ha | jq -r '.instances[0].master')\" = $PEER ]" || true
check_eq "sluice is backup" backup "$(ha_field state)"
check_eq "sluice names keepalived as master, priority 200" "$PEER 200" "$(ha_field master) $(ha_field master_priority)"
wait_until 5 "three adverts heard" bash -c "[ \"\$($SLUICECTL --socket $SOCKET --json show ha | jq -r '.instances[0].adverts_received')\" -ge 3 ]" || true
check_ge "sluice hears keepalived's adverts" "$(ha_field adverts_received)" 3
check_eq "none of them refused" 0 "$(ctl_json show ha | jq '[.instances[0].drops[]] | add')"
check_eq "keepalived stays master" MASTER "$(tail -n1 "$KEEPALIVED_STATES")"
check_eq "nobody answers ARP for $FLOAT: sluice, backup, leaves it to the master" "" "$(resolved_mac "$FLOAT")"

# ---------------------------------------------------------------- keepalived stops
step "keepalived stops (priority 0): sluice takes over"
tcpdump_file=$E2E_TMP/vrrp.pcap
ip netns exec "$PEER_NS" timeout 10 tcpdump -i eth0 -U -w "$tcpdump_file" ip proto 112 2>/dev/null &
dump_pid=$!
garp_file=$E2E_TMP/garp.pcap
in_client timeout 10 tcpdump -i eth0 -U -w "$garp_file" arp 2>/dev/null &
garp_pid=$!
sleep 1
check_hands_over keepalived "$KEEPALIVED_PID" stop_keepalived sluice ha_is master
sleep 1
kill "$dump_pid" 2>/dev/null || true
wait "$dump_pid" 2>/dev/null || true
decoded=$(tshark -r "$tcpdump_file" -Y 'vrrp && ip.src == 198.18.0.1' -T fields -e vrrp.version \
  -e vrrp.virt_rtr_id -e vrrp.prio -e vrrp.ip_addr 2>/dev/null | sort -u)
say "sluice's adverts as tshark decodes them: $(tr '\n' ' ' <<<"$decoded")"
check_eq "tshark decodes them as VRRPv3, VRID 51, priority 100, $FLOAT" "$(printf '3\t51\t100\t%s' "$FLOAT")" "$decoded"
check_eq "with no expert warning (checksum, length)" 0 \
  "$(tshark -r "$tcpdump_file" -Y 'vrrp && ip.src == 198.18.0.1 && _ws.expert' 2>/dev/null | wc -l)"
check_eq "their TTL is 255" 255 "$(tshark -r "$tcpdump_file" -Y 'vrrp && ip.src == 198.18.0.1' -T fields -e ip.ttl 2>/dev/null | sort -u)"
kill "$garp_pid" 2>/dev/null || true
wait "$garp_pid" 2>/dev/null || true
check_eq "sluice announced $FLOAT by 2 rounds of 3 gratuitous ARPs" 6 \
  "$(tshark -r "$garp_file" -Y "arp.isgratuitous && arp.src.proto_ipv4 == $FLOAT && eth.src == ${MAC[lb0]}" 2>/dev/null | wc -l)"
check_eq "the client resolves $FLOAT to sluice's port" "${MAC[lb0]}" "$(resolved_mac "$FLOAT")"
wait_until 5 "notified" grep -q '^ha front  backup master' "$NOTIFIED" || true
check "the notify command heard it: kind, instance, from, to, why" \
  grep -q '^ha front  backup master .' "$NOTIFIED"

step "hostile adverts: wrong TTL, wrong version, bad checksum, truncated; sluice stays master"
hostile_drops() { ctl_json show ha | jq -r '.instances[0].drops | "\(.bad_ttl) \(.bad_version) \(.bad_checksum) \(.truncated)"'; }
before=$(hostile_drops)
ip netns exec "$PEER_NS" "$PY" - <<'PYEOF'
import struct
from scapy.all import IP, Ether, Raw, get_if_hwaddr, sendp
def sum16(data):
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    s = (s & 0xffff) + (s >> 16)
    return ~((s & 0xffff) + (s >> 16)) & 0xffff
def advert(version=3, checksum=None, cut=None):
    body = struct.pack("!BBBBHH", (version << 4) | 1, 51, 254, 1, 20, 0) + bytes([198, 18, 0, 15])
    pseudo = bytes([198, 18, 0, 5, 224, 0, 0, 18, 0, 112]) + struct.pack("!H", len(body))
    c = sum16(pseudo + body[:6] + b"\0\0" + body[8:]) if checksum is None else checksum
    body = body[:6] + struct.pack("!H", c) + body[8:]
    return body if cut is None else body[:cut]
def to_group(payload, ttl=255):  # on the wire as keepalived's go (no route: this is L2)
    frame = Ether(src=get_if_hwaddr("eth0"), dst="01:00:5e:00:00:12") / IP(
        src="198.18.0.5", dst="224.0.0.18", proto=112, ttl=ttl) / Raw(payload)
    sendp(frame, iface="eth0", verbose=False)
to_group(advert(), ttl=64)         # crossed a router
to_group(advert(version=2))        # VRRPv2 in a v3 instance
to_group(advert(checksum=0x1234))  # forged
to_group(advert(cut=5))            # truncated
PYEOF
sleep 1
read -r t0 v0 c0 x0 <<<"$before"
read -r t1 v1 c1 x1 <<<"$(hostile_drops)"
check_eq "each dropped under its own name (bad_ttl, bad_version, bad_checksum, truncated)" \
  "1 1 1 1" "$((t1 - t0)) $((v1 - v0)) $((c1 - c0)) $((x1 - x0))"
check_eq "priority 254 in them moved nothing: sluice is master" master "$(ha_field state)"

# ---------------------------------------------------------------- keepalived returns higher
step "keepalived returns at 200: it preempts"
start_keepalived 200
wait_until 10 "sluice backup" ha_is backup || true
check_eq "sluice stepped down" backup "$(ha_field state)"
check_eq "and leaves $FLOAT to keepalived (no ARP answer)" "" "$(resolved_mac "$FLOAT")"
wait_until 5 "keepalived master" keepalived_says MASTER || true
check_eq "keepalived is master" MASTER "$(tail -n1 "$KEEPALIVED_STATES")"
stop_keepalived
wait_until 5 "sluice master again" ha_is master || true

# ---------------------------------------------------------------- keepalived returns lower
step "keepalived returns at 50: sluice stays master"
start_keepalived 50
sleep 2
check_eq "sluice is still master" master "$(ha_field state)"
check_eq "keepalived says BACKUP" BACKUP "$(tail -n1 "$KEEPALIVED_STATES")"

# ---------------------------------------------------------------- tracking
step "sluice's back port loses its link: tracking puts it in fault"
ip -n "$SWITCH_NS" link set p-lb1 down
wait_until 5 "sluice in fault" ha_is fault || true
check_eq "sluice is in fault" fault "$(ha_field state)"
check_eq "show ha says why" "interface back: link down" "$(ctl_json show ha | jq -r '.instances[0].tracked_down[]')"
wait_until 5 "keepalived master" keepalived_says MASTER || true
check_eq "keepalived (50) took over" MASTER "$(tail -n1 "$KEEPALIVED_STATES")"
ip -n "$SWITCH_NS" link set p-lb1 up
wait_until 5 "sluice master again" ha_is master || true
check_eq "the link is back: sluice (100, preempt) is master again" master "$(ha_field state)"
check_eq "nothing is down any more" 0 "$(ctl_json show ha | jq '.instances[0].tracked_down | length')"

step "ha-web loses its only real server (tracked service): fault, and back"
check "sluicectl set server halts dr1 in ha-web" ctl set server "$FLOAT:80" 198.18.0.21:80 state halt
wait_until 5 "sluice in fault" ha_is fault || true
check_eq "sluice is in fault" fault "$(ha_field state)"
check_eq "show ha says why" "service ha-web: no real server" "$(ctl_json show ha | jq -r '.instances[0].tracked_down[]')"
wait_until 5 "keepalived master" keepalived_says MASTER || true
check_eq "keepalived (50) took over" MASTER "$(tail -n1 "$KEEPALIVED_STATES")"
check "the notify command heard the fault" grep -q '^ha front  master fault' "$NOTIFIED"
check "sluicectl set server puts dr1 back online" ctl set server "$FLOAT:80" 198.18.0.21:80 state online
wait_until 5 "sluice master again" ha_is master || true
check_eq "the service has a server again: sluice is master again" master "$(ha_field state)"

# ---------------------------------------------------------------- the operator's commands
step "sluicectl ha maintenance on: sluice hands over and stays backup"
check "sluicectl ha maintenance on front" ctl ha maintenance on front
wait_until 5 "keepalived master" keepalived_says MASTER || true
check_eq "keepalived (50) is master" MASTER "$(tail -n1 "$KEEPALIVED_STATES")"
check_eq "sluice is backup, in maintenance" "backup true" "$(ha_field state) $(ha_field maintenance)"
sleep 2
check_eq "and stays backup though its priority is higher" backup "$(ha_field state)"
step "sluicectl ha maintenance off: sluice (100, preempt) takes the addresses back"
check "sluicectl ha maintenance off" ctl ha maintenance off
wait_until 5 "sluice master" ha_is master || true
check_eq "sluice is master again" master "$(ha_field state)"
wait_until 5 "keepalived backup" keepalived_says BACKUP || true
check_eq "keepalived is backup again" BACKUP "$(tail -n1 "$KEEPALIVED_STATES")"
step "sluicectl ha failover: keepalived takes over (and sluice, preempting, takes back)"
: >"$KEEPALIVED_STATES"
check "sluicectl ha failover" ctl ha failover
wait_until 5 "keepalived master" grep -qx MASTER "$KEEPALIVED_STATES" || true
check "keepalived became master after the failover" grep -qx MASTER "$KEEPALIVED_STATES"
out=$(ctl ha failover nosuch 2>&1 || true)
check_match "a failover of an unknown instance is refused" "no VRRP instance named nosuch" "$out"
wait_until 5 "sluice master" ha_is master || true

# ---------------------------------------------------------------- sluice stops cleanly
step "sluice stops cleanly: keepalived takes over at once"
check_hands_over sluice "$DAEMON_PID" daemon_stop keepalived keepalived_says MASTER
check_eq "sluiced stopped cleanly" 0 "$DAEMON_STATUS"

# ---------------------------------------------------------------- preempt delay
step "sluice (100) returns with preempt_delay 2 s: backup to keepalived (50) until then"
sed -i 's/interval: 0.2, addresses/interval: 0.2, preempt_delay: 2, addresses/' "$config"
t0=$(date +%s%N)
daemon_start "$config"
sleep 1
check_eq "a second after its start sluice is still backup" backup "$(ha_field state)"
wait_until 5 "sluice master" ha_is master || true
took=$(ms_since "$t0")
check_eq "then it preempts" master "$(ha_field state)"
check_ge "no sooner than the delay (${took} ms after it was started)" "$took" 2000

e2e_end
