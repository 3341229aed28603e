#!/usr/bin/env bash
# End to end: the three virtual services of demo.yaml reach every real server.
#   web-dr   198.18.0.10:80      DR, wlc:  every DR server answers, and answers the client
#                                          directly (reply frames carry the server's MAC)
#   web-nat  198.18.0.11:80      NAT, rr:  every NAT server answers and sees the client's address
#   dns-nat  198.18.0.11:53/udp  NAT, wrr: nat1 (weight 2) gets about twice nat2; nat3 none
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

e2e_begin
config=$E2E_TMP/sluice.yaml
config_from_demo "$config"
daemon_start "$config"
wait_http "http://$VIP_DR/"
wait_http "http://$VIP_NAT/"

# ---------------------------------------------------------------- DR
step "DR: 60 requests to $VIP_DR:80"
# Capture on the switch: every frame from the VIP delivered to the client must come straight
# from a DR server's MAC, none from the appliance's; the back port sees nothing of web-dr.
capture_start client "$SWITCH_NS" p-client "src host $VIP_DR"
capture_start back "$SWITCH_NS" p-lb1 "host $VIP_DR"
http_burst "http://$VIP_DR/" 60 >"$E2E_TMP/dr.txt"
capture_stop client
capture_stop back
say "answers: $(tally "$E2E_TMP/dr.txt")"
check_eq "all 60 DR requests answered" 60 "$(answered "$E2E_TMP/dr.txt")"
for s in dr1 dr2 dr3; do
  check_ge "$s answered DR requests" "$(count_of "$s" "$E2E_TMP/dr.txt")" 10
done

check_replies_direct client
check_eq "the back port (NAT segment) carried no web-dr traffic" 0 \
  "$(count_matching . "$(capture_frames back)")"

# ---------------------------------------------------------------- NAT, TCP
step "NAT: 60 requests to $VIP_NAT:80"
http_burst "http://$VIP_NAT/" 60 >"$E2E_TMP/nat.txt"
say "answers: $(tally "$E2E_TMP/nat.txt")"
check_eq "all 60 NAT requests answered" 60 "$(answered "$E2E_TMP/nat.txt")"
for s in nat1 nat2 nat3; do
  check_ge "$s answered NAT requests (rr: about 20)" "$(count_of "$s" "$E2E_TMP/nat.txt")" 15
  # NAT rewrites only the destination: the server's access log shows the client's address.
  check_ge "$s saw the client's own address 198.18.0.2" \
    "$(grep -c '^198\.18\.0\.2 ' "$LAB_LOG_DIR/$s-http.log" || true)" 1
done

step "NAT: 10 requests each from the client's other addresses"
for src in 198.18.0.3 198.18.0.4; do
  http_burst "http://$VIP_NAT/" 10 "$src" >"$E2E_TMP/nat-$src.txt"
  check_eq "all 10 requests from $src answered" 10 "$(answered "$E2E_TMP/nat-$src.txt")"
done

# ---------------------------------------------------------------- NAT, UDP
step "UDP NAT: 90 datagrams to $VIP_NAT:53, each from its own source port"
udp_ask "$VIP_NAT" 53 90 41000 >"$E2E_TMP/udp.txt"
say "answers: $(tally "$E2E_TMP/udp.txt")"
check_eq "every datagram answered" 0 "$(count_of - "$E2E_TMP/udp.txt")"
check_eq "every answer came from $VIP_NAT:53 (source rewritten back)" 0 \
  "$(grep -c '^wrong-source' "$E2E_TMP/udp.txt" || true)"
n1=$(count_of nat1 "$E2E_TMP/udp.txt")
n2=$(count_of nat2 "$E2E_TMP/udp.txt")
n3=$(count_of nat3 "$E2E_TMP/udp.txt")
check_ge "nat2 got datagrams" "$n2" 1
check_gt "nat1 (weight 2) got more than nat2 (weight 1)" "$n1" "$n2"
check_ge "nat1:nat2 is at least 1.5:1" "$((n1 * 10))" "$((n2 * 15))"
check_ge "nat1:nat2 is at most 2.5:1" "$((n2 * 25))" "$((n1 * 10))"
check_eq "nat3 (not in dns-nat) got none" 0 "$n3"

# ---------------------------------------------------------------- counters
step "statistics"
stats=$(ctl_json show stats)
check_ge "conns_created counts the 230 new connections" "$(jq -r '.conns_created' <<<"$stats")" 230
for port in front back; do
  check_ge "port $port transmitted packets" \
    "$(jq -r --arg p "$port" '.ports[] | select(.name == $p) | .tx_packets' <<<"$stats")" 1
done

step "show neighbours: the real servers were resolved by ARP"
neighbours=$(ctl_json show neighbours)
for s in dr1 dr2 dr3; do
  check_eq "$s (${RIP[$s]%:*}) resolved to its MAC" "${MAC[$s]} resolved" \
    "$(jq -r --arg a "${RIP[$s]%:*}" '.[] | select(.address == $a) | "\(.mac) \(.state)"' \
      <<<"$neighbours")"
done

e2e_end
