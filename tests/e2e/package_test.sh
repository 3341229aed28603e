#!/usr/bin/env bash
# End to end: the Debian package, installed and run as its unit runs it.
#   - scripts/package builds it (PACKAGE_DEB=FILE uses one already built) and lintian reports
#     no error; systemd-analyze verify accepts the installed unit
#   - dpkg -i puts every file where the unit and the docs say; the installed configuration
#     passes sluiced --check (the unit's ExecStartPre)
#   - the installed sluiced, started with the unit's ExecStart under the unit's capability
#     bounding set, a notify socket and a journal stream (systemd_standin.py), runs the lab:
#     READY=1, WATCHDOG=1 every half WATCHDOG_USEC, lines with journald's priorities; traffic
#     balances over every real server; sluicectl answers on its default socket and the unit's
#     ExecReload reloads; SIGTERM says STOPPING=1 and exits 0
#   - bash completion offers the commands `sluicectl --help` lists, and the running
#     sluiced's virtual services; man -l renders the three pages, sluiced(8) with every option
#   - dpkg --purge leaves nothing behind
# The package build takes 2-4 minutes on the 2-core machine (-j2, or -j1 beside other builds).
# e2e-timeout: 900
# shellcheck source-path=SCRIPTDIR source=lib.sh
SLUICED=/usr/sbin/sluiced
SLUICECTL=/usr/bin/sluicectl
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SOCKET=/run/sluice/sluiced.sock  # control.socket's default, as the installed file has it
UNIT=/lib/systemd/system/sluiced.service
CONFIG=/etc/sluice/sluice.yaml

[ "$(id -u)" -eq 0 ] || { echo "[$E2E_NAME] must run as root (dpkg, namespaces)" >&2; exit 1; }
if dpkg-query -W -f='${Status}' sluice 2>/dev/null | grep -q 'install ok installed'; then
  echo "[$E2E_NAME] the sluice package is installed already; remove it first (dpkg --purge sluice)" >&2
  exit 1
fi

# ---------------------------------------------------------------- build, lint, install
step "the package"
deb=${PACKAGE_DEB:-}
if [ -z "$deb" ]; then
  t0=$SECONDS
  if out=$("$E2E_ROOT/scripts/package" 2>&1); then
    pass "scripts/package builds it ($((SECONDS - t0)) s)"
  else
    abort "scripts/package builds it" "$(tail -n 30 <<<"$out")"
  fi
  deb=$(ls "$E2E_ROOT"/build/package/sluice_*.deb)
fi
check "lintian reports no error" lintian --fail-on error "$deb"

purge_package() { dpkg --purge sluice >/dev/null 2>&1 || true; rm -rf /run/sluice; }
check "dpkg -i installs it" dpkg -i "$deb"
e2e_begin  # the lab; its EXIT trap ends sluiced and the lab, this one removes the package first
# set +e first: under errexit, the status handed on by `(exit $rc)` would end the trap before
# e2e_cleanup, leaving the lab up.
trap 'rc=$?; set +e; purge_package; (exit $rc); e2e_cleanup' EXIT

for f in "$SLUICED" "$SLUICECTL" "$UNIT" "$CONFIG" /usr/share/bash-completion/completions/sluicectl \
  /usr/share/man/man8/sluiced.8.gz /usr/share/man/man8/sluicectl.8.gz /usr/share/man/man5/sluice.yaml.5.gz; do
  check "installed: $f" test -s "$f"
done
check_match "$CONFIG is a conffile" "$CONFIG" "$(dpkg-query -W -f='${Conffiles}' sluice)"
check "systemd-analyze verify accepts the unit" systemd-analyze verify "$UNIT"
check "the installed configuration passes sluiced --check (ExecStartPre)" "$SLUICED" --config "$CONFIG" --check

# ---------------------------------------------------------------- run it as the unit does
unit_value() { sed -n "s/^$1=//p" "$UNIT" | tail -n 1; }
# The unit's command line; without /etc/default/sluiced, $SLUICED_OPTIONS is nothing.
# shellcheck disable=SC2016  # the unit's own text
read -r -a exec_start <<<"$(unit_value ExecStart | sed 's/\$SLUICED_OPTIONS//')"
check_eq "ExecStart runs the installed sluiced on the installed file" "$SLUICED --config $CONFIG" "${exec_start[*]:0:3}"
# CAP_NET_ADMIN CAP_NET_RAW -> +net_admin,+net_raw (setpriv's spelling)
caps=$(unit_value CapabilityBoundingSet | tr ' ' '\n' | sed 's/^CAP_/+/' | tr '[:upper:]' '[:lower:]' | paste -sd, -)
say "bounding set: $caps"
step "start ${exec_start[*]} under the unit's capabilities, a notify socket and a journal stream"
mkdir -p /run/sluice  # RuntimeDirectory=sluice
standin=$E2E_TMP/systemd
mkdir -p "$standin"
DAEMON_LOG=$standin/journal.log
ip netns exec "$LB_NS" "$PY" "$E2E_ROOT/tests/e2e/systemd_standin.py" --dir "$standin" \
  --watchdog-usec 1000000 -- setpriv --bounding-set "-all,$caps" -- "${exec_start[@]}" \
  >"$standin/standin.log" 2>&1 &
DAEMON_PID=$!
wait_until 20 "READY=1" grep -qx READY=1 "$standin/notify.log" || abort "no READY=1 within 20 s" "$(cat "$standin/standin.log")"
pass "READY=1 arrived"
check "sluicectl answers on its default socket, as ExecReload uses it" "$SLUICECTL" show vips
check_match "STATUS= says it serves" '^STATUS=serving, control socket /run/sluice/sluiced.sock$' "$(cat "$standin/notify.log")"
wait_http "http://$VIP_NAT/"
wait_http "http://$VIP_DR/"

step "traffic through the installed sluiced"
http_burst "http://$VIP_NAT/" 30 >"$E2E_TMP/nat"
http_burst "http://$VIP_DR/" 30 >"$E2E_TMP/dr"
say "nat: $(tally "$E2E_TMP/nat"); dr: $(tally "$E2E_TMP/dr")"
for s in nat1 nat2 nat3; do check_ge "$s answers its share of 30 (rr)" "$(count_of "$s" "$E2E_TMP/nat")" 8; done
for s in dr1 dr2 dr3; do check_ge "$s answers some of 30 (wlc)" "$(count_of "$s" "$E2E_TMP/dr")" 3; done

step "systemd's view: watchdog, journal"
sleep 2
check_ge "WATCHDOG=1 every 0.5 s (half of WATCHDOG_USEC=1 s)" "$(grep -cx WATCHDOG=1 "$standin/notify.log")" 3
journal=$(cat "$DAEMON_LOG")
check_match "journal lines carry their priority: <5> for notice" '^<5>level=notice event=ready socket=/run/sluice/sluiced.sock watchdog_ms=500$' "$journal"
check_eq "every journal line starts with <PRIORITY>level=" 0 "$(count_not_matching '^<[3-7]>level=(error|warning|notice|info|debug) event=' "$journal")"
out=$("$SLUICECTL" reload 2>&1) && rc=0 || rc=$?
check_eq "ExecReload (sluicectl reload) succeeds" 0 "$rc"
check_match "and says what it reloaded" "reloaded $CONFIG" "$out"

step "log.level in the file, changed by a reload"
set_weight() { "$SLUICECTL" set server "$VIP_NAT:80" "${RIP[nat1]}" weight "$1" >/dev/null; }
weight_events() { grep -c 'event=weight' "$DAEMON_LOG" || true; }
echo "log: { level: warning }" >>"$CONFIG"
check "sluicectl reload takes log.level: warning" "$SLUICECTL" reload
set_weight 2
set_weight 1
sleep 0.5
check_eq "at warning, the operator's weight events (notice) are not written" 0 "$(weight_events)"
sed -i '/^log: /d' "$CONFIG"
check "sluicectl reload takes the default level back" "$SLUICECTL" reload
set_weight 2
set_weight 1
# shellcheck disable=SC2317  # called by wait_until
two_weight_events() { [ "$(weight_events)" -eq 2 ]; }
check "at notice again, they are" wait_until 5 "two weight events" two_weight_events

step "bash completion"
# complete_words LINE: what completion offers at the end of LINE.
complete_words() {
  bash -c 'source /usr/share/bash-completion/bash_completion
    source /usr/share/bash-completion/completions/sluicectl
    COMP_LINE=$1; COMP_POINT=${#COMP_LINE}
    read -r -a COMP_WORDS <<<"$COMP_LINE"; [[ $COMP_LINE == *" " ]] && COMP_WORDS+=("")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    _sluicectl sluicectl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
    printf "%s\n" "${COMPREPLY[@]}" | LC_ALL=C sort | paste -sd" " -' _ "$1"
}
usage=$("$SLUICECTL" --help)
# The first word of each alternative ("A | B") on the lines between "commands:" and "socket:"
# (an option's alternatives, "[--stats | --rate]", are not commands).
commands=$(sed -n '/^commands:/,/^socket:/{/^  /p}' <<<"$usage" | sed 's/ | /\n/g' | awk '$1 ~ /^[a-z]/ {print $1}' |
  sort -u | paste -sd" " -)
offered=$(complete_words "sluicectl " | tr ' ' '\n' | grep -v '^-' | sort -u | paste -sd" " -)
check_eq "sluicectl <TAB> offers every command --help lists" "$commands" "$offered"
shows=$(grep -o 'show [a-z]*' <<<"$usage" | cut -d' ' -f2 | sort -u | paste -sd" " -)
check_eq "sluicectl show <TAB> offers every show --help lists" "$shows" "$(complete_words "sluicectl show ")"
check_eq "set server <TAB> offers each listener of the running sluiced" \
  "198.18.0.10:80/tcp 198.18.0.11:80/tcp" "$(complete_words "sluicectl set server ")"
check_match "show stats <TAB> offers --rate and the running sluiced's VIPs" "^--rate 198\\.18\\.0\\.10 198\\.18\\.0\\.11$" \
  "$(complete_words "sluicectl show stats ")"
check_eq "set server VIP RIP state <TAB>" "drain halt online" "$(complete_words "sluicectl set server 198.18.0.11:80/tcp 198.18.1.21:8080 state ")"

step "man pages"
for page in /usr/share/man/man8/sluiced.8.gz /usr/share/man/man8/sluicectl.8.gz /usr/share/man/man5/sluice.yaml.5.gz; do
  text=$(MANWIDTH=100 man --warnings -l "$page" 2>"$E2E_TMP/man.err") && rc=0 || rc=$?
  check_eq "man -l $(basename "$page") renders without a warning" "0 " "$rc $(cat "$E2E_TMP/man.err")"
  check_match "$(basename "$page") has its NAME" '^NAME' "$text"
done
sluiced_man=$(MANWIDTH=100 man -l /usr/share/man/man8/sluiced.8.gz 2>/dev/null)
for option in $("$SLUICED" --help | grep -o -- '--[a-z-]*' | sort -u); do
  check_match "sluiced(8) documents $option" -- "$option" "$sluiced_man"
done
check_match "sluice.yaml(5) has the configuration reference (virtual_services)" 'virtual_services' \
  "$(man -l /usr/share/man/man5/sluice.yaml.5.gz 2>/dev/null)"

step "stop"
daemon_stop
check_eq "sluiced exits with status 0 on SIGTERM" 0 "$DAEMON_STATUS"
check "STOPPING=1 arrived" grep -qx STOPPING=1 "$standin/notify.log"

step "remove the package"
purge_package
check_not "dpkg --purge removed sluiced" test -e "$SLUICED"
check_not "dpkg --purge removed /etc/sluice" test -e /etc/sluice
e2e_end
