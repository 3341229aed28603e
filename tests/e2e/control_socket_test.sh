#!/usr/bin/env bash
# End to end: the control socket under abuse, and who may use it.
#   200 half-open clients (connected, silent)   show vips still answers quickly; the
#                                               appliance's own address keeps answering ping
#   200 clients at once                         every one answered
#   a 10 MB line                                refused with the parser's error; still serving
#   control.group with group_access: read       a member may show, not change; others cannot
#                                               connect at all
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

readonly GROUP=sluice-e2e MEMBER=sluice-e2e-op
e2e_begin
remove_accounts() {
  userdel "$MEMBER" >/dev/null 2>&1 || true
  groupdel "$GROUP" >/dev/null 2>&1 || true
}
remove_accounts
groupadd "$GROUP"
useradd --no-create-home --shell /usr/sbin/nologin --groups "$GROUP" "$MEMBER"

config=$E2E_TMP/sluice.yaml
config_from_demo "$config" "s|^  socket: /run/sluice-lab/sluiced.sock|&\n  group: $GROUP\n  group_access: read|"
daemon_start "$config"

ms_of() {  # ms_of CMD...: wall time of a command in milliseconds
  local t0 t1
  t0=$(date +%s%N)
  "$@" >/dev/null 2>&1 || true
  t1=$(date +%s%N)
  echo $(((t1 - t0) / 1000000))
}

# ---------------------------------------------------------------- half-open clients
step "200 clients connect and send nothing for 6 s"
$PY - "$SOCKET" 200 6 >"$E2E_TMP/silent.log" 2>&1 <<'PYEOF' &
import socket, sys, time
path, count, hold = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
held = []
for _ in range(count):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    held.append(s)
print("connected", len(held), flush=True)
time.sleep(hold)
PYEOF
silent_pid=$!
E2E_BG_PIDS+=("$silent_pid")
wait_until 5 "the silent clients" grep -q connected "$E2E_TMP/silent.log" || true
in_client ping -c 40 -i 0.05 -W 1 198.18.0.1 >"$E2E_TMP/ping.txt" 2>&1 &
ping_pid=$!
slowest=0
for _ in 1 2 3 4 5; do
  ms=$(ms_of ctl show vips)
  [ "$ms" -le "$slowest" ] || slowest=$ms
done
say "show vips with 200 silent clients: slowest of 5 took $slowest ms"
check "show vips answers within 1 s while 200 clients sit silent" [ "$slowest" -lt 1000 ]
wait "$ping_pid" || true
received=$(awk '/packets transmitted/ {print $4}' "$E2E_TMP/ping.txt")
say "ping 198.18.0.1 meanwhile: $(grep -E 'transmitted|rtt' "$E2E_TMP/ping.txt" | tr '\n' ' ')"
check_eq "every ping of the appliance's own address answered meanwhile" 40 "${received:-0}"
wait "$silent_pid" 2>/dev/null || true

# ---------------------------------------------------------------- many at once
step "200 clients at once"
many=()
for i in $(seq 1 200); do
  (ctl --json show stats >"$E2E_TMP/many.$i" 2>&1 || echo FAIL >>"$E2E_TMP/many.$i") &
  many+=($!)
done
wait "${many[@]}"  # (not a bare wait: sluiced is a child of this shell too)
answered_ok=$(grep -l '"rx_packets"' "$E2E_TMP"/many.* | wc -l)
[ "$answered_ok" -eq 200 ] || say "not answered: $(grep -L '"rx_packets"' "$E2E_TMP"/many.* | head -3 | xargs cat)"
check_eq "all 200 concurrent clients answered" 200 "$answered_ok"

# ---------------------------------------------------------------- a 10 MB line
step "a 10 MB line"
reply=$($PY - "$SOCKET" <<'PYEOF'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
try:
    s.sendall(b"x" * (10 << 20) + b"\n")
except OSError:
    pass  # the daemon stops reading at the limit
data = b""
while chunk := s.recv(65536):
    data += chunk
print(data.decode(errors="replace").strip())
PYEOF
)
say "reply: $reply"
check_match "a 10 MB line is refused as too long" '"error":"command longer than 4096 bytes","ok":false' "$reply"
check "show vips still answers after it" ctl show vips

# ---------------------------------------------------------------- access
step "who may use the socket"
mode=$(stat -c '%a %G' "$SOCKET")
check_eq "the socket is mode 660 and belongs to $GROUP" "660 $GROUP" "$mode"
as_member() { runuser -u "$MEMBER" -- timeout 10 "$SLUICECTL" --socket "$SOCKET" "$@"; }
check "a member of $GROUP may show vips" as_member show vips
out=$(as_member set server "$VIP_NAT:80" "${RIP[nat1]}" state halt 2>&1 || true)
say "member's set server: $out"
check_match "a member with read access may not change state" 'permission denied' "$out"
out=$(runuser -u nobody -- timeout 10 "$SLUICECTL" --socket "$SOCKET" set server "$VIP_NAT:80" "${RIP[nat1]}" state halt 2>&1 || true)
say "nobody's set server: $out"
check_not "nobody cannot change state" grep -q '"ok": *true' <<<"$out"
state=$(ctl_json show servers | jq -r --arg s "${RIP[nat1]}" '.[] | select(.server == $s) | .state')
check_eq "nat1 is still online" online "$state"

daemon_stop
check_eq "sluiced exits with status 0 on SIGTERM" 0 "$DAEMON_STATUS"
remove_accounts
e2e_end
