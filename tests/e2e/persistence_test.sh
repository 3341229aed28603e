#!/usr/bin/env bash
# End to end: source-address persistence across the ports of a virtual service.
#   web-sticky  198.18.0.14:80,8081/tcp  nat, rr, persistence 60 s -> nat1..3:8080
# A client that connects to port 80 and then to port 8081 lands on the same server every time
# (rr alone would rotate); sluicectl shows the entry and clears it; a halted server lets its
# clients move, and they stay where they moved.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

readonly VIP_STICKY=198.18.0.14

e2e_begin
config=$E2E_TMP/sluice.yaml
config_from_demo "$config"
cat >>"$config" <<YAML

  - name: web-sticky
    address: $VIP_STICKY
    ports: [80, 8081]
    protocol: tcp
    mode: nat
    scheduler: rr
    persistence: { timeout: 60 }
$(nat_real_servers_yaml)
YAML
daemon_start "$config"
wait_http "http://$VIP_STICKY/"

step "one client, ports 80 and 8081: always the same server"
http_burst "http://$VIP_STICKY/" 10 >"$E2E_TMP/a80.txt"
http_burst "http://$VIP_STICKY:8081/" 10 >"$E2E_TMP/a8081.txt"
cat "$E2E_TMP/a80.txt" "$E2E_TMP/a8081.txt" >"$E2E_TMP/a.txt"
say "answers: $(tally "$E2E_TMP/a.txt")"
check_eq "all 20 requests answered" 20 "$(answered "$E2E_TMP/a.txt")"
sticky=$(head -n 1 "$E2E_TMP/a.txt")
check_match "the first answer names a NAT server" '^nat[123]$' "$sticky"
check_eq "every request, on either port, went to $sticky" 20 "$(count_of "$sticky" "$E2E_TMP/a.txt")"

step "sluicectl show persistence lists the client on that server"
entry=$(ctl_json show persistence | jq -r '.[] | select(.client == "198.18.0.2") | .server')
check_eq "198.18.0.2 is recorded on ${RIP[$sticky]}" "${RIP[$sticky]}" "$entry"

step "halting the server moves the client, which then stays on its new server"
ctl set server "$VIP_STICKY:80" "${RIP[$sticky]}" state halt >/dev/null
http_burst "http://$VIP_STICKY:8081/" 10 >"$E2E_TMP/b.txt"
say "answers: $(tally "$E2E_TMP/b.txt")"
check_eq "all 10 requests answered" 10 "$(answered "$E2E_TMP/b.txt")"
check_eq "none went to the halted $sticky" 0 "$(count_of "$sticky" "$E2E_TMP/b.txt")"
moved=$(head -n 1 "$E2E_TMP/b.txt")
check_eq "all 10 went to one server ($moved)" 10 "$(count_of "$moved" "$E2E_TMP/b.txt")"

step "clear persistence empties the table"
check_match "clear reports what it removed" '^cleared [1-9][0-9]* persistence entries$' \
  "$(ctl clear persistence)"
check_eq "show persistence is empty" 0 "$(ctl_json show persistence | jq 'length')"

e2e_end
