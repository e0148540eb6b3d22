#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The soak (issue 17.7), a benchmark: one lab boot playing lab/scenarios/soak.sh,
# CABLE cable cycles then WIFI Wi-Fi cycles (airplane mode, access point outages,
# the card pulled), on one network. Prints the guest's results: the supervisors'
# RSS first and last, failed units, journal errors, the cycles that missed a bound.
#   bench/soak/run.sh [CABLE [WIFI]]      default 500 100; as root
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(id -u)" = 0 ] || { echo "bench/soak/run.sh: run as root (the VM lab)" >&2; exit 2; }
cable=${1:-500}
wifi=${2:-100}
env=lab/scenarios/soak.env
trap 'rm -f "$env"' EXIT
printf 'cable=%d\nwifi=%d\n' "$cable" "$wifi" >"$env"
rc=0
go run ./lab/cmd/lab -timeout 95m run soak || rc=$?
run=$(ls -1dt /var/tmp/bond-hotplug-lab/*/soak 2>/dev/null | head -n 1)
if [ -n "$run" ]; then
	echo "== $run/share/out/results"
	cat "$run/share/out/results"
fi
exit "$rc"
