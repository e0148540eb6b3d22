#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The floor under every run of ours (issue 20): a benchmark, not a test of CI (its
# name has no number: the lab's run of every scenario and CI leave it out). Run it
# with `lab/run.sh start-floor`; docs/BENCHMARKS.md has the figures.
# On the converged laptop, 25 rounds (reps below), each timing one start of: /bin/true,
# `ip -V` (iproute2, what the seed's units run), the installed `bond-hotplug
# --version` (exec to exit: the loader, Go's runtime and package initialisation),
# and the same two under `setarch -R` (no address randomisation: what QEMU's TCG
# pays for translating the code again at new addresses each run; setarch's own
# exec is in both, see "setarch -R /bin/true").
# Other builds to compare (none are committed): executables put by hand in the
# host's lab/corpus/start-bins/ before the run are timed the same way (--version).
# lab-devices: eth0
# lab-config: laptop.conf
# lab-timeout: 900
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../guest/lib.sh
. /lab/guest/lib.sh

reps=25
began=$(now)
wait_for 120 eval '[ -e /sys/class/net/bond0 ]' || true
sleep 10 # the boot's own work done

OUT=$LAB_OUT/start.tsv
: >"$OUT"
# t NAME CMD...: one start, from bash's clock before the fork to after the wait.
t() {
	local n=$1 a b
	shift
	a=$EPOCHREALTIME
	"$@" >/dev/null 2>&1 || { fail "start-floor" "$n exited $? (a start that fails is no timing)"; exit 0; }
	b=$EPOCHREALTIME
	awk -v n="$n" -v a="$a" -v b="$b" 'BEGIN { printf "%s\t%.4f\n", n, b - a }' >>"$OUT"
}
hp=$(command -v bond-hotplug) || { fail "start-floor" "bond-hotplug is not installed"; exit 0; }
# Copied off the 9p share first: a program run from there is read again at each exec.
mkdir -p "$LAB_RUN/start-bins"
for b in /lab/corpus/start-bins/*; do
	if [ -x "$b" ]; then cp "$b" "$LAB_RUN/start-bins/"; fi
done
for ((i = 1; i <= reps; i++)); do
	t "/bin/true" /bin/true
	t "ip -V" ip -V
	t "bond-hotplug --version" "$hp" --version
	t "setarch -R /bin/true" setarch -R /bin/true
	t "setarch -R bond-hotplug --version" setarch -R "$hp" --version
	for b in "$LAB_RUN"/start-bins/*; do
		if [ -x "$b" ]; then t "$(basename "$b") --version" "$b" --version; fi
	done
done
# Median and minimum per program.
cut -f1 "$OUT" | sort -u | while read -r n; do
	awk -F'\t' -v n="$n" '$1 == n { print $2 }' "$OUT" | sort -n |
		awk -v n="$n" '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%s: median %.4f s, min %.4f s (n=%d)\n", n, m, v[1], NR }'
done >"$LAB_OUT/start.txt"
while read -r l; do note "start: $l"; done <"$LAB_OUT/start.txt"
pass "process starts measured ($reps rounds, start.txt)" "$(since "$began")"
