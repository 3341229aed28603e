#!/usr/bin/env bash
# End to end: tun (IP-in-IP, like IPVS -i). The appliance wraps the client's packet in an outer
# IPv4 header (protocol 4, from its own front address 198.18.0.1 to the real server) and the
# real server, which holds the VIP on lo, answers the client directly, not through sluice.
#   web-tun  198.18.0.13:80  tun, rr -> dr1..3 (198.18.0.21..23)
# This kernel has no ipip module: each real server runs tests/e2e/ipip_decap.py, a user-space
# decapsulator (raw socket for protocol 4 -> outer header stripped -> TUN device tunl-sl).
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

readonly VIP_TUN=198.18.0.13
readonly LB_FRONT=198.18.0.1  # the appliance's address on the front segment: the outer source
declare -A SHIM_PID=()

# tun_frames ID: one line per frame of capture ID, "SRC-MAC PROTOS SRCS DSTS TCP-FLAGS", where
# the IP fields list the outer header's value, then the inner's: an encapsulated SYN reads
# "02:00:c6:12:00:01 4,6 198.18.0.1,198.18.0.2 198.18.0.21,198.18.0.13 0x0002".
tun_frames() {
  tshark -r "${CAPTURE_FILE[$1]}" -n -T fields -E separator=' ' \
    -e eth.src -e ip.proto -e ip.src -e ip.dst -e tcp.flags 2>/dev/null || true
}

e2e_begin
config=$E2E_TMP/sluice.yaml
config_from_demo "$config"
cat >>"$config" <<YAML

  - name: web-tun
    address: $VIP_TUN
    ports: [80]
    protocol: tcp
    mode: tun
    scheduler: rr
    real_servers:
      - { address: ${RIP[dr1]%:*} }
      - { address: ${RIP[dr2]%:*} }
      - { address: ${RIP[dr3]%:*} }
YAML

step "tun real servers: VIP $VIP_TUN on lo, the IP-in-IP shim running"
# arp_ignore=1 and arp_announce=2 are set by the lab already (DR servers).
for s in dr1 dr2 dr3; do
  ip -n "sl-$s" addr add "$VIP_TUN/32" dev lo
  # ip netns exec execs python, so $! is the shim itself; the EXIT trap stops it.
  ip netns exec "sl-$s" "$PY" "$E2E_ROOT/tests/e2e/ipip_decap.py" \
    --ready "$E2E_TMP/decap-$s.ready" </dev/null >"$E2E_TMP/decap-$s.log" 2>&1 &
  SHIM_PID[$s]=$!
  E2E_BG_PIDS+=("$!")
done
for s in dr1 dr2 dr3; do
  wait_until 10 "the shim in sl-$s" test -s "$E2E_TMP/decap-$s.ready" ||
    abort "the IP-in-IP shim in sl-$s did not start" "$(cat "$E2E_TMP/decap-$s.log")"
done
check "the shim's TUN device tunl-sl is up in sl-dr1" \
  bash -c "ip -n sl-dr1 link show tunl-sl | grep -q ',UP'"

daemon_start "$config"
wait_http "http://$VIP_TUN/"

step "tun: 60 requests to $VIP_TUN:80"
# On the switch: the appliance's port (what it sends to the real servers, and any reply that
# would come back through it) and the client's port (who delivers the replies).
capture_start lb "$SWITCH_NS" p-lb0 "ip proto 4 or host $VIP_TUN"
capture_start client "$SWITCH_NS" p-client "src host $VIP_TUN"
declare -A log_before=()
for s in dr1 dr2 dr3; do
  log_before[$s]=$(grep -c '^198\.18\.0\.2 ' "$LAB_LOG_DIR/$s-http.log" || true)
done
http_burst "http://$VIP_TUN/" 60 >"$E2E_TMP/tun.txt"
capture_stop lb
capture_stop client
say "answers: $(tally "$E2E_TMP/tun.txt")"
check_eq "all 60 tun requests answered" 60 "$(answered "$E2E_TMP/tun.txt")"
for s in dr1 dr2 dr3; do
  check_ge "$s answered tun requests (rr: about 20)" "$(count_of "$s" "$E2E_TMP/tun.txt")" 15
  # Only an outer header is added: the server sees the client's own address.
  after=$(grep -c '^198\.18\.0\.2 ' "$LAB_LOG_DIR/$s-http.log" || true)
  check_ge "$s logged requests from the client's own address 198.18.0.2" \
    "$((after - ${log_before[$s]}))" 15
done

step "the appliance encapsulates: IP proto 4, $LB_FRONT -> real server, inner dst $VIP_TUN"
frames=$(tun_frames lb)
from_lb=$(grep -E "^${MAC[lb0]} " <<<"$frames" || true)
encap="^${MAC[lb0]} 4,6 ${LB_FRONT//./\\.},198\.18\.0\.2 198\.18\.0\.2[123],${VIP_TUN//./\\.} "
# Each connection sends at least SYN, ACK and the request through the appliance.
check_ge "the appliance sent frames toward the real servers" "$(count_matching . "$from_lb")" 180
check_eq "every one is IP-in-IP from $LB_FRONT to dr1..3 carrying 198.18.0.2 -> $VIP_TUN" 0 \
  "$(count_not_matching "$encap" "$from_lb")"
for s in dr1 dr2 dr3; do
  check_ge "encapsulated SYNs to $s (outer dst ${RIP[$s]%:*})" \
    "$(count_matching "^${MAC[lb0]} 4,6 [0-9.,]+ ${RIP[$s]%:*},[0-9.]+ 0x0002$" "$from_lb")" 15
done
check_ge "the client's packets to $VIP_TUN reach the appliance (ARP for the VIP is sluice's)" \
  "$(count_matching "^${MAC[client]} 6 198\.18\.0\.2 ${VIP_TUN//./\\.} " "$frames")" 180
check_eq "no reply from $VIP_TUN passes the appliance's port" 0 \
  "$(count_matching "^[0-9a-f:]+ [0-9,]+ ${VIP_TUN//./\\.}[ ,]" "$frames")"

step "the real servers answer the client directly"
check_replies_direct client

step "the shims decapsulated every tunnelled packet"
for s in dr1 dr2 dr3; do
  stop_pid 5 "${SHIM_PID[$s]}"
  counts=$(grep '^ipip_decap: received' "$E2E_TMP/decap-$s.log" || true)
  say "$s: ${counts:-no counters (the shim did not exit cleanly)}"
  check_match "$s's shim forwarded packets and found none malformed" \
    '^ipip_decap: received [1-9][0-9]*, forwarded [1-9][0-9]*, malformed 0$' "$counts"
done

e2e_end
