#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# 3. Unplug the wired NIC: the active slave becomes Wi-Fi, a running ping
# continues, the IPv4 address is kept.
# lab-devices: eth0 wifi
# lab-config: laptop.conf
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../guest/lib.sh
. /lab/guest/lib.sh

not_a_slave() { ! grep -qx "Slave Interface: $1" /proc/net/bonding/bond0 || { echo "$1 still listed"; return 1; }; }

require "converged: eth0 active, wlan0 associated, DHCPv4 and DHCPv6" 90 converged_laptop
ip4=$(ipv4_of bond0)
ping_start "$GW4"
sleep 1
note "unplugging the wired NIC eth0"
t=$(now)
unplug_wired eth0
check "active slave becomes wlan0" 15 is_active wlan0
check "eth0 is no longer a slave" 10 not_a_slave eth0
check "bond0 now carries the Wi-Fi MAC" 10 same_mac bond0 wlan0
check "the ping continues over Wi-Fi" 20 ping_ok_since "$t"
measure "longest ping gap across the unplug" "$(ping_gap "$t")"
check "IPv4 address $ip4 kept" 5 has_addr bond0 " inet $ip4 "
check "DHCPv6 address kept" 5 has_dhcp6 bond0
check "supplicant still runs on wlan0" 5 unit_active bond-wpa@wlan0.service
# The kernel hides an absent primary's name (sysfs shows ""), yet it keeps it: a
# converged bond without its cable must not look unconverged to every later run.
check "bond-up -n bond0: nothing to do with the cable out" 10 nothing_to_do bond0
sleep 3
check "the ping still flows 3 s later" 5 ping_ok_since "$t"
ping_stop "$GW4"
