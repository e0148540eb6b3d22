#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# 8. A bond0 pre-created by loading the module with its defaults (balance-rr)
# before the boot unit runs is repaired; so is one made by hand, with a slave,
# while the system runs.
# lab-devices: bonding-defaults eth0 wifi
# lab-config: laptop.conf
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../guest/lib.sh
. /lab/guest/lib.sh

repaired() {
	bond_has "Bonding Mode: fault-tolerance (active-backup) (fail_over_mac active)" &&
		bond_has "Primary Slave: eth0 (primary_reselect always)" &&
		bond_has "MII Polling Interval (ms): 100"
}

check "the boot started with a balance-rr bond0" 5 grep -q 'bond0 pre-created: balance-rr' "$LAB_OUT/timeline.log"
check "bond0 repaired at boot: active-backup, fail_over_mac active, primary eth0, miimon 100" 60 repaired
check "active slave is eth0" 60 is_active eth0
check "wlan0 is a slave with MII up" 60 slave_mii_up wlan0
check "DHCPv4 lease on bond0" 60 has_dhcp4 bond0
check "IPv4 ping to the gateway" 15 pings "$GW4"

note "bond-down, then a balance-rr bond0 by hand with eth0 enslaved"
bond-down bond0 || true
wait_for 10 absent bond0 || true
# Hold udev's RUN hooks while the hand-made bond is built: bond0's own "add"
# event would otherwise let bond-hotplug repair it before bond-up gets to. Settle
# first: a run for bond-down's own events (bond0's remove) may still be waiting on
# the lock, and, finding a bond0 present again, it would rightly converge it.
udevadm settle --timeout=30 || true
udevadm control --stop-exec-queue
ip link add bond0 type bond
ip link set eth0 down
ip link set eth0 master bond0
ip link set bond0 up
check "hand-made bond0 is balance-rr with eth0" 5 bond_has "Bonding Mode: load balancing (round-robin)"
t=$(now)
rc=0
bond-up bond0 || rc=$?
expect_eq "bond-up bond0 exits 0" "$rc" 0
check "bond0 repaired by bond-up" 30 repaired
udevadm control --start-exec-queue
check "eth0 and wlan0 enslaved, eth0 active, DHCPv4 and DHCPv6" 60 converged_laptop
measure "bond-up repair to converged" "$(since "$t")"
check "a converged bond-up has nothing to do" 5 bash -c 'bond-up bond0 | grep -q "nothing to do"'
