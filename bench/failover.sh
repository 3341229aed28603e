#!/usr/bin/env bash
# bench/failover.sh [RUNS=3]: the HA pair's takeover times, as clients see them. Runs the
# end-to-end test tests/e2e/ha_pair_test.sh RUNS times (two sluiced, 100 ms adverts, a
# client opening a connection every 50 ms and holding three) and prints, per way the master
# goes, the time from the failure to the first new connection answered, each run and the
# median, with the loop's failed requests. Needs root and the lab (it brings it up itself).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
out=$(mktemp -d /tmp/sluice-failover.XXXXXX)
trap 'rm -rf "$out"' EXIT
for ((i = 1; i <= runs; i++)); do
  bash tests/e2e/ha_pair_test.sh >"$out/run$i.log" 2>&1 || { tail -20 "$out/run$i.log"; exit 1; }
  grep -E '^\[ha_pair\] (sigkill|cut-off|clean-stop): first new connection' "$out/run$i.log" |
    sed -E 's/^\[ha_pair\] ([a-z-]+): first new connection answered (-?[0-9]+) ms after the failure; ([0-9]+) of ([0-9]+) .*/\1 \2 \3 \4/' \
      >>"$out/results"
done
printf '%-11s %-24s %8s %s\n' "failure" "ms to a new connection" "median" "loop requests failed"
for kind in sigkill cut-off clean-stop; do
  mapfile -t ms < <(awk -v k="$kind" '$1 == k {print $2}' "$out/results" | sort -n)
  failed=$(awk -v k="$kind" '$1 == k {f += $3; n += $4} END {printf "%d of %d", f, n}' "$out/results")
  printf '%-11s %-24s %8s %s\n' "$kind" "$(tr '\n' ' ' <<<"${ms[*]}")" "${ms[$((${#ms[@]} / 2))]}" "$failed"
done
