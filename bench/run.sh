#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# bench/run.sh: the benchmarks' entry point (`make bench`). See docs/BENCHMARKS.md.
#
# Usage (as root, from anywhere):
#   bench/run.sh [--host | --lab] [-n RUNS] [-format text|markdown] [-json FILE]
#     default: both parts. --host: measure 4 only (on this host, about a minute).
#     --lab: measures 1-3, 5, 6 only (the VM lab: 3 boots per contender, ours, the
#     seed's units, ifupdown + ifenslave; about 45-50 minutes on 2 cores).
#   -n/-json go to the host benchmark (RUNS defaults to 50); -format to both.
#   BENCH_LAB_ARGS: more options for bench/lab (e.g. "-reps 7 -contenders ours,seed
#   -parts hot"); see `go run ./bench/lab -h`.
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

do_host=1 do_lab=1
args=()
format=()
while [ $# -gt 0 ]; do
	case $1 in
	--host) do_lab=0 ;;
	--lab) do_host=0 ;;
	-format) format=(-format "$2"); args+=("$1" "$2"); shift ;;
	*) args+=("$1") ;;
	esac
	shift
done

tmp=$(mktemp -d /tmp/bond-hotplug-bench-run.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# ---------------------------------------------------------------------------------
# Measure 4 (host): the cost of one bond-hotplug run, next to `ip link set ... master`,
# in a throw-away network namespace; binary sizes. bench/cost/main.go says how.
# Built, not `go run`, so that its exit status (1 wrong, 2 cannot run) comes through.
# ---------------------------------------------------------------------------------
status=0
if [ "$do_host" = 1 ]; then
	go build -o "$tmp/cost" ./bench/cost
	"$tmp/cost" -repo "$repo" "${args[@]}" || status=$?
fi

# ---------------------------------------------------------------------------------
# Measures 1-3, 5, 6 (VM lab): cold start, hot-plug latency, a burst of 32 NICs,
# failover, a lease held through 20 + 5 plug/unplug cycles; for bond-hotplug and the
# two baselines (bench/seed, bench/ifupdown), one contender per boot, same image, one
# run. bench/lab/main.go says how; lab/bench/guest.sh is the guest side. The
# ifupdown boot installs ifupdown and ifenslave from .debs fetched here with apt
# (into a cache; nothing is installed on this host).
# ---------------------------------------------------------------------------------
if [ "$do_lab" = 1 ]; then
	[ "$do_host" = 0 ] || echo
	debs=/var/cache/bond-hotplug-bench/debs
	mkdir -p "$debs"
	if ! ls "$debs"/ifupdown_*.deb "$debs"/ifenslave_*.deb >/dev/null 2>&1; then
		(cd "$debs" && apt-get download ifupdown ifenslave adduser >/dev/null 2>&1) ||
			echo "bench/run.sh: could not download ifupdown/ifenslave: the ifupdown column will say why" >&2
	fi
	go build -o "$tmp/lab" ./bench/lab
	# shellcheck disable=SC2086 # BENCH_LAB_ARGS is a list of options
	"$tmp/lab" -repo "$repo" -debs "$debs" "${format[@]}" ${BENCH_LAB_ARGS-} || {
		rc=$?
		[ "$status" != 0 ] || status=$rc
	}
fi
exit "$status"
