#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# 4. Plug the wired NIC back in: it is enslaved by the udev rule alone (nobody
# runs bond-up), and the active slave goes back to wired.
# lab-devices: eth0 wifi
# lab-config: laptop.conf
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../guest/lib.sh
. /lab/guest/lib.sh

require "converged: eth0 active, wlan0 associated, DHCPv4 and DHCPv6" 90 converged_laptop
unplug_wired eth0
require "Wi-Fi active after the unplug" 15 is_active wlan0
ip4=$(ipv4_of bond0)
ping_start "$GW4"
sleep 1
note "plugging the wired NIC eth0 back in"
t=$(now)
plug_wired eth0
check "eth0 enslaved by the udev rule" 20 is_slave_of eth0 bond0
check "active slave back to eth0" 20 is_active eth0
check "bond0 carries eth0's MAC again" 10 same_mac bond0 eth0
check "the ping continues" 20 ping_ok_since "$t"
measure "longest ping gap across the replug" "$(ping_gap "$t")"
check "IPv4 address $ip4 kept" 5 has_addr bond0 " inet $ip4 "
check "wlan0 still a slave with MII up" 10 slave_mii_up wlan0
check "no supplicant unit on eth0" 1 unit_inactive bond-wpa@eth0.service
ping_stop "$GW4"
