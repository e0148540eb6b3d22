#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The floors under a cold start's steps (issue 20): a benchmark, not a test of CI
# (its name has no number: the lab's run of every scenario and CI leave it out).
# Run it with `lab/run.sh cold-floor`; docs/BENCHMARKS.md has the figures.
# On the converged laptop, in rounds that interleave the variants (so that a load
# change hits each alike), FLOOR_REPS starts of a transient unit by systemd-run:
# from the call to the first instruction of the unit's program (bash printing
# $EPOCHREALTIME), with no sandbox, with the DHCPv4 unit's sandbox (lib/units
# sandbox.go, as systemd-run -p properties), without its mount namespace, without
# its system call filters, and with each mount-namespace directive alone; then the
# start of bond-hotplug (a Go PIE) and of /bin/true inside such a unit.
# lab-devices: eth0
# lab-config: laptop.conf
# lab-timeout: 900
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../guest/lib.sh
. /lab/guest/lib.sh

reps=${FLOOR_REPS:-7}
began=$(now)
wait_for 120 eval '[ -e /sys/class/net/bond0 ]' || true
sleep 10 # the boot's own work done

# The DHCPv4 unit's sandbox, split into what builds a mount namespace and the rest.
mountns=(-p ProtectSystem=strict -p ProtectHome=yes -p PrivateTmp=yes -p PrivateDevices=yes
	-p ProtectKernelTunables=yes -p ProtectKernelModules=yes -p ProtectKernelLogs=yes
	-p ProtectControlGroups=yes -p ProtectProc=invisible
	-p 'ReadWritePaths=/etc -/var/lib/dhcp -/var/lib/dhcpcd -/run/dhcpcd -/run/resolvconf -/run/systemd/resolve'
	-p RuntimeDirectory=bond-hotplug/floor)
seccomp=(-p LockPersonality=yes -p MemoryDenyWriteExecute=yes -p RestrictNamespaces=yes
	-p RestrictRealtime=yes -p SystemCallArchitectures=native -p SystemCallFilter=@system-service
	-p 'RestrictAddressFamilies=AF_UNIX AF_NETLINK AF_PACKET AF_INET AF_INET6'
	-p SystemCallErrorNumber=EPERM -p 'SystemCallFilter=~@privileged @resources' -p SystemCallFilter=@chown)
rest=(-p 'CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW CAP_NET_BIND_SERVICE' -p NoNewPrivileges=yes
	-p ProtectClock=yes -p ProtectHostname=yes -p RestrictSUIDSGID=yes -p RemoveIPC=yes
	-p KeyringMode=private -p UMask=0022)

# start NAME PROPS...: one unit start; records the seconds from the call to bash's
# first line, and bash's own line (CMD's time inside the unit when given).
OUT=$LAB_OUT/floor.tsv
: >"$OUT"
start() {
	local name=$1 t0 line
	shift
	t0=$EPOCHREALTIME
	line=$(systemd-run --wait --pipe -q "$@" /bin/bash -c "$CMD")
	awk -v n="$name" -v t0="$t0" -v l="$line" 'BEGIN { split(l, a, " "); printf "%s\t%.3f", n, a[1] - t0; if (a[3] != "") printf "\t%.3f", a[3] - a[2]; printf "\n" }' >>"$OUT"
}
CMD='echo $EPOCHREALTIME'
for ((i = 1; i <= reps; i++)); do
	start none
	start sandbox "${mountns[@]}" "${seccomp[@]}" "${rest[@]}"
	start "sandbox, no mount namespace" "${seccomp[@]}" "${rest[@]}"
	start "sandbox, no system call filter" "${mountns[@]}" "${rest[@]}"
	start "ProtectSystem=strict alone" -p ProtectSystem=strict
	start "PrivateTmp alone" -p PrivateTmp=yes
	start "PrivateDevices alone" -p PrivateDevices=yes
	start "ProtectKernelTunables alone" -p ProtectKernelTunables=yes
	start "ProtectProc=invisible alone" -p ProtectProc=invisible
	start "ProtectHome alone" -p ProtectHome=yes
	start "SystemCallFilter (3) alone" -p SystemCallFilter=@system-service -p 'SystemCallFilter=~@privileged @resources' -p SystemCallFilter=@chown
done
# The programs' own start, inside the full sandbox: bash's time stamps around them.
for ((i = 1; i <= reps; i++)); do
	CMD='a=$EPOCHREALTIME; /bin/true; echo $a $a $EPOCHREALTIME'
	start "/bin/true inside the sandbox" "${mountns[@]}" "${seccomp[@]}" "${rest[@]}"
	CMD='a=$EPOCHREALTIME; /usr/local/bin/bond-hotplug --version >/dev/null; echo $a $a $EPOCHREALTIME'
	start "bond-hotplug --version inside the sandbox" "${mountns[@]}" "${seccomp[@]}" "${rest[@]}"
	CMD='a=$EPOCHREALTIME; /usr/sbin/dhclient --version >/dev/null 2>&1; echo $a $a $EPOCHREALTIME'
	start "dhclient --version inside the sandbox" "${mountns[@]}" "${seccomp[@]}" "${rest[@]}"
done
# Medians per variant: unit start (call -> program), and the program inside.
sort -t "$(printf '\t')" -k1,1 -s "$OUT" | awk -F'\t' '
	function flush() { if (n) { m = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2; printf "%s: unit start %.3f s", name, m; if (k) { mm = (k % 2) ? w[(k + 1) / 2] : (w[k / 2] + w[k / 2 + 1]) / 2; printf ", program %.3f s", mm }; printf " (median of %d)\n", n } }
	$1 != name { flush(); name = $1; n = 0; k = 0 }
	{ v[++n] = $2; if ($3 != "") w[++k] = $3; for (i = n; i > 1 && v[i] < v[i - 1]; i--) { t = v[i]; v[i] = v[i - 1]; v[i - 1] = t }; for (i = k; i > 1 && w[i] < w[i - 1]; i--) { t = w[i]; w[i] = w[i - 1]; w[i - 1] = t } }
	END { flush() }' >"$LAB_OUT/floor.txt"
while read -r l; do note "floor: $l"; done <"$LAB_OUT/floor.txt"
pass "cold floors measured ($reps rounds, floor.txt)" "$(since "$began")"
