#!/usr/bin/env bash
# End to end: the AWS mode of HA against the stand-in EC2 and metadata service
# (tests/e2e/aws_standin.py, in a namespace of its own on the front segment at 198.18.0.5; the
# real AWS cannot be reached here). One sluiced with one instance and no peer becomes master
# and moves its address, Elastic IP and route by EC2 calls:
#   - the calls in order (metadata token, region, instance id, role, credentials, then
#     AssignPrivateIpAddresses, AssociateAddress, ReplaceRoute), each signature verified by
#     the stand-in, with the parameters the config names
#   - the first AssignPrivateIpAddresses answered 503 twice: retried, then done
#   - a second take-over with every EC2 call throttled: each given up after max_attempts (3),
#     the calls after a given-up one still made
#   - each result an event in sluiced's log; show ha counts calls, retries, failures
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

readonly AWS_NS=sl-aws AWS=198.18.0.5 AWS_PORT=8080
readonly ENI=eni-0123456789abcdef0 EIP=eipalloc-0a1b2c3d4e5f60718 RTB=rtb-0fedcba9876543210
e2e_begin

step "the stand-in's namespace on the front segment"
front_host "$AWS_NS" "$AWS/24"

STANDIN_PID=""
CALLS=$E2E_TMP/calls.jsonl
# standin ARGS...: (re)starts the stand-in with these failure options.
standin() {
  [ -z "$STANDIN_PID" ] || stop_pid 5 "$STANDIN_PID"
  : >"$CALLS"
  ip netns exec "$AWS_NS" "$PY" "$E2E_ROOT/tests/e2e/aws_standin.py" --listen "$AWS" \
    --port "$AWS_PORT" --log "$CALLS" --region us-east-1 --credentials "$E2E_TMP/issued.json" "$@" >>"$E2E_TMP/standin.log" 2>&1 &
  STANDIN_PID=$!
  E2E_BG_PIDS+=("$STANDIN_PID")
  wait_until 5 "the stand-in listens" ip netns exec "$AWS_NS" ss -Hltn "sport = :$AWS_PORT" |
    grep -q . || true
}
ec2_calls() { jq -r 'select(.kind == "ec2") | "\(.action) \(.status) \(.signature_ok)"' "$CALLS"; }
all_calls() { jq -r 'if .kind == "ec2" then .action else .path end' "$CALLS"; }
aws_field() { ctl_json show ha | jq -r ".instances[0].aws.$1"; }
route_replaced() { grep -q '"ReplaceRoute"' "$CALLS"; }

config=$E2E_TMP/sluice.yaml
config_from_demo "$config"
cat >>"$config" <<EOF

ha:
  instances:
    - name: vips
      interface: front
      vrid: 70
      interval: 0.1
      addresses: [$VIP_DR]
      aws:
        interface_id: $ENI
        elastic_ips: [{ allocation_id: $EIP, private_address: $VIP_DR }]
        routes: [{ route_table: $RTB, destination: 198.18.8.0/24 }]
        endpoint: http://$AWS:$AWS_PORT
        metadata: http://$AWS:$AWS_PORT
        max_attempts: 3
EOF

# ---------------------------------------------------------------- first take-over
step "becoming master moves the address by EC2 calls (the first answered 503 twice)"
standin --fail AssignPrivateIpAddresses:503,503
daemon_start "$config"
wait_until 10 "ReplaceRoute called" route_replaced || true
sleep 0.5
check_eq "the metadata first, then the calls in order, the first retried twice" \
  "/latest/api/token /latest/meta-data/placement/region /latest/meta-data/instance-id /latest/meta-data/iam/security-credentials/ /latest/meta-data/iam/security-credentials/sluice-ha AssignPrivateIpAddresses AssignPrivateIpAddresses AssignPrivateIpAddresses AssociateAddress ReplaceRoute" \
  "$(all_calls | paste -sd' ')"
check_eq "every signature verified by the stand-in" "" "$(jq -r 'select(.kind == "ec2" and .signature_ok != true) | .action' "$CALLS")"
check_eq "503, 503, then done" "AssignPrivateIpAddresses 503 true,AssignPrivateIpAddresses 503 true,AssignPrivateIpAddresses 200 true,AssociateAddress 200 true,ReplaceRoute 200 true" \
  "$(ec2_calls | paste -sd,)"
check_eq "the address to this instance's ENI, reassigned if another holds it" \
  "$ENI $VIP_DR true" \
  "$(jq -r 'select(.action == "AssignPrivateIpAddresses" and .status == 200) | .params | "\(.NetworkInterfaceId) \(.["PrivateIpAddress.1"]) \(.AllowReassignment)"' "$CALLS")"
check_eq "the Elastic IP re-associated to it" "$EIP $ENI $VIP_DR true" \
  "$(jq -r 'select(.action == "AssociateAddress") | .params | "\(.AllocationId) \(.NetworkInterfaceId) \(.PrivateIpAddress) \(.AllowReassociation)"' "$CALLS")"
check_eq "the route pointed at it" "$RTB 198.18.8.0/24 $ENI" \
  "$(jq -r 'select(.action == "ReplaceRoute") | .params | "\(.RouteTableId) \(.DestinationCidrBlock) \(.NetworkInterfaceId)"' "$CALLS")"
check_eq "show ha counts 10 requests, 2 retries, no failure" "10 2 0 false" \
  "$(aws_field calls) $(aws_field retries) $(aws_field failures) $(aws_field moving)"
check_ge "each result is an event in the log" "$(grep -c 'event=aws service=vips' "$DAEMON_LOG")" 10
check_eq "the retries say why" 2 "$(grep -c 'event=aws service=vips server=AssignPrivateIpAddresses .*to=retrying reason="HTTP 503' "$DAEMON_LOG")"

# ---------------------------------------------------------------- throttled beyond the bound
step "a second take-over with every EC2 call throttled: each given up after 3 attempts"
standin --throttle 100
ctl ha maintenance on vips
wait_until 5 "backup" bash -c "[ \"\$($SLUICECTL --socket $SOCKET --json show ha | jq -r '.instances[0].state')\" = backup ]" || true
ctl ha maintenance off vips
wait_until 15 "ReplaceRoute tried 3 times" bash -c "[ \"\$(grep -c '\"ReplaceRoute\"' $CALLS)\" -ge 3 ]" || true
sleep 0.5
check_eq "3 tries of each call, none signed wrong, all throttled" \
  "AssignPrivateIpAddresses 503 true,AssignPrivateIpAddresses 503 true,AssignPrivateIpAddresses 503 true,AssociateAddress 503 true,AssociateAddress 503 true,AssociateAddress 503 true,ReplaceRoute 503 true,ReplaceRoute 503 true,ReplaceRoute 503 true" \
  "$(ec2_calls | paste -sd,)"
check_eq "no metadata asked again: identity and credentials are cached" 0 "$(jq -r 'select(.kind == "imds") | .path' "$CALLS" | wc -l)"
check_eq "show ha counts three more failures" 3 "$(aws_field failures)"
check_eq "the log says each was given up" 3 "$(grep -c 'event=aws service=vips .*to=failed reason="given up after 3 attempts' "$DAEMON_LOG")"

stop_pid 5 "$STANDIN_PID"
ip netns del "$AWS_NS" 2>/dev/null || true
e2e_end
