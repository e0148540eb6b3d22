#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# 7. A bridge master (its name contains "br") with hot-plugged veth ports,
# next to the bond. Hot-plug builds nothing until bond-up@br0 is started.
# veth0's far end is on the lan; veth1's is a "pc" namespace that reaches the
# lan only through br0.
# lab-devices: eth0
# lab-config: bridge.conf
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../guest/lib.sh
. /lab/guest/lib.sh

is_bridge() { [ -d "/sys/class/net/$1/bridge" ] || { echo "$1 is no bridge"; return 1; }; }
pc_pings() { ip netns exec pc ping -n -c 1 -W 1 "$1" >/dev/null 2>&1; }
no_wpa_on_veth() { ! product_units | grep -q 'bond-wpa@veth' || { product_units | tr '\n' ' '; return 1; }; }

require "bond0 up on eth0" 60 is_active eth0
note "plugging veth0 (its far end on the lan) while br0 is not up (bond-up@br0 not started)"
plug_wired veth0
settle
check "br0 is not built by hot-plug before bond-up@br0 runs" 2 absent br0
note "systemctl start bond-up@br0"
systemctl start bond-up@br0.service
check "br0 is created as a bridge" 20 is_bridge br0
check "veth0 is a port of br0" 20 is_slave_of veth0 br0
check "br0 has its static address 10.88.0.2/24" 20 has_addr br0 ' inet 10\.88\.0\.2/24'
check "br0 is up" 10 is_up br0
check "veth0 is up" 10 is_up veth0
check "ping the lan through br0" 20 pings 10.88.0.1

note "plugging veth1 (its far end in the pc namespace)"
ip netns add pc
ip -n pc link set lo up
plug_wired veth1 pc
ip -n pc addr add 10.88.0.3/24 dev w-veth1
check "veth1 is a port of br0" 20 is_slave_of veth1 br0
check "the pc reaches the lan through br0" 20 pc_pings 10.88.0.1
check "br0 reaches the pc" 10 pings 10.88.0.3

note "unplugging veth0"
unplug_wired veth0
check "veth0 is gone, br0 stays" 10 exists br0
check "veth1 is still a port of br0" 5 is_slave_of veth1 br0
check "br0 still reaches the pc" 10 pings 10.88.0.3
check "no supplicant on bridge ports" 2 no_wpa_on_veth
check "the bond is untouched: eth0 still active" 5 is_active eth0
check "bond0 still has its DHCPv4 lease" 30 has_dhcp4 bond0
