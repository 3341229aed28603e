#!/usr/bin/env bash
# End to end: health checks against real servers in the lab's namespaces.
#   http     web-nat (198.18.0.11:80) is checked on each NAT server's nginx (:8081 /health,
#            body "OK"): nginx stopped on nat1 -> nat1 out within interval * fall + interval,
#            no new connection to it while a held one goes on; nginx back -> nat1 back after rise
#   fallback hc-fallback (:82, nat1 + nat2, checked the same way) sends everything to its
#            fallback nat3 when both are down, and gives it back when nat1 returns
#   https    hc-https (:83) on nginx with a self-signed certificate: up without verification,
#            down with it (nat3 asks for it)
#   ping     hc-udp (:54/udp) is pinged; nat1 drops ICMP -> its datagrams go to nat2 only
#   dns      hc-dns (:55/udp) asks dnsmasq on nat2 for check.test A; nat3 runs none -> down
#   external hc-script (:84): a script that passes (and gets vip vport rip rport), one that
#            exits 2, one that hangs and is killed at its timeout
#   notify   every state change runs health.notify with the change as arguments
#   restart  a drain set by sluicectl survives a restart of sluiced (the state file)
#   bad keys a reload with a misplaced check key is refused, naming file, line and column
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

e2e_begin

# ---------------------------------------------------------------- real servers' extras
step "nginx (health endpoints, http and https) on nat1..3, dnsmasq on nat2"
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=check.test -days 1 \
  -keyout "$E2E_TMP/key.pem" -out "$E2E_TMP/cert.pem" 2>/dev/null
declare -A NGINX_PID=()
start_nginx() {
  local s=$1 dir=$E2E_TMP/nginx-$1
  mkdir -p "$dir/logs"
  cat >"$dir/nginx.conf" <<EOF
daemon off;
master_process off;
user root;
pid $dir/nginx.pid;
error_log $dir/logs/error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path $dir; proxy_temp_path $dir; fastcgi_temp_path $dir;
  uwsgi_temp_path $dir; scgi_temp_path $dir;
  server { listen 8081; location /health { return 200 "OK $s\n"; } }
  server {
    listen 8443 ssl;
    ssl_certificate $E2E_TMP/cert.pem; ssl_certificate_key $E2E_TMP/key.pem;
    location /health { return 200 "OK $s\n"; }
  }
}
EOF
  ip netns exec "sl-$s" nginx -p "$dir" -c "$dir/nginx.conf" &
  NGINX_PID[$s]=$!
  E2E_BG_PIDS+=("$!")
  wait_until 10 "nginx on $s" ip netns exec "sl-$s" curl -sf --max-time 1 "http://127.0.0.1:8081/health" ||
    abort "nginx did not start on $s"
}
stop_nginx() { stop_pid 2 "${NGINX_PID[$1]}"; }
for s in nat1 nat2 nat3; do start_nginx "$s"; done
ip netns exec sl-nat2 dnsmasq --keep-in-foreground --no-resolv --no-hosts --port=5300 \
  --listen-address=198.18.1.22 --bind-interfaces --address=/check.test/198.18.1.22 \
  --pid-file="$E2E_TMP/dnsmasq.pid" 2>"$E2E_TMP/dnsmasq.log" &
E2E_BG_PIDS+=("$!")

# External checks and the notify command.
cat >"$E2E_TMP/pass.sh" <<EOF
#!/bin/sh
echo "\$@ \$SLUICE_RIP" >"$E2E_TMP/pass.args"
exit 0
EOF
printf '#!/bin/sh\nexit 2\n' >"$E2E_TMP/fail.sh"
printf '#!/bin/sh\nsleep 30\n' >"$E2E_TMP/hang.sh"
NOTIFIED=$E2E_TMP/notified
cat >"$E2E_TMP/notify.sh" <<EOF
#!/bin/sh
echo "\$*" >>"$NOTIFIED"
EOF
chmod +x "$E2E_TMP"/*.sh
touch "$NOTIFIED"

# ---------------------------------------------------------------- configuration
HTTP_CHECK='{ type: http, port: 8081, path: /health, expect_body: OK, interval: 0.5, timeout: 0.4, rise: 2, fall: 2 }'
config=$E2E_TMP/sluice.yaml
config_from_demo "$config" "/name: web-nat/,/real_servers/ s|scheduler: rr|scheduler: rr\n    health_check: $HTTP_CHECK|"
cat >>"$config" <<EOF

  - name: hc-fallback
    address: $VIP_NAT
    ports: [82]
    protocol: tcp
    mode: nat
    scheduler: rr
    health_check: $HTTP_CHECK
    real_servers:
      - { address: 198.18.1.21, port: 8080 }
      - { address: 198.18.1.22, port: 8080 }
    fallback: { address: 198.18.1.23, port: 8080 }

  - name: hc-https
    address: $VIP_NAT
    ports: [83]
    protocol: tcp
    mode: nat
    health_check: { type: https, port: 8443, path: /health, host: check.test, expect_body: OK, interval: 0.5, timeout: 0.4 }
$(nat_real_servers_yaml | sed '$ s|}$|, health_check: { verify_certificate: true } }|')

  - name: hc-udp
    address: $VIP_NAT
    ports: [54]
    protocol: udp
    mode: nat
    scheduler: rr
    health_check: { type: ping, interval: 0.5, timeout: 0.4, rise: 2, fall: 2 }
    real_servers:
      - { address: 198.18.1.21, port: 5353 }
      - { address: 198.18.1.22, port: 5353 }

  - name: hc-dns
    address: $VIP_NAT
    ports: [55]
    protocol: udp
    mode: nat
    health_check: { type: dns, port: 5300, query_name: check.test, query_type: A, interval: 0.5, timeout: 0.4 }
    real_servers:
      - { address: 198.18.1.22, port: 5353 }
      - { address: 198.18.1.23, port: 5353 }

  - name: hc-script
    address: $VIP_NAT
    ports: [84]
    protocol: tcp
    mode: nat
    health_check: { type: external, command: $E2E_TMP/pass.sh, interval: 1, timeout: 0.5 }
    real_servers:
      - { address: 198.18.1.21, port: 8080 }
      - { address: 198.18.1.22, port: 8080, health_check: { command: $E2E_TMP/fail.sh } }
      - { address: 198.18.1.23, port: 8080, health_check: { command: $E2E_TMP/hang.sh } }

  - name: hc-udpcheck
    address: $VIP_NAT
    ports: [56]
    protocol: udp
    mode: nat
    health_check: { type: udp, payload: "sluice check", expect_reply: nat, interval: 0.5, timeout: 0.4 }
    real_servers:
      - { address: 198.18.1.21, port: 5353 }
      - { address: 198.18.1.22, port: 5353, health_check: { expect_reply: nomatch } }
      - { address: 198.18.1.23, port: 5354 }

  - name: hc-onoff
    address: $VIP_NAT
    ports: [87]
    protocol: tcp
    mode: nat
    health_check: { type: on }
    real_servers:
      - { address: 198.18.1.21, port: 8080 }
      - { address: 198.18.1.22, port: 8080, health_check: { type: off } }

  - name: hc-routed
    address: $VIP_NAT
    ports: [86]
    protocol: tcp
    mode: nat
    health_check: { type: connect, interval: 0.5, timeout: 0.4 }
    real_servers:
      - { address: 198.19.77.1, port: 8080 }

routes:
  - { prefix: 198.19.77.0/24, via: 198.18.1.23 }

health:
  notify: $E2E_TMP/notify.sh
EOF
# hc-routed's server is behind a route: an address on nat3's loopback.
ip -n sl-nat3 addr add 198.19.77.1/32 dev lo
daemon_start "$config"
wait_http "http://$VIP_NAT/"

# health_of SERVICE RIP:PORT FIELD: a field of show servers, by service name.
health_of() {
  ctl_json show servers | jq -r --arg v "$1" --arg s "$2" --arg f "$3" \
    '[.[] | select(.vip == $v and .server == $s)][0][$f] // empty'
}
health_is() { [ "$(health_of "$1" "$2" health)" = "$3" ]; }
# verdict SERVICE RIP:PORT: "health result", once a check has ended (an unchecked-yet server
# would read "up" with no result: the result shows the check ran).
verdict() {
  wait_until 10 "a check of $2 in $1 to end" bash -c "[ -n \"\$($SLUICECTL --socket $SOCKET --json show servers | jq -r --arg v '$1' --arg s '$2' '.[] | select(.vip == \$v and .server == \$s) | .check_result')\" ]" || true
  echo "$(health_of "$1" "$2" health) $(health_of "$1" "$2" check_result)"
}

# ---------------------------------------------------------------- every check type's first verdict
step "first verdicts"
# Every check starts within its first interval: wait for the verdicts that are not "up".
wait_until 10 "hc-https nat3 down" health_is hc-https "${RIP[nat3]}" down || true
wait_until 10 "hc-dns nat3 down" health_is hc-dns 198.18.1.23:5353 down || true
for s in nat1 nat2 nat3; do
  check_eq "web-nat: $s is up (http check)" "up HTTP 200" "$(verdict web-nat "${RIP[$s]}")"
done
for s in nat1 nat2; do
  check_eq "hc-https: $s is up (https, no verification)" "up HTTP 200" "$(verdict hc-https "${RIP[$s]}")"
done
check_eq "hc-https: nat3 is down (it verifies a self-signed certificate)" down "$(health_of hc-https "${RIP[nat3]}" health)"
check_match "hc-https: nat3's reason is TLS" '^TLS' "$(health_of hc-https "${RIP[nat3]}" check_result)"
check_eq "hc-dns: nat2 (dnsmasq answers check.test) is up" "up NOERROR" "$(verdict hc-dns 198.18.1.22:5353)"
check_eq "hc-dns: nat3 (no DNS server) is down" down "$(health_of hc-dns 198.18.1.23:5353 health)"
say "hc-dns nat3: $(health_of hc-dns 198.18.1.23:5353 check_result)"
wait_until 10 "hc-script nat3 killed" health_is hc-script "${RIP[nat3]}" down || true
wait_until 10 "hc-script nat2 failed" health_is hc-script "${RIP[nat2]}" down || true
wait_until 10 "hc-script nat1's script ran" test -s "$E2E_TMP/pass.args" || true
check_eq "hc-script: nat1 (script exits 0) is up" "up exit 0" "$(verdict hc-script "${RIP[nat1]}")"
check_eq "hc-script: the script got vip vport rip rport" "$VIP_NAT 84 198.18.1.21 8080 198.18.1.21" "$(cat "$E2E_TMP/pass.args")"
check_eq "hc-script: nat2 says script exit 2" "script exit 2" "$(health_of hc-script "${RIP[nat2]}" check_result)"
check_match "hc-script: nat3's hanging script was killed at its timeout" 'killed at its timeout' \
  "$(health_of hc-script "${RIP[nat3]}" check_result)"
wait_until 10 "hc-udpcheck nat3 down" health_is hc-udpcheck 198.18.1.23:5354 down || true
check_eq "hc-udpcheck: nat1 replies to the payload" "up reply" \
  "$(health_of hc-udpcheck 198.18.1.21:5353 health) $(health_of hc-udpcheck 198.18.1.21:5353 check_result)"
check_eq "hc-udpcheck: nat2's reply lacks the expected text" 'down reply does not contain "nomatch"' \
  "$(health_of hc-udpcheck 198.18.1.22:5353 health) $(health_of hc-udpcheck 198.18.1.22:5353 check_result)"
check_eq "hc-udpcheck: nothing listens on nat3:5354" "down port unreachable" \
  "$(health_of hc-udpcheck 198.18.1.23:5354 health) $(health_of hc-udpcheck 198.18.1.23:5354 check_result)"
check_eq "hc-onoff: type on is up" "up check type on" "$(verdict hc-onoff "${RIP[nat1]}")"
check_eq "hc-onoff: type off is down" "down check type off" \
  "$(health_of hc-onoff "${RIP[nat2]}" health) $(health_of hc-onoff "${RIP[nat2]}" check_result)"
http_burst "http://$VIP_NAT:87/" 6 >"$E2E_TMP/onoff.txt"
check_eq "hc-onoff: only the server that is on answers" 6 "$(count_of nat1 "$E2E_TMP/onoff.txt")"
check_match "the kernel routes 198.19.77.0/24 through the TAP twin too" 'via 198.18.1.23 dev sl-tap1' \
  "$(ip -n "$LB_NS" route show 198.19.77.0/24)"
check_eq "hc-routed: a real server behind a route is checked up" "up connected" "$(verdict hc-routed 198.19.77.1:8080)"
# The hanging script runs again every second and is killed after 0.5 s, its sleep with it
# (the whole process group): no `sleep 30` of it lives 2 s or more.
sleep 3
lingering=$(ps -eo etimes=,args= | awk '$2 == "sleep" && $3 == "30" && $1 >= 2' | wc -l)
check_eq "a killed script's children go with it (no sleep outlives its script)" 0 "$lingering"

# ---------------------------------------------------------------- http: a server fails and returns
step "nginx stops on the real server holding a connection"
S=""
for id in h1 h2 h3; do
  hold_open "$id"
  wait_until 5 "held connection on a NAT server" nat_server_holding "$(held_local "$id")" || continue
  if [ "$(nat_server_holding "$(held_local "$id")")" = nat1 ]; then S=$id; break; fi
done
[ -n "$S" ] || abort "no held connection landed on nat1 (rr over three)"
say "held connection $S is on nat1"
t0=$(date +%s%N)
stop_nginx nat1
wait_until 10 "nat1 down" health_is web-nat "${RIP[nat1]}" down || true
elapsed_ms=$((($(date +%s%N) - t0) / 1000000))
say "nat1 left rotation ${elapsed_ms} ms after nginx stopped (interval 0.5 s, fall 2: bound 1.5 s + polling)"
check_eq "nat1 is down" down "$(health_of web-nat "${RIP[nat1]}" health)"
check_ge "nat1 left within interval * fall + interval (+0.5 s of polling)" "$((2000 - elapsed_ms))" 0
check_match "the reason names the refused connection" 'refused' "$(health_of web-nat "${RIP[nat1]}" check_result)"
http_burst "http://$VIP_NAT/" 30 >"$E2E_TMP/down.txt"
say "with nat1 down: $(tally "$E2E_TMP/down.txt")"
check_eq "all 30 requests answered" 30 "$(answered "$E2E_TMP/down.txt")"
check_eq "none went to nat1" 0 "$(count_of nat1 "$E2E_TMP/down.txt")"
hold_release "$S"
check_eq "the held connection on nat1 still gets its answer" "answer nat1" "$HELD_RESULT"
for id in h1 h2 h3; do [ -n "${HELD_PID[$id]:-}" ] && hold_release "$id"; done

step "fallback: both of hc-fallback's servers down"
stop_nginx nat2
wait_until 10 "nat2 down" health_is hc-fallback "${RIP[nat2]}" down || true
http_burst "http://$VIP_NAT:82/" 10 >"$E2E_TMP/fallback.txt"
say "hc-fallback with nat1 and nat2 down: $(tally "$E2E_TMP/fallback.txt")"
# A lone curl timeout in this busy lab (checks of every kind run meanwhile) is not the
# fallback failing: what matters is that nothing reaches the downed servers.
check_ge "the fallback nat3 answers the requests (at least 9 of 10)" "$(count_of nat3 "$E2E_TMP/fallback.txt")" 9
check_eq "none reaches nat1 or nat2" 0 "$(( $(count_of nat1 "$E2E_TMP/fallback.txt") + $(count_of nat2 "$E2E_TMP/fallback.txt") ))"
check_match "notify heard: fallback taken" '^fallback hc-fallback 198.18.1.23 +taken' "$(cat "$NOTIFIED")"

step "nginx starts again on nat1"
t0=$(date +%s%N)
start_nginx nat1
wait_until 10 "nat1 up" health_is web-nat "${RIP[nat1]}" up || true
say "nat1 back $((($(date +%s%N) - t0) / 1000000)) ms after nginx started (rise 2)"
check_eq "nat1 is up again" "up HTTP 200" "$(verdict web-nat "${RIP[nat1]}")"
http_burst "http://$VIP_NAT/" 30 >"$E2E_TMP/up.txt"
say "with nat1 back: $(tally "$E2E_TMP/up.txt")"
check_ge "nat1 takes new connections again" "$(count_of nat1 "$E2E_TMP/up.txt")" 5
wait_until 5 "hc-fallback given back" grep -Eq 'fallback hc-fallback 198.18.1.23 +given back' "$NOTIFIED" || true
check_match "notify heard: fallback given back" 'fallback hc-fallback 198.18.1.23 +given back' "$(cat "$NOTIFIED")"
http_burst "http://$VIP_NAT:82/" 10 >"$E2E_TMP/given_back.txt"
check_eq "hc-fallback: nat1 answers again, not the fallback" 10 "$(count_of nat1 "$E2E_TMP/given_back.txt")"
check_match "notify heard: nat1 down with its reason" '^health web-nat 198.18.1.21:8080 up down .*refused' "$(cat "$NOTIFIED")"
check_match "notify heard: nat1 up" '^health web-nat 198.18.1.21:8080 down up' "$(cat "$NOTIFIED")"
start_nginx nat2

# ---------------------------------------------------------------- ping on a UDP service
step "ping check: nat1 drops ICMP echo"
udp_ask "$VIP_NAT" 54 10 41000 >"$E2E_TMP/udp_before.txt"
check_ge "hc-udp: nat1 answers before" "$(grep -c nat1 "$E2E_TMP/udp_before.txt" || true)" 1
ip netns exec sl-nat1 nft add table inet hc_test
ip netns exec sl-nat1 nft 'add chain inet hc_test input { type filter hook input priority 0 ; }'
ip netns exec sl-nat1 nft add rule inet hc_test input icmp type echo-request drop
wait_until 10 "hc-udp nat1 down" health_is hc-udp 198.18.1.21:5353 down || true
check_eq "hc-udp: nat1 is down" down "$(health_of hc-udp 198.18.1.21:5353 health)"
udp_ask "$VIP_NAT" 54 10 42000 >"$E2E_TMP/udp_after.txt"
say "hc-udp answers: $(sort "$E2E_TMP/udp_after.txt" | uniq -c | tr '\n' ' ')"
check_eq "hc-udp: no datagram goes to nat1" 0 "$(grep -c nat1 "$E2E_TMP/udp_after.txt" || true)"
check_ge "hc-udp: nat2 answers them" "$(grep -c nat2 "$E2E_TMP/udp_after.txt" || true)" 10
ip netns exec sl-nat1 nft delete table inet hc_test

# ---------------------------------------------------------------- the operator's state survives a restart
step "drain nat2, restart sluiced"
ctl set server "$VIP_NAT:80" "${RIP[nat2]}" state drain >/dev/null
state_file=${SOCKET%.sock}.state
check "the state file exists next to the socket" test -s "$state_file"
daemon_stop
check_eq "sluiced stopped cleanly" 0 "$DAEMON_STATUS"
daemon_start "$config"
check_eq "nat2 is still drained after the restart" drain "$(health_of web-nat "${RIP[nat2]}" state)"
ctl set server "$VIP_NAT:80" "${RIP[nat2]}" state online >/dev/null
check_eq "and online when the operator says so" online "$(health_of web-nat "${RIP[nat2]}" state)"

# ---------------------------------------------------------------- a reload turns a check off and back
step "reload: nat3's check of web-nat turned off, then back to http"
reload_with() { sed "$1" "$config" >"$config.tmp" && mv "$config.tmp" "$config" && ctl reload >/dev/null; }
reload_with 's|{ address: 198.18.1.23, port: 8080, weight: 1 }|{ address: 198.18.1.23, port: 8080, weight: 1, health_check: { type: off } }|'
check_eq "web-nat: nat3 is down, its check type off" "down check type off" \
  "$(health_of web-nat "${RIP[nat3]}" health) $(health_of web-nat "${RIP[nat3]}" check_result)"
check_match "notify heard: the configuration took nat3 down" '^health web-nat 198.18.1.23:8080 up down configuration' "$(cat "$NOTIFIED")"
check_match "the reload says what it changed" 'event=reload to=taken reason="generation [0-9]+: real servers: changed web-nat 198.18.1.23:8080"' "$(cat "$DAEMON_LOG")"
reload_with '/198.18.1.23, port: 8080, weight: 1/ s|, health_check: { type: off } }| }|'
wait_until 5 "nat3 checked again" bash -c "$SLUICECTL --socket $SOCKET --json show servers | jq -e '.[] | select(.vip == \"web-nat\" and .server == \"${RIP[nat3]}\" and .check_result == \"HTTP 200\")' >/dev/null" || true
check_eq "web-nat: nat3 is up again under its http check" "up HTTP 200" \
  "$(health_of web-nat "${RIP[nat3]}" health) $(health_of web-nat "${RIP[nat3]}" check_result)"
# show servers has the check's verdict at once; the workers get it with the next batch.
wait_until 5 "nat3 back in the workers' rotation" bash -c "$SLUICECTL --socket $SOCKET --json show servers | jq -e '.[] | select(.vip == \"web-nat\" and .server == \"${RIP[nat3]}\" and .effective_state == \"online\" and .weight > 0)' >/dev/null" || true
http_burst "http://$VIP_NAT/" 9 >"$E2E_TMP/nat3_back.txt"
check_eq "nat3 takes connections again" 3 "$(count_of nat3 "$E2E_TMP/nat3_back.txt")"

# ---------------------------------------------------------------- a bad key in a reload
step "reload with a key that does not apply to the check type"
sed 's|health_check: { type: ping, interval|health_check: { type: ping, path: /x, interval|' "$config" >"$config.tmp"
mv "$config.tmp" "$config"
out=$(ctl reload 2>&1 || true)
say "reload: $out"
check_match "the reload is refused naming file:line:column and the key" \
  "sluice.yaml:[0-9]+:[0-9]+: .*health_check.path: path applies to http and https checks" "$out"
check "sluiced still answers" ctl show servers
check_match "notify heard the refused reload" '^reload +refused' "$(cat "$NOTIFIED")"

e2e_end
