#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# 1. Boot with wired and Wi-Fi present: the boot unit brings everything up.
# The checks mirror the seed's "test results": /proc/net/bonding/bond0, the
# supplicant on the Wi-Fi NIC only, DHCPv4 + DHCPv6 + static addresses, pings.
# lab-devices: eth0 wifi
# lab-config: laptop.conf
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../guest/lib.sh
. /lab/guest/lib.sh

check "boot unit bond-up@bond0.service succeeded" 60 unit_active bond-up@bond0.service
check "bond0 exists" 30 exists bond0
check "active slave is the wired eth0" 60 is_active eth0
measure "boot: kernel start to eth0 active" "$(uptime_s)"
check "mode active-backup with fail_over_mac active" 5 bond_has "Bonding Mode: fault-tolerance (active-backup) (fail_over_mac active)"
check "primary eth0 with primary_reselect always" 5 bond_has "Primary Slave: eth0 (primary_reselect always)"
check "MII polling interval 100 ms" 5 bond_has "MII Polling Interval (ms): 100"
check "Currently Active Slave: eth0" 5 bond_has "Currently Active Slave: eth0"
check "wlan0 is a slave with MII up" 60 slave_mii_up wlan0
check "supplicant unit runs on wlan0" 30 unit_active bond-wpa@wlan0.service
check "no supplicant unit on eth0" 1 unit_inactive bond-wpa@eth0.service
check "wlan0 associated to the access point" 60 associated wlan0
check "bond0 carries eth0's MAC (fail_over_mac active)" 5 same_mac bond0 eth0
check "DHCPv4 lease on bond0" 60 has_dhcp4 bond0
measure "boot: kernel start to DHCPv4 address" "$(uptime_s)"
check "DHCPv6 address on bond0" 60 has_dhcp6 bond0
measure "boot: kernel start to DHCPv6 address" "$(uptime_s)"
check "static fail-safe IPv4 192.168.77.2/24 on bond0" 10 has_addr bond0 ' inet 192\.168\.77\.2/24'
check "static fail-safe IPv6 fd77:1::2/64 on bond0" 10 has_addr bond0 ' inet6 fd77:1::2/64'
check "static route 10.99.0.0/16 via 192.168.77.1" 10 has_route 10.99.0.0/16
check "DHCPv4 client unit running" 5 unit_active bond-dhcp4@bond0.service
check "DHCPv6 client unit running" 5 unit_active bond-dhcp6@bond0.service
check "dnsmasq leased to eth0's MAC" 10 has_lease_for "$(mac_of eth0)"
check "IPv4 ping to the gateway" 15 pings "$GW4"
check "IPv6 ping to the gateway" 20 pings "$GW6"
check "ping through the static route" 10 pings "$ROUTED_HOST"
# An ordinary user reads the status (issue 11, 5): no lock is taken, and the unit
# states come over the system bus (systemd's private socket is root's).
user_status() { setpriv --reuid=65534 --regid=65534 --clear-groups bond-up --status bond0 2>&1 || true; }
user_sees_units() { user_status | grep -q 'bond-dhcp4@bond0.service active/running'; }
check "an ordinary user's --status shows unit states read over the system bus" 10 user_sees_units
# What lib/netdev reads instead of libudev (issue 20: no cgo), checked against the
# real udevd: "initialized" is udev's database entry n<ifindex>, which `udevadm info`
# reads too; "wireless" is the kernel's DEVTYPE=wlan in the uevent file.
udev_db_agrees() {
	local d idx
	for d in bond0 eth0 wlan0; do
		idx=$(cat "/sys/class/net/$d/ifindex")
		[ -f "/run/udev/data/n$idx" ] || { echo "$d: no /run/udev/data/n$idx"; return 1; }
		udevadm info -q property -p "/sys/class/net/$d" | grep -q "^USEC_INITIALIZED=" || { echo "$d: udevadm says not initialized"; return 1; }
	done
}
devtype_wlan() { grep -qx DEVTYPE=wlan /sys/class/net/wlan0/uevent && ! grep -q '^DEVTYPE=' /sys/class/net/eth0/uevent; }
never_waited_in_vain() { ! journal_has 'udev has not announced' >/dev/null || { echo "journal: udev has not announced"; return 1; }; }
check "udev's database has an entry n<ifindex> for bond0, eth0 and wlan0" 10 udev_db_agrees
check "the kernel's uevent file marks wlan0 DEVTYPE=wlan (eth0 not)" 5 devtype_wlan
check "bond-up never waited in vain for udev's announcement of bond0" 5 never_waited_in_vain
