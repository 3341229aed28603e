# shellcheck shell=bash
# shellcheck disable=SC2034  # the lab facts and results below are read by the tests
# tests/e2e/lib.sh: shared helpers of the end-to-end tests (and of scripts/demo).
#
# A test sources this file and then:
#   e2e_begin                      # traps, temp dir, scripts/lab up (refuses leftovers)
#   daemon_start CONFIG            # sluiced in sl-lb; waits until `sluicectl show vips` works
#   wait_http http://198.18.0.11/  # until the client gets answers through the appliance
#   step "..."; check ...; check_eq ...
#   e2e_end                        # summary line "NAME: P passed, F failed", exit status
# Whatever happens (failure, Ctrl-C, timeout's SIGTERM), the EXIT trap stops the helpers and
# sluiced this test started, prints the daemon log tail if anything failed, and runs
# `scripts/lab down` if this test brought the lab up.

set -Eeuo pipefail

E2E_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
E2E_NAME=${E2E_NAME:-$(basename "$0" .sh)}
E2E_NAME=${E2E_NAME%_test}
SLUICED=${SLUICED:-$E2E_ROOT/build/release/control/sluiced}
SLUICECTL=${SLUICECTL:-$E2E_ROOT/build/release/control/sluicectl}
LAB=$E2E_ROOT/scripts/lab
DEMO_CONFIG=$E2E_ROOT/config/examples/demo.yaml
PY=/usr/bin/python3  # Debian's python (the pyenv shim on PATH lacks scapy and friends)
# What a test keeps after it ends (screenshots): build/e2e-output/NAME, replaced by each run.
E2E_OUT=${E2E_OUT:-$E2E_ROOT/build/e2e-output/$E2E_NAME}

# ---------------------------------------------------------------- lab facts (scripts/lab)
SOCKET=/run/sluice-lab/sluiced.sock  # control.socket of demo.yaml
LAB_LOG_DIR=/run/sluice-lab/log      # real servers' logs (http.server logs each request)
VIP_DR=198.18.0.10
VIP_NAT=198.18.0.11
CLIENT_NS=sl-client LB_NS=sl-lb SWITCH_NS=sl-sw
declare -A RIP=(
  [dr1]=198.18.0.21:80 [dr2]=198.18.0.22:80 [dr3]=198.18.0.23:80
  [nat1]=198.18.1.21:8080 [nat2]=198.18.1.22:8080 [nat3]=198.18.1.23:8080
)
declare -A MAC=(
  [lb0]=02:00:c6:12:00:01 [lb1]=02:00:c6:12:01:01 [client]=02:00:c6:12:00:02
  [dr1]=02:00:c6:12:00:15 [dr2]=02:00:c6:12:00:16 [dr3]=02:00:c6:12:00:17
)

# ---------------------------------------------------------------- state of this run
E2E_PASSED=0
E2E_FAILED=0
E2E_TMP=""
E2E_SUMMARY_DONE=0
E2E_DIAG_DONE=0
LAB_IS_OURS=0
E2E_STDOUT=1 E2E_STDERR=2  # the test's own stdout/stderr, saved by e2e_begin
DAEMON_PID=""
DAEMON_LOG=""
DAEMON_STATUS=""  # exit status of the last daemon_stop
HELD_RESULT=""    # result of the last hold_release
E2E_BG_PIDS=()
declare -A HELD_DIR=() HELD_PID=() CAPTURE_PID=() CAPTURE_FILE=()

# ---------------------------------------------------------------- output and assertions

say() { echo "[$E2E_NAME] $*"; }
step() { echo "[$E2E_NAME] -- $*"; }

pass() {
  E2E_PASSED=$((E2E_PASSED + 1))
  echo "  ok   $1"
}

# fail DESC [DETAIL...]: each detail is printed indented under the failure.
fail() {
  E2E_FAILED=$((E2E_FAILED + 1))
  echo "  FAIL $1"
  shift
  local d
  for d in "$@"; do [ -z "$d" ] || printf '%s\n' "$d" | head -n 20 | sed 's/^/         | /'; done
}

# abort DESC: a failure after which the rest of the test makes no sense.
abort() {
  fail "$@"
  exit 1
}

# check DESC CMD...: passes if CMD exits 0; on failure shows the command and its output.
check() {
  local desc=$1 out rc=0
  shift
  out=$("$@" 2>&1) || rc=$?
  if [ $rc -eq 0 ]; then pass "$desc"; else fail "$desc" "command: $* (exit $rc)" "$out"; fi
  return 0
}

# check_not DESC CMD...: passes if CMD fails.
check_not() {
  local desc=$1 out rc=0
  shift
  out=$("$@" 2>&1) || rc=$?
  if [ $rc -ne 0 ]; then pass "$desc"; else fail "$desc" "command unexpectedly succeeded: $*" "$out"; fi
  return 0
}

check_eq() {  # DESC EXPECTED ACTUAL
  if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "expected: $2" "actual:   $3"; fi
}

check_match() {  # DESC EXTENDED-REGEX TEXT
  if grep -Eq -- "$2" <<<"$3"; then pass "$1"; else fail "$1" "expected to match: $2" "actual: $3"; fi
}

check_ge() {  # DESC ACTUAL MIN
  if [ "$2" -ge "$3" ]; then pass "$1"; else fail "$1" "expected >= $3, got $2"; fi
}

check_gt() {  # DESC A B: A > B
  if [ "$2" -gt "$3" ]; then pass "$1"; else fail "$1" "expected $2 > $3"; fi
}

# ---------------------------------------------------------------- processes and waiting

is_running() {  # PID: alive and not a zombie
  local state
  state=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  [[ $state != Z* ]]
}

# wait_until SECONDS DESC CMD...: polls every 0.2 s; returns 1 (and says so) on timeout.
wait_until() {
  local limit=$1 desc=$2
  shift 2
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then
      say "timed out after ${limit}s waiting for: $desc"
      return 1
    fi
    sleep 0.2
  done
}

# stop_pid SECONDS PID: TERM, then KILL after SECONDS; reaps it if it is our child.
stop_pid() {
  local grace=$1 pid=$2 deadline
  is_running "$pid" || { wait "$pid" 2>/dev/null || true; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$((SECONDS + grace))
  while is_running "$pid" && [ $SECONDS -lt "$deadline" ]; do sleep 0.1; done
  is_running "$pid" && kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null || true
}

# ---------------------------------------------------------------- begin / end / cleanup

e2e_begin() {
  [ "$(id -u)" -eq 0 ] || { echo "[$E2E_NAME] must run as root (network namespaces)" >&2; exit 1; }
  # A signal's trap runs inside whatever command was running, with its redirections (say
  # http_burst >file): keep the real stdout/stderr so that the cleanup's report is seen.
  exec {E2E_STDOUT}>&1 {E2E_STDERR}>&2
  trap e2e_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  trap 'say "unexpected error (exit $?) at ${BASH_SOURCE[0]##*/}:$LINENO: $BASH_COMMAND" >&2' ERR
  local tool
  for tool in "$SLUICED" "$SLUICECTL"; do
    [ -x "$tool" ] || abort "$tool not found: build first (scripts/build release)"
  done
  E2E_TMP=$(mktemp -d "/tmp/sluice-e2e-$E2E_NAME.XXXXXX")
  step "lab up"
  if ! "$LAB" up >"$E2E_TMP/lab-up.log" 2>&1; then
    cat "$E2E_TMP/lab-up.log"
    abort "scripts/lab up"
  fi
  LAB_IS_OURS=1
}

show_diagnostics() {
  [ $E2E_DIAG_DONE -eq 0 ] || return 0
  E2E_DIAG_DONE=1
  if [ -n "$DAEMON_PID" ] && is_running "$DAEMON_PID"; then
    say "sluicectl show stats (for diagnosis):"
    ctl show stats 2>&1 | head -n 40 | sed 's/^/    /' || true
  fi
  if [ -n "$DAEMON_LOG" ] && [ -s "$DAEMON_LOG" ]; then
    say "last lines of the sluiced log ($DAEMON_LOG):"
    tail -n 40 "$DAEMON_LOG" | sed 's/^/    /'
  fi
}

print_summary() {
  [ $E2E_SUMMARY_DONE -eq 0 ] || return 0
  E2E_SUMMARY_DONE=1
  echo "$E2E_NAME: $E2E_PASSED passed, $E2E_FAILED failed"
}

# Ends the test: sluiced must have survived everything and must stop cleanly on SIGTERM.
e2e_end() {
  if [ -n "$DAEMON_PID" ]; then
    if is_running "$DAEMON_PID"; then
      pass "sluiced is still running"
      [ $E2E_FAILED -eq 0 ] || show_diagnostics
      daemon_stop
      check_eq "sluiced exits with status 0 on SIGTERM" 0 "$DAEMON_STATUS"
    else
      fail "sluiced is still running" "it exited during the test"
    fi
  fi
  [ $E2E_FAILED -eq 0 ] || show_diagnostics
  print_summary
  exit $((E2E_FAILED > 0 ? 1 : 0))  # the EXIT trap cleans up
}

e2e_cleanup() {
  local rc=$?
  trap - EXIT INT TERM ERR
  set +e
  exec 1>&"$E2E_STDOUT" 2>&"$E2E_STDERR"
  local id pid
  for id in "${!HELD_PID[@]}"; do stop_pid 2 "${HELD_PID[$id]}"; done
  for pid in "${E2E_BG_PIDS[@]}"; do stop_pid 2 "$pid"; done
  case $rc in
    130) say "interrupted (SIGINT); cleaning up" ;;
    143) say "terminated (SIGTERM, e.g. the runner's timeout); cleaning up" ;;
  esac
  if [ $rc -ne 0 ] && [ $E2E_FAILED -eq 0 ]; then
    E2E_FAILED=1  # ended by an error or a signal, not by an assertion
  fi
  [ $rc -eq 0 ] || show_diagnostics
  [ -z "$DAEMON_PID" ] || daemon_stop
  if [ $LAB_IS_OURS -eq 1 ]; then "$LAB" down >/dev/null 2>&1 || "$LAB" down; fi
  if [ -n "$E2E_TMP" ]; then
    if [ "${SLUICE_KEEP:-0}" = 1 ]; then say "kept $E2E_TMP"; else rm -rf "$E2E_TMP"; fi
  fi
  print_summary
  exit $rc
}

# ---------------------------------------------------------------- the daemon

# timeout --foreground everywhere below: without it timeout moves its command into a process
# group of its own, where Ctrl-C never reaches it.
ctl() { timeout --foreground 10 "$SLUICECTL" --socket "$SOCKET" "$@"; }
ctl_json() { ctl --json "$@"; }

# daemon_start CONFIG: starts sluiced in the appliance namespace, waits until it answers.
daemon_start() {
  local config=$1
  DAEMON_LOG=$E2E_TMP/sluiced.log
  step "start sluiced --config ${config/#$E2E_TMP\//}"
  # ip netns exec execs sluiced, so $! is sluiced itself (for SIGHUP and SIGTERM).
  ip netns exec "$LB_NS" "$SLUICED" --config "$config" >>"$DAEMON_LOG" 2>&1 &
  DAEMON_PID=$!
  local deadline=$((SECONDS + 20)) rc=0
  until ctl show vips >/dev/null 2>&1; do
    if ! is_running "$DAEMON_PID"; then
      wait "$DAEMON_PID" || rc=$?
      DAEMON_PID=""
      show_diagnostics
      abort "sluiced exited during start (status $rc)"
    fi
    [ $SECONDS -lt $deadline ] || abort "sluiced did not answer 'sluicectl show vips' within 20 s"
    sleep 0.2
  done
  pass "sluiced is up (pid $DAEMON_PID) and answers show vips"
}

# daemon_stop: SIGTERM, up to 15 s for DPDK to shut down, then SIGKILL. Sets DAEMON_STATUS.
# (Not in $(...): only this shell, sluiced's parent, can collect its exit status.)
daemon_stop() {
  local pid=$DAEMON_PID rc=0 deadline
  [ -n "$pid" ] || return 0
  DAEMON_PID=""
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$((SECONDS + 15))
  while is_running "$pid" && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
  if is_running "$pid"; then
    say "sluiced did not stop within 15 s of SIGTERM; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || rc=$?
  DAEMON_STATUS=$rc
}

daemon_alive() { [ -n "$DAEMON_PID" ] && is_running "$DAEMON_PID"; }

# config_from_demo OUT [SED-SCRIPT]: demo.yaml, optionally edited; replaced atomically so the
# daemon never reads a half-written file.
config_from_demo() {
  local out=$1 script=${2:-}
  if [ -n "$script" ]; then sed -e "$script" "$DEMO_CONFIG" >"$out.tmp"; else cp "$DEMO_CONFIG" "$out.tmp"; fi
  mv -f "$out.tmp" "$out"
}

# nat_real_servers_yaml: the `real_servers` key of a service appended to demo.yaml, listing
# the lab's three NAT servers on their HTTP port.
nat_real_servers_yaml() {
  local s
  echo "    real_servers:"
  for s in nat1 nat2 nat3; do echo "      - { address: ${RIP[$s]%:*}, port: 8080 }"; done
}

# line_of FIXED-STRING FILE: number of the first line containing it.
line_of() { grep -n -F -m1 -- "$1" "$2" | cut -d: -f1; }

# ---------------------------------------------------------------- traffic from the client

in_client() { ip netns exec "$CLIENT_NS" "$@"; }

# http_burst URL COUNT [SRC]: COUNT requests, each a new connection (curl --max-time 2); one
# line per request: the body (the real server's name) or FAIL(curl exit code). Bounded at
# 120 s in all; requests cut off by that bound are simply missing from the output.
http_burst() {
  local url=$1 count=$2 src=${3:-198.18.0.2}
  # shellcheck disable=SC2016  # expanded by the inner bash
  timeout --foreground 120 ip netns exec "$CLIENT_NS" bash -c '
    for ((i = 0; i < $2; i++)); do
      if body=$(curl -s --max-time 2 --interface "$3" "$1"); then echo "${body:-(empty)}"; else echo "FAIL($?)"; fi
    done' _ "$url" "$count" "$src" || true
}

# tally FILE: "nat1=10 nat2=10 nat3=10" (answers per real server, and failures).
tally() { sort "$1" | uniq -c | awk '{printf "%s%s=%s", (NR > 1 ? " " : ""), $2, $1} END {print ""}'; }

# count_of WORD FILE: how many lines are exactly WORD.
count_of() { grep -cxF -- "$1" "$2" || true; }

# answered FILE: lines that are a server's answer (not FAIL).
answered() { grep -vc '^FAIL' "$1" || true; }

http_ok() { in_client curl -sf --max-time 1 "$@" >/dev/null; }

# wait_http URL: until the client gets an answer through the appliance (the first requests
# may wait for ARP on both sides). 20 s at most.
wait_http() {
  wait_until 20 "client gets an answer from $1" http_ok "$1" || abort "no answer from $1 within 20 s"
}

# udp_ask HOST PORT COUNT FIRST-SOURCE-PORT: one line per datagram (see scripts/lab-udp.py).
udp_ask() {
  timeout --foreground 120 ip netns exec "$CLIENT_NS" "$PY" "$E2E_ROOT/scripts/lab-udp.py" ask "$1" "$2" \
    --count "$3" --first-port "$4" --timeout 1 || true
}

# ---------------------------------------------------------------- held connections

# hold_open ID [SRC]: opens a TCP connection from the client to the NAT VIP port 80 and leaves
# it idle (no request yet). `held_local ID` then gives its client address:port.
hold_open() {
  local id=$1 src=${2:-198.18.0.2} dir
  dir=$E2E_TMP/held-$id
  mkdir -p "$dir"
  ip netns exec "$CLIENT_NS" "$PY" "$E2E_ROOT/tests/e2e/held_conn.py" "$VIP_NAT" 80 \
    --dir "$dir" --src "$src" --lifetime 240 --answer-timeout 3 >"$dir/out" 2>&1 &
  HELD_PID[$id]=$!
  HELD_DIR[$id]=$dir
  wait_until 10 "held connection $id to connect" test -s "$dir/local" || abort "held connection $id did not connect"
  grep -q '^connect-failed' "$dir/local" && abort "held connection $id: $(cat "$dir/local")"
  return 0
}

held_local() { cat "${HELD_DIR[$1]}/local"; }

# hold_release ID: sends the request now; sets HELD_RESULT to "answer NAME" or
# "no-answer REASON". (Not in $(...), so that this shell reaps the helper.)
hold_release() {
  local id=$1 dir=${HELD_DIR[$1]}
  touch "$dir/go"
  if wait_until 10 "held connection $id to finish" test -s "$dir/result"; then
    HELD_RESULT=$(cat "$dir/result")
  else
    HELD_RESULT="no-answer helper-hung"
  fi
  stop_pid 2 "${HELD_PID[$id]}"
  unset "HELD_PID[$id]"
}

# conn_server CLIENT-ADDR:PORT: the real server sluicectl's connection table gives for it.
conn_server() {
  ctl_json show conns | jq -r --arg c "$1" '[.[] | select(.client == $c)][0].server // empty'
}

conn_listed() { [ -n "$(conn_server "$1")" ]; }

# nat_server_holding CLIENT-ADDR:PORT: the NAT real server (nat1..3) that has this client's
# connection established, as its own kernel sees it (independent of sluiced).
nat_server_holding() {
  local s
  for s in nat1 nat2 nat3; do
    if [ -n "$(ip netns exec "sl-$s" ss -Htn state established "dst $1" 2>/dev/null)" ]; then
      echo "$s"
      return 0
    fi
  done
  return 1
}

# name_of ADDR:PORT -> nat1 etc.
name_of() {
  local s
  for s in "${!RIP[@]}"; do [ "${RIP[$s]}" = "$1" ] && { echo "$s"; return 0; }; done
  echo "unknown($1)"
}

# server_field VIP:PORT RIP:PORT FIELD: a field of `sluicectl --json show servers`. Ports are
# shown as "80,443"; the lab's services list single ports, no ranges.
server_field() {
  local vip=${1%:*} port=${1##*:}
  ctl_json show servers | jq -r --arg v "$vip" --arg p "$port" --arg s "$2" --arg f "$3" \
    '[.[] | select(.vip_address == $v and (.ports | split(",") | index($p)) != null and .server == $s)][0][$f] // empty'
}

# ---------------------------------------------------------------- packet captures

# capture_start ID NAMESPACE IFACE FILTER: tcpdump to a file, bounded at 120 s; returns once
# tcpdump is listening.
capture_start() {
  local id=$1 ns=$2 iface=$3 filter=$4 file
  file=$E2E_TMP/capture-$id.pcap
  ip netns exec "$ns" timeout 120 tcpdump -i "$iface" -nn -U -w "$file" "$filter" \
    >"$file.log" 2>&1 &
  CAPTURE_PID[$id]=$!
  CAPTURE_FILE[$id]=$file
  E2E_BG_PIDS+=("$!")
  wait_until 5 "tcpdump on $ns/$iface" grep -q "listening on" "$file.log" || abort "tcpdump did not start: $(cat "$file.log")"
}

# capture_settle ID: waits (at most 10 s) until capture ID's file has not grown for a second.
# tcpdump can lag behind the traffic on a busy machine, and what it has not written yet when
# capture_stop's SIGTERM arrives is lost.
capture_settle() {
  local file=${CAPTURE_FILE[$1]} size=-1 now deadline=$((SECONDS + 10))
  while [ $SECONDS -lt $deadline ]; do
    now=$(stat -c %s "$file" 2>/dev/null || echo 0)
    [ "$now" != "$size" ] || return 0
    size=$now
    sleep 1
  done
}

# check_replies_direct CAPTURE-ID: the capture (of frames from a VIP towards the client) saw
# at least 60 frames, some from each DR server's MAC and none from anything else: the real
# servers answered the client directly, not through the appliance (dr and tun).
check_replies_direct() {
  local frames s
  frames=$(capture_frames "$1")
  check_ge "the client's port saw reply frames from the VIP" "$(count_matching . "$frames")" 60
  for s in dr1 dr2 dr3; do
    check_ge "VIP replies came straight from $s (src MAC ${MAC[$s]})" \
      "$(count_matching "^${MAC[$s]} " "$frames")" 1
  done
  check_eq "no VIP reply came from anything but a real server (appliance MAC ${MAC[lb0]})" 0 \
    "$(count_not_matching "^(${MAC[dr1]}|${MAC[dr2]}|${MAC[dr3]}) " "$frames")"
}

# capture_stop ID: lets the capture catch up, then ends it.
capture_stop() {
  capture_settle "$1"
  stop_pid 5 "${CAPTURE_PID[$1]}"
}

# capture_frames ID [FILTER]: one line per frame, "SRC-MAC > DST-MAC, ... IP ... > ...".
capture_frames() {
  tcpdump -r "${CAPTURE_FILE[$1]}" -nn -e -t ${2:+"$2"} 2>/dev/null || true
}

# count_matching EXTENDED-REGEX TEXT: how many lines of TEXT match.
count_matching() { grep -cE -- "$1" <<<"$2" || true; }
count_not_matching() { grep -vcE -e "$1" -e '^$' <<<"$2" || true; }  # empty lines never count

# ---------------------------------------------------------------- VRRP and keepalived

ha_field() { ctl_json show ha | jq -r --arg f "$1" '.instances[0][$f]'; }
ha_is() { [ "$(ha_field state)" = "$1" ]; }
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }

# front_host NS [ADDRESS/LEN]: a namespace of the test's own on the front segment (br0), its
# eth0 up with ADDRESS (none: the test sets its addresses itself), lo up. `scripts/lab down`
# removes it with the lab's (every sl-* namespace).
front_host() {
  local ns=$1 address=${2:-}
  ip netns add "$ns"
  ip link add "p-${ns#sl-}" netns "$SWITCH_NS" type veth peer name eth0 netns "$ns"
  ip -n "$SWITCH_NS" link set "p-${ns#sl-}" master br0 up
  [ -z "$address" ] || ip -n "$ns" addr add "$address" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$ns" link set lo up
}

# resolved_mac ADDRESS: the MAC the client's kernel resolves ADDRESS to now, by ARP or
# neighbour discovery ("" when nobody answers).
resolved_mac() {
  in_client ip neigh flush to "$1" dev eth0
  in_client ping -c1 -W1 "$1" >/dev/null 2>&1 || true
  in_client ip neigh show to "$1" dev eth0 | awk '$2 == "lladdr" {print $3}'
}

# keepalived_setup NS ADDRESS/LENGTH: keepalived (Debian's, 2.2), once started, runs in NS (a
# namespace of the test's own on the front segment, interface eth0) as the peer of sluice's
# instance: VRRPv3, VRID 51, 200 ms adverts, ADDRESS floating on its lo (so that it never
# answers ARP or neighbour discovery for it on the segment), and a notify script writing its
# states to $KEEPALIVED_STATES, the last of which keepalived_says tells.
KEEPALIVED_NS="" KEEPALIVED_ADDRESS="" KEEPALIVED_STATES="" KEEPALIVED_PID=""
keepalived_setup() {
  KEEPALIVED_NS=$1 KEEPALIVED_ADDRESS=$2 KEEPALIVED_STATES=$E2E_TMP/keepalived.states
  cat >"$E2E_TMP/notify.sh" <<EOF
#!/bin/sh
echo "\$3" >>"$KEEPALIVED_STATES"
EOF
  chmod +x "$E2E_TMP/notify.sh"
}

# start_keepalived PRIORITY: starts it afresh, its earlier states forgotten.
start_keepalived() {
  cat >"$E2E_TMP/keepalived.conf" <<EOF
global_defs {
  router_id sluice-peer
  vrrp_version 3
  script_user root
  enable_script_security
}
vrrp_instance front {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority $1
  advert_int 0.2
  virtual_ipaddress {
    $KEEPALIVED_ADDRESS dev lo
  }
  notify $E2E_TMP/notify.sh
}
EOF
  : >"$KEEPALIVED_STATES"
  ip netns exec "$KEEPALIVED_NS" keepalived --vrrp --dont-fork --log-console --log-detail \
    --use-file="$E2E_TMP/keepalived.conf" --pid="$E2E_TMP/keepalived.pid" \
    --vrrp_pid="$E2E_TMP/vrrp.pid" >>"$E2E_TMP/keepalived.log" 2>&1 &
  KEEPALIVED_PID=$!
  E2E_BG_PIDS+=("$KEEPALIVED_PID")
}
stop_keepalived() { stop_pid 5 "$KEEPALIVED_PID"; }
keepalived_says() { [ "$(tail -n1 "$KEEPALIVED_STATES" 2>/dev/null)" = "$1" ]; }

# check_hands_over FROM PID STOP TO CMD...: FROM (sluice or keepalived, process PID) stops
# cleanly (SIGTERM: a master sends priority 0 on its way out) and TO must be master within a
# second, as CMD tells (polled every 20 ms, 5 s at most); STOP collects FROM.
check_hands_over() {
  local from=$1 pid=$2 stop=$3 to=$4 t0 took
  shift 4
  t0=$(date +%s%N)
  kill -TERM "$pid"
  until "$@" || [ "$(ms_since "$t0")" -gt 5000 ]; do sleep 0.02; done
  took=$(ms_since "$t0")
  "$stop"
  say "$to master ${took} ms after $from was told to stop"
  check "$to is master" "$@"
  check_ge "within a second of the stop ($from sent priority 0)" "$((1000 - took))" 0
}
