#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The laptop story for `make demo` (lab/demo.sh): boot on wired, pull the cable,
# Wi-Fi takes over, plug it back, unplug and replug the wired NIC, pull the
# Wi-Fi card, insert another, bond-down. Each step prints the active slave,
# bond0's MAC, its addresses and the state of a ping that runs throughout.
# lab-devices: eth0 wifi
# lab-config: laptop.conf
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../guest/lib.sh
. /lab/guest/lib.sh

ping_state() {
	local last
	last=$(grep -o '^\[[0-9.]*\] .* bytes from' "$LAB_OUT/ping-$GW4.log" 2>/dev/null | tail -n 1 | tr -d '[' | cut -d' ' -f1)
	if [ -n "$last" ] && awk -v l="$last" -v n="$(now)" 'BEGIN { exit !(n - l < 1) }'; then
		echo "ok"
	elif [ -f "$LAB_RUN/ping-$GW4.pid" ]; then
		echo "LOST"
	else
		echo "-"
	fi
}
status() {
	local a mac v4 v6
	if [ ! -e /sys/class/net/bond0 ]; then
		printf 'no bond0 | ping %s: %s' "$GW4" "$(ping_state)"
		return
	fi
	a=$(active_slave bond0)
	mac=$(mac_of bond0)
	v4=$(ip -o -4 addr show dev bond0 | awk '{ printf "%s ", $4 }')
	v6=$(ip -o -6 addr show dev bond0 scope global | awk '{ printf "%s ", $4 }')
	printf 'active=%-6s MAC=%s | %s| %s| ping %s: %s' "${a:-none}" "$mac" "${v4:-no IPv4 }" "${v6:-no IPv6 }" "$GW4" "$(ping_state)"
}
# watch_until TIMEOUT CMD...: print the status each time it changes until CMD holds.
watch_until() {
	local timeout=$1 deadline last="" s
	shift
	deadline=$(awk -v n="$(now)" -v t="$timeout" 'BEGIN { printf "%.3f", n + t }')
	while :; do
		s=$(status)
		if [ "$s" != "$last" ]; then
			note "    $s"
			last=$s
		fi
		if "$@" >/dev/null 2>&1; then
			return 0
		fi
		if past "$deadline"; then
			note "    (gave up waiting after $timeout s)"
			return 1
		fi
		sleep 0.3
	done
}
step() {
	note ""
	note "=== $*"
}
hold() {
	for _ in $(seq "$1"); do
		sleep 1
		note "    $(status)"
	done
}

step "Boot: the laptop comes up with its wired NIC eth0 and its Wi-Fi card wlan0"
watch_until 90 converged_laptop || true
check "booted on wired, Wi-Fi associated as backup, DHCPv4 + DHCPv6" 1 converged_laptop
grep -E '^(Bonding Mode|Primary Slave|Currently Active Slave|MII Polling)' /proc/net/bonding/bond0 | while read -r l; do note "    /proc/net/bonding/bond0: $l"; done
note "    units: $(product_units | tr '\n' ' ')"
ping_start "$GW4"
hold 2

step "Pull the cable out of eth0"
t=$(now)
cable_out eth0
watch_until 20 is_active wlan0 || true
check "Wi-Fi takes over" 1 is_active wlan0
hold 3
note "    longest ping gap: $(ping_gap "$t") s"

step "Plug the cable back in"
t=$(now)
cable_in eth0
watch_until 20 is_active eth0 || true
check "back on wired" 1 is_active eth0
hold 2
note "    longest ping gap: $(ping_gap "$t") s"

step "Unplug the wired NIC itself (like a USB NIC)"
t=$(now)
unplug_wired eth0
watch_until 20 is_active wlan0 || true
check "Wi-Fi takes over again" 1 is_active wlan0
hold 2
note "    longest ping gap: $(ping_gap "$t") s"

step "Plug the wired NIC back in: udev runs bond-hotplug, which enslaves it"
t=$(now)
plug_wired eth0
watch_until 30 is_active eth0 || true
check "the new eth0 is enslaved and active" 1 is_active eth0
hold 2
note "    longest ping gap: $(ping_gap "$t") s"

step "Pull the Wi-Fi card"
del_wifi wlan0
watch_until 20 unit_inactive bond-wpa@wlan0.service || true
check "its supplicant unit stopped" 1 unit_inactive bond-wpa@wlan0.service
note "    units: $(product_units | tr '\n' ' ')"
hold 2

step "Insert a new Wi-Fi card"
w=$(add_wifi)
note "    the kernel calls it $w"
watch_until 40 slave_mii_up "$w" || true
check "$w enslaved, its supplicant running, associated" 5 associated "$w"
note "    units: $(product_units | tr '\n' ' ')"
hold 2

step "bond-down bond0: release the leases, remove the addresses, free the slaves, delete bond0"
ping_stop "$GW4"
bond-down bond0 2>&1 | while read -r l; do note "    bond-down: $l"; done || true
check "bond0 is gone" 10 absent bond0
grep -E 'DHCPRELEASE' "$LAB_OUT/dnsmasq.log" | tail -n 2 | while read -r l; do note "    dnsmasq: ${l#*: }"; done || true
note "    units: $(product_units | tr '\n' ' ')"
note ""
note "The end. Every step above ran the installed bond-up / bond-hotplug / bond-down"
note "through udev and systemd inside the VM; this machine's network was not touched."
