#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# 2. Boot with only Wi-Fi present (the seed's MAC problem): the DHCPv4 lease is
# obtained over Wi-Fi, with the Wi-Fi MAC, not the absent primary's or a random one.
# lab-devices: wifi
# lab-config: laptop.conf
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../guest/lib.sh
. /lab/guest/lib.sh

# ipv4_leases: the MACs dnsmasq handed IPv4 leases to.
ipv4_lease_macs() { awk '$3 ~ /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/ { print $2 }' "$LAB_RUN/dnsmasq.leases"; }
only_wifi_leases() {
	local macs
	macs=$(ipv4_lease_macs | sort -u)
	[ "$macs" = "$(mac_of wlan0)" ] || { echo "IPv4 lease MACs: $(echo "$macs" | tr '\n' ' ')wlan0: $(mac_of wlan0)"; return 1; }
}
lease_is_bond_address() {
	local ip
	ip=$(ipv4_of bond0)
	lease_of_mac "$(mac_of wlan0)" | grep -q " ${ip%/*} " || { echo "bond0 $ip; lease: $(lease_of_mac "$(mac_of wlan0)")"; return 1; }
}

check "boot unit bond-up@bond0.service succeeded" 60 unit_active bond-up@bond0.service
check "supplicant unit runs on wlan0" 60 unit_active bond-wpa@wlan0.service
check "wlan0 associated to the access point" 60 associated wlan0
check "active slave is wlan0" 60 is_active wlan0
measure "boot: kernel start to wlan0 active" "$(uptime_s)"
check "bond0 carries the Wi-Fi MAC" 5 same_mac bond0 wlan0
check "DHCPv4 lease over Wi-Fi" 60 has_dhcp4 bond0
measure "boot: kernel start to DHCPv4 address over Wi-Fi" "$(uptime_s)"
check "dnsmasq's lease shows the Wi-Fi MAC" 10 has_lease_for "$(mac_of wlan0)"
check "the leased address is bond0's address" 5 lease_is_bond_address
check "no IPv4 lease went to any other MAC" 5 only_wifi_leases
check "DHCPv6 address on bond0" 60 has_dhcp6 bond0
check "IPv4 ping to the gateway over Wi-Fi" 15 pings "$GW4"
check "IPv6 ping to the gateway over Wi-Fi" 20 pings "$GW6"
