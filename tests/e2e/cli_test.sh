#!/usr/bin/env bash
# End to end: the operator's interfaces.
#   - bad sluicectl commands exit 1 with a one-line error and change nothing
#   - garbage on the control socket does not hurt the daemon
#   - --json output parses and has the documented fields
#   - sluiced --check validates a file (FILE:LINE:COLUMN errors) without starting, and refuses
#     too little eal.memory_mb for what the file asks; the estimate is enough to start
#   - a second sluiced on a busy eal.file_prefix says so and changes nothing
#   - the appliance's own addresses answer ping through the TAP twins (exception path)
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

e2e_begin
config=$E2E_TMP/sluice.yaml
config_from_demo "$config"
daemon_start "$config"
wait_http "http://$VIP_NAT/"
vip=$VIP_NAT:80

# ---------------------------------------------------------------- bad commands
# bad_command DESC ARGS...: exit status 1, nothing on stdout, one short line on stderr.
bad_command() {
  local desc=$1 rc=0 out err
  shift
  out=$(ctl "$@" 2>"$E2E_TMP/stderr") || rc=$?
  err=$(cat "$E2E_TMP/stderr")
  if [ $rc -eq 1 ] && [ -z "$out" ] && [ "$(count_matching . "$err")" -eq 1 ] && [ ${#err} -le 1000 ]; then
    pass "$desc: exit 1, one-line error: ${err:0:100}"
  else
    fail "$desc: want exit 1, empty stdout, one line (<= 1000 bytes) on stderr" \
      "exit $rc, stdout ${#out} bytes, stderr $(count_matching . "$err") lines / ${#err} bytes" \
      "stderr: ${err:0:300}"
  fi
}

step "bad commands"
long=$(head -c 100000 /dev/zero | tr '\0' a)
bad_command "unknown command" frobnicate
bad_command "show nothing" show nothing
bad_command "malformed addresses" set server 1.2.3 x state up
bad_command "unknown state" set server "$vip" "${RIP[nat1]}" state up
bad_command "weight 70000" set server "$vip" "${RIP[nat1]}" weight 70000
bad_command "weight -1" set server "$vip" "${RIP[nat1]}" weight -1
bad_command "weight not a number" set server "$vip" "${RIP[nat1]}" weight heavy
bad_command "unknown virtual service" set server 198.18.0.99:80 "${RIP[nat1]}" state drain
bad_command "unknown real server" set server "$vip" 198.18.1.99:8080 state drain
bad_command "missing arguments" set server "$vip"
bad_command "a 100 kB argument" show "$long"
bad_command "a 100 kB address" set server "$long" "${RIP[nat1]}" state drain
out=$(timeout --foreground 10 "$SLUICECTL" --socket /run/sluice-lab/no-such.sock show vips 2>&1) && rc=0 || rc=$?
check_eq "a missing socket: exit 1" 1 "$rc"
check_eq "a missing socket: one-line error" 1 "$(count_matching . "$out")"

check "sluiced still answers show vips" ctl show vips
check_eq "nat1 unchanged: weight 1" 1 "$(server_field "$vip" "${RIP[nat1]}" weight)"
check_eq "nat1 unchanged: online" online "$(server_field "$vip" "${RIP[nat1]}" state)"

step "garbage on the control socket"
# Random bytes, a connection closed at once, and a huge line without newline: the daemon must
# shrug all of them off.
"$PY" - "$SOCKET" <<'PY' >"$E2E_TMP/garbage.log" 2>&1 || true
import os, socket, sys
path = sys.argv[1]
def send(data, close_early=False):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(3)
    s.connect(path)
    try:
        if not close_early:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
            while s.recv(65536):
                pass
    except OSError:
        pass
    s.close()
send(b"", close_early=True)
send(os.urandom(65536))
send(b"x" * 1000000)
send(b"\x00\xff\n{]}\n" * 100)
PY
check "sluiced still answers show vips" ctl show vips
check "sluiced still forwards" http_ok "http://$VIP_NAT/"

# ---------------------------------------------------------------- human output
step "human output"
out=$(ctl show vips)
for name in web-dr web-nat dns-nat; do check_match "show vips lists $name" "$name" "$out"; done
check_match "show vips shows $VIP_DR" "${VIP_DR//./\\.}" "$out"
out=$(ctl show servers)
for s in dr1 dr2 dr3 nat1 nat2 nat3; do check_match "show servers lists $s ${RIP[$s]%:*}" "${RIP[$s]%:*}" "$out"; done
check "show stats" ctl show stats
check "show conns" ctl show conns

# ---------------------------------------------------------------- JSON
step "--json output"
# Some traffic first, so that the connection table is not empty.
http_burst "http://$VIP_NAT/" 5 >/dev/null
for cmd in vips servers stats conns; do
  ctl_json show "$cmd" >"$E2E_TMP/$cmd.json" 2>&1 || true
  check "show $cmd --json parses" "$PY" -m json.tool "$E2E_TMP/$cmd.json"
done
# has_fields FILE JQ-FILTER: the filter yields true.
# shellcheck disable=SC2317  # called through check
has_fields() { jq -e "$2" "$1" >/dev/null; }
check "show vips: 3 entries with name, address, ports, protocol, mode, scheduler, servers" \
  has_fields "$E2E_TMP/vips.json" \
  'length == 3 and all(.[]; has("name") and has("address") and has("ports") and has("protocol") and has("mode") and has("scheduler") and has("servers"))'
check "show vips: web-dr is 198.18.0.10 80 tcp dr wlc with 3 servers" has_fields "$E2E_TMP/vips.json" \
  '.[] | select(.name == "web-dr") | .address == "198.18.0.10" and .ports == "80" and .protocol == "tcp" and .mode == "dr" and .scheduler == "wlc" and .servers == 3'
check "show servers: 8 entries with the documented fields" has_fields "$E2E_TMP/servers.json" \
  'length == 8 and all(.[]; has("vip") and has("vip_address") and has("ports") and has("protocol") and has("server") and has("weight") and has("state") and has("active_conns") and has("total_conns"))'
check "show servers: dns-nat nat1 is 198.18.1.21:5353 weight 2 online" has_fields "$E2E_TMP/servers.json" \
  'any(.[]; .vip == "dns-nat" and .server == "198.18.1.21:5353" and .weight == 2 and .state == "online")'
check "show stats: packet, connection, drop and port counters" has_fields "$E2E_TMP/stats.json" \
  '(.rx_packets | type) == "number" and (.tx_packets | type) == "number" and (.conns_created | type) == "number" and (.active_conns | type) == "number" and (.drops | type) == "object" and ([.ports[].name] | sort) == ["back", "front"]'
check "show conns: non-empty, with the documented fields" has_fields "$E2E_TMP/conns.json" \
  'length > 0 and all(.[]; has("worker") and has("protocol") and has("client") and has("vip") and has("server") and has("state") and has("expires_in"))'

# ---------------------------------------------------------------- sluiced --check
step "sluiced --check"
check "a good file passes (demo.yaml)" timeout --foreground 20 "$SLUICED" --config "$DEMO_CONFIG" --check
# check_file_refused LABEL SED-SCRIPT MARKER [any-line]: the error must name the line holding
# MARKER, or with any-line just some FILE:LINE:COLUMN (a YAML syntax error may be noticed
# lines after the mistake).
check_file_refused() {
  local label=$1 bad=$E2E_TMP/bad-$1.yaml line out rc=0
  sed -e "$2" "$DEMO_CONFIG" >"$bad"
  line=$(line_of "$3" "$bad")
  [ -n "$line" ] || abort "test bug: the $label edit did not apply"
  [ "${4:-}" != any-line ] || line='[0-9]+'
  out=$(timeout --foreground 20 "$SLUICED" --config "$bad" --check 2>&1) || rc=$?
  check_ge "$label: --check exits non-zero" "$rc" 1
  check_match "$label: the error names $bad:LINE:COLUMN (line ${line})" "${bad//./\\.}:$line:[0-9]+" "$out"
}
check_file_refused unknown-key '/^    scheduler: rr$/a\    colour: blue' 'colour: blue'
check_file_refused bad-value 's/^    scheduler: rr$/    scheduler: fastest/' 'scheduler: fastest'
check_file_refused bad-address '0,/^    address: 198.18.0.11$/s//    address: 198.18.0.300/' '198.18.0.300'
check_file_refused bad-yaml '0,/^    ports: \[80\]$/s//    ports: [80/' 'ports: [80' any-line
check_not "a missing file fails" timeout --foreground 20 "$SLUICED" --config "$E2E_TMP/no-such.yaml" --check
check_file_refused file-prefix '/^  file_prefix: /s/: .*/: ".."/' 'file_prefix: ".."'
check_file_refused too-few-lcores '/^  lcores: /s/: .*/: "0"/' 'lcores: "0"'
check_file_refused too-little-memory '/^  memory_mb: /s/: .*/: 64/; /^  capacity: /s/: .*/: 1000000/' 'memory_mb: 64'
memory_error=$(timeout --foreground 20 "$SLUICED" --config "$E2E_TMP/bad-too-little-memory.yaml" --check 2>&1) || true
check_match "too little memory: the error says what it needs and why" \
  'eal\.memory_mb: 64 MiB is too little: this configuration needs about [0-9]+ MiB \(packet pool [0-9]+, connection tables [0-9]+ ' "$memory_error"

step "a second sluiced on the same eal.file_prefix says so and leaves the first alone"
rc=0
out=$(ip netns exec "$LB_NS" timeout --foreground 20 "$SLUICED" --config "$config" 2>&1) || rc=$?
check_eq "it exits 1" 1 "$rc"
check_match "it names the busy prefix" "eal.file_prefix 'sluice-demo' is in use by another DPDK process" "$out"
check "the first still answers show vips" ctl show vips
check "the first still forwards" http_ok "http://$VIP_NAT/"

step "a start with eal.memory_mb at --check's estimate succeeds"
# The estimate must not be below what EAL really needs (control/dpdk_memory.cc): the file
# refused above, given exactly the memory --check asked for, starts and balances.
daemon_stop
needed=$(grep -oE 'needs about [0-9]+' <<<"$memory_error" | grep -oE '[0-9]+$')
sed -e "/^  memory_mb: /s/: .*/: $needed/" "$E2E_TMP/bad-too-little-memory.yaml" >"$E2E_TMP/at-estimate.yaml"
check "--check accepts memory_mb $needed" timeout --foreground 20 "$SLUICED" --config "$E2E_TMP/at-estimate.yaml" --check
daemon_start "$E2E_TMP/at-estimate.yaml"
wait_http "http://$VIP_NAT/"
check "sluiced with memory_mb $needed forwards" http_ok "http://$VIP_NAT/"

# ---------------------------------------------------------------- exception path
step "ping the appliance's own addresses (TAP twins)"
# The lab drops everything the kernel would receive on sl-lb0/sl-lb1 directly, so an answer
# can only come through the data plane and the TAP twin.
wait_until 10 "ping 198.18.0.1" in_client ping -c 1 -W 1 198.18.0.1 || true
out=$(in_client ping -c 5 -i 0.2 -W 1 198.18.0.1 2>&1) || true
check_match "client -> 198.18.0.1: 5 of 5 answered" ' 5 received' "$out"
wait_until 10 "ping 198.18.1.1" ip netns exec sl-nat1 ping -c 1 -W 1 198.18.1.1 || true
out=$(ip netns exec sl-nat1 ping -c 5 -i 0.2 -W 1 198.18.1.1 2>&1) || true
check_match "nat1 -> 198.18.1.1 (its gateway): 5 of 5 answered" ' 5 received' "$out"

e2e_end
