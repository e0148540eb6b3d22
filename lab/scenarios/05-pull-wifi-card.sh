#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# 5. Pull the Wi-Fi card: its supplicant unit stops, the slave is gone, wired
# keeps working. Insert a new card: enslaved, supplicant started, associated.
# lab-devices: eth0 wifi
# lab-config: laptop.conf
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../guest/lib.sh
. /lab/guest/lib.sh

not_a_slave() { ! grep -qx "Slave Interface: $1" /proc/net/bonding/bond0 || { echo "$1 still listed"; return 1; }; }

require "converged: eth0 active, wlan0 associated, DHCPv4 and DHCPv6" 90 converged_laptop
ping_start "$GW4"
sleep 1
note "pulling the Wi-Fi card (wlan0)"
t=$(now)
del_wifi wlan0
check "wlan0 is gone" 5 absent wlan0
check "supplicant unit of wlan0 stops" 15 unit_inactive bond-wpa@wlan0.service
check "wlan0 is no longer a slave" 10 not_a_slave wlan0
check "wired eth0 still active" 5 is_active eth0
check "the ping is unaffected" 10 ping_ok_since "$t"
measure "longest ping gap across the card pull" "$(ping_gap "$t")"
note "inserting a new Wi-Fi card"
t=$(now)
w=$(add_wifi)
note "the new card is $w"
check "new card $w enslaved" 20 is_slave_of "$w" bond0
check "supplicant unit runs on $w" 20 unit_active "bond-wpa@$w.service"
check "$w associated to the access point" 40 associated "$w"
check "$w is a slave with MII up" 20 slave_mii_up "$w"
check "wired eth0 still active" 5 is_active eth0
check "the ping flows throughout" 5 ping_ok_since "$t"
ping_stop "$GW4"
