#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# 11. The boot race: with eth0, eth1, eth2 and a Wi-Fi card present at boot,
# bond-up@bond0.service and the coldplug add events of udev race for bond0.
# Whatever wins, the boot converges: every configured NIC is a slave, the wired
# primary is active, the card associated, DHCPv4 and DHCPv6 leases, nothing left
# to do, no failed run. Then BOOT_RACE_REPEAT times (3: the scenario must stay
# under ~3 minutes on a busy TCG host): bond-down, and bond-up started together
# with `udevadm trigger --action=add --subsystem-match=net`; the DHCP clients
# bond-up starts must not be stopped again (a release of the new lease).
# lab-devices: eth0 eth1 wifi eth2
# lab-config: boot-race.conf
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../guest/reliability.sh
. /lab/guest/reliability.sh

REPEAT=${BOOT_RACE_REPEAT:-3}

all_up() {
	slaves_are bond0 'eth*' 'wl*' && is_active eth0 && slave_mii_up eth1 && slave_mii_up eth2 &&
		slave_mii_up wlan0 && associated wlan0 && has_dhcp4 bond0 && has_dhcp6 bond0
}
udev0=0

check "boot: bond-up@bond0.service succeeded" 60 unit_active bond-up@bond0.service
check "boot: eth0, eth1, eth2, wlan0 enslaved, eth0 active, wlan0 associated, DHCPv4 and DHCPv6" 90 all_up
measure "boot: kernel start to converged" "$(uptime_s)"
check "boot: bond-up -n bond0 has nothing to do" 20 nothing_to_do bond0
check "boot: no udev-run bond-hotplug failed" 1 no_udev_failures
check "boot: the DHCP units run once, never restarted" 5 bash -c '. /lab/guest/reliability.sh; unit_healthy bond-dhcp4@bond0.service && unit_healthy bond-dhcp6@bond0.service'
check "boot: no bond unit failed" 2 no_failed_units
note "boot-time journal of the race: $(journalctl -b --no-pager -o cat -t bond-up -t bond-hotplug | head -n 40 | tr '\n' '|' | cut -c1-1500)"

ok=0
worst=0
first_fail=""
for ((r = 1; r <= REPEAT; r++)); do
	why=""
	bond-down bond0 >"$LAB_RUN/down.out" 2>&1 || why="bond-down exit $?: $(tail -n 2 "$LAB_RUN/down.out" | tr '\n' ' ')"
	wait_for 10 absent bond0 || why="$why bond0 not deleted"
	udev0=$(udev_failures)
	stops4=$(unit_stops bond-dhcp4@bond0.service)
	stops6=$(unit_stops bond-dhcp6@bond0.service)
	t=$(now)
	udevadm trigger --action=add --subsystem-match=net &
	trig=$!
	rc=0
	bond-up bond0 >"$LAB_RUN/up.out" 2>&1 || rc=$?
	wait "$trig" || why="$why udevadm trigger failed"
	[ "$rc" = 0 ] || why="$why bond-up exit $rc: $(tail -n 2 "$LAB_RUN/up.out" | tr '\n' ' ')"
	if wait_for 60 all_up; then
		took=$(since "$t")
		worst=$(awk -v a="$worst" -v b="$took" 'BEGIN { print (b > a) ? b : a }')
	else
		took=timeout
		why="$why not converged: $(all_up 2>&1 | tr '\n' ' ')"
	fi
	settle
	out=$(wait_for 10 nothing_to_do bond0; nothing_to_do bond0 2>&1) || why="$why bond-up -n: $(echo "$out" | tr '\n' ' ')"
	n=$(($(unit_stops bond-dhcp4@bond0.service) - stops4))
	[ "$n" = 0 ] || why="$why bond-dhcp4@bond0 stopped $n times after bond-up started it;"
	n=$(($(unit_stops bond-dhcp6@bond0.service) - stops6))
	[ "$n" = 0 ] || why="$why bond-dhcp6@bond0 stopped $n times after bond-up started it;"
	n=$(($(udev_failures) - udev0))
	[ "$n" = 0 ] || why="$why $n udev-run bond-hotplug failed"
	no_failed_units >/dev/null 2>&1 || why="$why $(no_failed_units 2>&1)"
	note "repeat $r: converged after $took s${why:+; PROBLEM: $why}"
	if [ -z "$why" ]; then ok=$((ok + 1)); elif [ -z "$first_fail" ]; then first_fail="repeat $r: $why"; fi
done
if [ "$ok" = "$REPEAT" ]; then
	pass "$REPEAT x (bond-down; bond-up racing udevadm trigger --action=add): converged, nothing to do, no failure" "$worst"
else
	fail "bond-up racing udevadm trigger" "$ok of $REPEAT converged; first: $first_fail"
fi
measure "boot race: $ok/$REPEAT repeats converged, slowest bond-up+trigger to converged" "$worst"
check "no error logged by the product this boot" 1 no_product_errors
