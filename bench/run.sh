#!/bin/bash
# bench/run.sh: the benchmarks' entry point (`make bench`). See docs/BENCHMARKS.md.
#
# Usage (as root, from anywhere): bench/run.sh [-n RUNS] [-format text|markdown] [-json FILE]
#   The options go to the host-side cost benchmark (measure 4); RUNS defaults to 50.
#
# Benchmarks print; they do not fail on a slow machine. Exit 1 means a wrong result
# (e.g. a veth not enslaved after bond-hotplug add), exit 2 that this host cannot run
# them (not root, no network namespaces, no Go).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

if [ "$(id -u)" != 0 ]; then
	echo "bench/run.sh: needs root (it creates a throw-away network namespace)" >&2
	exit 2
fi
if ! command -v go >/dev/null; then
	if [ -x /usr/local/go/bin/go ]; then
		PATH=/usr/local/go/bin:$PATH
	else
		echo "bench/run.sh: the go command is not in \$PATH (see go.mod for the version)" >&2
		exit 2
	fi
fi

tmp=$(mktemp -d /tmp/bond-hotplug-bench-run.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# ---------------------------------------------------------------------------------
# Measure 4 (host): the cost of one bond-hotplug run, next to `ip link set ... master`,
# in a throw-away network namespace; binary sizes. bench/cost/main.go says how.
# Built, not `go run`, so that its exit status (1 wrong, 2 cannot run) comes through.
# ---------------------------------------------------------------------------------
go build -o "$tmp/cost" ./bench/cost
"$tmp/cost" -repo "$repo" "$@"

# ---------------------------------------------------------------------------------
# LAB MEASURES (1-3, 5, 6) GO HERE, once the VM lab (lab/) can run them: cold start
# with only Wi-Fi, hot-plug latency, a burst of 32 NICs, failover, a lease held
# through 20 plug/unplug cycles, each for bond-hotplug and the two baselines installed
# in the same image (bench/seed/install.sh, bench/ifupdown/install.sh), in one run so
# that the machine's speed cancels out.
# ---------------------------------------------------------------------------------
echo
echo "Measures 1-3, 5 and 6 run in the VM lab and are not wired yet (see docs/BENCHMARKS.md)."
