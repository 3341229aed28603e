#!/usr/bin/env bash
# 2,000 real servers checked every second, in the lab (docs/performance.md, "Health checks").
#   bench/health_checks.sh [connect|http] [seconds]
# The NAT real servers nat1..3 each run nginx on 667 ports (9000..9666): 2,001 address:port
# pairs, of which 2,000 are the real servers of 20 services (wlc, 100 each). Prints
#   - the CPU the control thread (sluiced's main thread) spends per second, with the checks
#     and without them (the same appliance, no health_check), over `seconds` (default 20);
#   - the time from a real server's failure (its nginx port starts refusing, by nftables) to
#     the snapshot that no longer lets workers choose it (show servers: effective_state
#     drain), five times, with interval 1 s, timeout 0.5 s, fall 2: bound 2.5 s.
# Bounded: each phase runs for `seconds`, everything is torn down by the e2e library's trap.
set -Eeuo pipefail
E2E_NAME=health_bench
# shellcheck source-path=SCRIPTDIR source=../tests/e2e/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../tests/e2e/lib.sh"
type=${1:-connect}
seconds=${2:-20}
case $type in connect | http) ;; *) echo "usage: bench/health_checks.sh [connect|http] [seconds]" >&2; exit 2 ;; esac

e2e_begin
step "nginx on 667 ports in each of nat1..3"
for s in nat1 nat2 nat3; do
  dir=$E2E_TMP/nginx-$s
  mkdir -p "$dir"
  {
    echo "daemon off; master_process off; user root; pid $dir/nginx.pid; error_log $dir/error.log;"
    echo "worker_rlimit_nofile 8192; events { worker_connections 4096; }"
    echo "http { access_log off; client_body_temp_path $dir; proxy_temp_path $dir;"
    echo "  fastcgi_temp_path $dir; uwsgi_temp_path $dir; scgi_temp_path $dir; server {"
    for ((p = 9000; p <= 9666; p++)); do echo "    listen $p;"; done
    echo "    location / { return 200 \"OK\n\"; } } }"
  } >"$dir/nginx.conf"
  ip netns exec "sl-$s" nginx -p "$dir" -c "$dir/nginx.conf" &
  E2E_BG_PIDS+=("$!")
done
wait_until 10 "nginx on nat3" ip netns exec sl-nat3 curl -sf --max-time 1 http://127.0.0.1:9666/ ||
  abort "nginx did not start"

# write_config FILE CHECK: 20 services of 100 servers; CHECK empty for none.
write_config() {
  local out=$1 check=$2 v k i
  config_from_demo "$out"
  {
    for ((v = 0; v < 20; v++)); do
      echo "  - name: bench$v"
      echo "    address: $VIP_NAT"
      echo "    ports: [$((1001 + v))]"
      echo "    protocol: tcp"
      echo "    mode: nat"
      [ -n "$check" ] && echo "    health_check: $check"
      echo "    real_servers:"
      for ((k = 0; k < 100; k++)); do
        i=$((v * 100 + k))
        echo "      - { address: 198.18.1.2$((i % 3 + 1)), port: $((9000 + i / 3)) }"
      done
    done
  } >>"$out"
}

# main_thread_ticks: user+system clock ticks of sluiced's main thread (the control plane).
main_thread_ticks() { awk '{print $14 + $15}' "/proc/$DAEMON_PID/task/$DAEMON_PID/stat"; }

# cpu_percent: the control thread's CPU over `seconds`, in percent of one core.
cpu_percent() {
  local t0 t1 hz
  hz=$(getconf CLK_TCK)
  t0=$(main_thread_ticks)
  sleep "$seconds"
  t1=$(main_thread_ticks)
  echo "$(((t1 - t0) * 100 * 100 / hz / seconds))" | awk '{printf "%.1f", $1 / 100}'
}

config=$E2E_TMP/sluice.yaml
write_config "$config" ""
daemon_start "$config"
sleep 3
base=$(cpu_percent)
say "control thread without checks: $base% of a core"
daemon_stop

write_config "$config" "{ type: $type, interval: 1, timeout: 0.5, rise: 2, fall: 2 }"
daemon_start "$config"
wait_until 30 "2,000 servers checked up" bash -c \
  "[ \$($SLUICECTL --socket $SOCKET --json show servers | jq '[.[] | select(.vip | startswith(\"bench\")) | select(.health == \"up\")] | length') -eq 2000 ]" ||
  say "not all 2,000 servers were up within 30 s"
checked=$(ctl_json show servers | jq '[.[] | select(.vip | startswith("bench")) | select(.health == "up")] | length')
with=$(cpu_percent)
say "control thread with $checked servers checked ($type) every second: $with% of a core"

step "failure to the workers no longer choosing the server: bench0 198.18.1.21:9000"
state_of() {
  ctl_json show servers | jq -r '.[] | select(.vip == "bench0" and .server == "198.18.1.21:9000") | .effective_state'
}
ip netns exec sl-nat1 nft add table inet bench
ip netns exec sl-nat1 nft 'add chain inet bench input { type filter hook input priority 0 ; }'
times=()
for round in 1 2 3 4 5; do
  ip netns exec sl-nat1 nft add rule inet bench input tcp dport 9000 reject with tcp reset
  t0=$(date +%s%N)
  until [ "$(state_of)" = drain ]; do
    [ $((($(date +%s%N) - t0) / 1000000)) -lt 10000 ] || break
  done
  times+=($((($(date +%s%N) - t0) / 1000000)))
  ip netns exec sl-nat1 nft flush chain inet bench input
  wait_until 10 "back online" bash -c "[ \"\$($SLUICECTL --socket $SOCKET --json show servers | jq -r '.[] | select(.vip == \"bench0\" and .server == \"198.18.1.21:9000\") | .effective_state')\" = online ]" || true
done
say "failure -> out of rotation, ms: ${times[*]} (bound: interval x fall + timeout = 2500)"
echo "RESULT type=$type servers=$checked cpu_without=$base% cpu_with=$with% failure_ms=${times[*]}"
e2e_end
