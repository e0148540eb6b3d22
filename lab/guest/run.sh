#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Runs from lab-run.service once the boot is done: plays the scenario named in
# /lab/scenario, keeps what explains a failure in /lab/out, powers off.
# The host reads /lab/out/results: "PASS name (1.23 s)", "FAIL name: reason",
# "TIME name (1.23 s)", and "DONE" last.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /lab/guest/lib.sh

scenario=$(cat "$LAB/scenario")
mkdir -p "$LAB_OUT"
measure "boot: kernel start to scenario start" "$(uptime_s)"

collect() {
	local d=$LAB_OUT
	journalctl -b --no-pager -o short-monotonic >"$d/journal.txt" 2>&1
	mkdir -p "$d/proc-net-bonding"
	cp /proc/net/bonding/* "$d/proc-net-bonding/" 2>/dev/null
	cp "$LAB_RUN/dnsmasq.leases" "$d/dnsmasq.leases" 2>/dev/null
	{
		echo "# ip -d link"; ip -d link
		echo "# ip addr"; ip addr
		echo "# ip route"; ip route
		echo "# ip -6 route"; ip -6 route
		echo "# lan: ip addr"; ip -n "$LAN_NS" addr
		echo "# lan: bridge link"; ip netns exec "$LAN_NS" bridge link
		echo "# iw dev"; iw dev
	} >"$d/ip.txt" 2>&1
	{
		systemctl list-units --all --no-pager 'bond*' 'lab-*'
		echo
		systemctl status --no-pager -n 30 'bond*' 2>&1
	} >"$d/units.txt" 2>&1
	cp /etc/conf.d/network.conf "$d/network.conf" 2>/dev/null
	ps -ef >"$d/ps.txt" 2>&1
	true
}

finish() {
	collect
	echo DONE >>"$LAB_RESULTS"
	sync
	if [ "$scenario" = install ]; then
		systemctl poweroff --no-block
	else
		# -snapshot: nothing to keep, so no need for an orderly shutdown.
		echo o >/proc/sysrq-trigger
	fi
}
trap finish EXIT

case "$scenario" in
install)
	# Install the product as a package would: the DESTDIR tree goes into /, the
	# boot unit is enabled, udev re-reads its rules. The host keeps this disk.
	t=$(now)
	tar -C "$LAB/destdir" --owner=0 --group=0 -cf - . | tar -C / --no-overwrite-dir -xf -
	systemctl daemon-reload
	systemctl enable bond-up@bond0.service
	udevadm control --reload
	for f in /usr/local/bin/bond-up /usr/local/bin/bond-down /usr/local/bin/bond-hotplug \
		/etc/udev/rules.d/90-bond-hotplug.rules /etc/systemd/system/bond-up@.service; do
		if [ -e "$f" ]; then pass "installed $f" 0.00; else fail "installed $f" "missing"; fi
	done
	if systemctl is-enabled --quiet bond-up@bond0.service; then
		pass "bond-up@bond0.service enabled" "$(since "$t")"
	else
		fail "bond-up@bond0.service enabled" "$(systemctl is-enabled bond-up@bond0.service 2>&1)"
	fi
	;;
*)
	script=$LAB/scenarios/$scenario.sh
	if [ ! -f "$script" ]; then
		fail "scenario $scenario" "no such script $script"
		exit 1
	fi
	note "scenario $scenario"
	# A scenario may ask for a longer bound in its header ("# lab-timeout: SECONDS"):
	# the benchmark parts do, and the host bounds each of their boots instead.
	limit=$(sed -n 's/^# lab-timeout: *\([0-9][0-9]*\)$/\1/p' "$script" | head -n 1)
	timeout "${limit:-300}" bash "$script"
	rc=$?
	if [ "$rc" = 124 ]; then
		fail "scenario $scenario" "timed out in the guest"
	elif [ "$rc" != 0 ] && ! grep -q '^FAIL' "$LAB_RESULTS" 2>/dev/null; then
		fail "scenario $scenario" "script exited with status $rc"
	fi
	;;
esac
