#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The soak (issue 17.7): a benchmark, not a test of CI (its name has no number:
# the lab's run of every scenario and CI leave it out). Run it with bench/soak/run.sh.
# With both NICs up: SOAK_CABLE cable cycles (cable out: Wi-Fi active; cable in:
# wired active), then, on Wi-Fi alone, SOAK_WIFI Wi-Fi cycles, in turn airplane mode
# (rfkill block, unblock), an access point outage (hostapd disabled, enabled) and
# the card pulled and inserted again. Same network throughout: the IPv4 address
# must never be lost. Prints the supervisors' RSS first, every 50 cable and 10
# Wi-Fi cycles, and last, the failed
# units and the journal's errors.
# lab-devices: eth0 wifi
# lab-config: laptop.conf
# lab-timeout: 5400
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../guest/lib.sh
. /lab/guest/lib.sh

cable=500
wifi=100
if [ -f "$LAB/scenarios/soak.env" ]; then
	# shellcheck source=/dev/null
	. "$LAB/scenarios/soak.env"
fi
# rss: VmRSS in KiB of the main process of each long-running unit of ours, with its
# threads and open files: a leak of subscriptions shows in the files, Go's runtime
# taking threads for blocking calls in the threads, and the heap's growth in the RSS.
rss() {
	local u pid
	for u in bond-dhcp4@bond0.service bond-dhcp6@bond0.service "bond-wpa@$1.service"; do
		pid=$(systemctl show -P MainPID "$u")
		printf '%s pid %s %s KiB %s threads %s fds; ' "$u" "$pid" \
			"$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo '?')" \
			"$(awk '/^Threads:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo '?')" \
			"$(find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)"
	done
}
lost=0
addr_kept() { has_addr bond0 " inet $ip4 " >/dev/null || { lost=$((lost + 1)); note "cycle $1: $ip4 missing: $(ip -o -4 addr show dev bond0 | awk '{print $4}' | tr '\n' ' ')"; }; }
cycle_fail=0
step() { # step CYCLE WHAT TIMEOUT CMD...: wait for CMD, count a failure
	local c=$1 what=$2 to=$3
	shift 3
	wait_for "$to" "$@" || { cycle_fail=$((cycle_fail + 1)); note "cycle $c: $what not within $to s: $("$@" 2>&1 | head -c 200)"; }
}

require "converged" 120 converged_laptop
# The journal's errors of the cycles only: the boot's own (the kernel's missing
# regulatory.db, the seed's dhclient.conf with its NO-BREAK SPACE) are not the soak's.
since_epoch=$(date +%s)
ip4=$(ipv4_of bond0)
w=wlan0
note "soak: $cable cable cycles, $wifi Wi-Fi cycles; address $ip4"
result "INFO rss first: $(rss "$w")"
t=$(now)
for i in $(seq "$cable"); do
	cable_out eth0
	step "$i" "Wi-Fi active" 20 is_active "$w"
	cable_in eth0
	step "$i" "eth0 active" 20 is_active eth0
	addr_kept "$i"
	# The curve, not just first and last: Go's RSS rises to a steady state, a leak
	# keeps rising.
	if ((i % 50 == 0)); then result "INFO rss after cable cycle $i: $(rss "$w")"; fi
done
measure "$cable cable cycles" "$(since "$t")"
cable_out eth0
step 0 "Wi-Fi active" 20 is_active "$w"
t=$(now)
for i in $(seq "$wifi"); do
	case $((i % 3)) in
	0)
		block_wifi "$w"
		step "w$i" "no active slave (airplane on)" 20 no_active_slave bond0
		unblock_wifi "$w"
		;;
	1)
		ip netns exec "$LAN_NS" hostapd_cli -p /run/hostapd -i ap0 disable >/dev/null
		step "w$i" "no active slave (AP down)" 30 no_active_slave bond0
		ip netns exec "$LAN_NS" hostapd_cli -p /run/hostapd -i ap0 enable >/dev/null
		;;
	2)
		# The same card out and in again: a real card keeps its MAC. (A new MAC is
		# another client to a DHCP server that leases by MAC, as dnsmasq does for
		# the seed's dhclient.conf, which loses its client identifier: the next
		# exchange, a renewal or a verification, gets another address. The full
		# run at 25f01c3 pulled a new card each time: docs/BENCHMARKS.md.)
		mac=$(cat "/sys/class/net/$w/address")
		del_wifi "$w"
		step "w$i" "card gone" 20 absent "$w"
		w=$(add_wifi "$mac")
		[ "$(cat "/sys/class/net/$w/address")" = "$mac" ] || note "cycle w$i: the card came back as $(cat "/sys/class/net/$w/address"), not $mac"
		;;
	esac
	step "w$i" "$w active again" 60 is_active "$w"
	addr_kept "w$i"
	if ((i % 10 == 0)); then result "INFO rss after Wi-Fi cycle $i: $(rss "$w")"; fi
done
measure "$wifi Wi-Fi cycles" "$(since "$t")"
cable_in eth0
step end "eth0 active" 20 is_active eth0
result "INFO rss last: $(rss "$w")"
expect_eq "cycles that missed a bound" "$cycle_fail" 0
expect_eq "cycles that found the address lost" "$lost" 0
failed=$(systemctl --failed --plain --no-legend | awk '{print $1}' | tr '\n' ' ')
expect_eq "failed units" "$failed" ""
# Each start of dhclient (a verification after a move, a restart for a MAC before a
# lease) logs the seed's dhclient.conf again at priority err: its NO-BREAK SPACE
# (docs/RELIABILITY.md; not ours to change). Those lines are counted apart, the
# starts with them.
journalctl -b -p err --since "@$since_epoch" --no-pager -o short-monotonic | grep -v '^-- ' >"$LAB_OUT/journal-errors-all.txt" || true
seedconf=$(grep -cE ' dhclient\[[0-9]+\]: (/etc/dhcp/dhclient\.conf line [0-9]+: .*|[[:space:]]*\^?[[:space:]]*|\[[0-9]+B blob data\]|send dhcp-client-identifier .*)$' "$LAB_OUT/journal-errors-all.txt" || true)
errors=$(($(wc -l <"$LAB_OUT/journal-errors-all.txt") - seedconf))
starts=$(journalctl -b --since "@$since_epoch" --no-pager -o cat -t dhclient | grep -c '^Internet Systems Consortium DHCP Client' || true)
verifies=$(journalctl -b --since "@$since_epoch" --no-pager -o cat | grep -c 'to verify it$' || true)
result "INFO dhclient starts during the cycles: $starts (verifications of the lease after a move: $verifies); their complaints about the seed's dhclient.conf: $seedconf lines"
result "INFO journal errors during the cycles, those apart: $errors"
expect_eq "journal errors (priority err and above)" "$errors" 0
