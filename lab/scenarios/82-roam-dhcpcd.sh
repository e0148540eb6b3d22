#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# 82. Scenario 81's moves with dhcpcd for DHCPv4 and DHCPv6 (issue 17, item 2), then
# on Wi-Fi alone: the cable pulled with the Wi-Fi at the café (the café's leases),
# and back home on Wi-Fi (the home lease).
# lab-devices: eth0
# lab-config: laptop-dhcpcd.conf
# lab-timeout: 600
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../guest/roam.sh
. /lab/guest/roam.sh
ROAM_KERNEL_RA=0

require "boot: eth0 active" 90 is_active eth0
wl=$(roam_wifi_at_home)
home4=$(ipv4_of bond0)
note "home leases: $home4 $(ipv6_of bond0)"
roam_failover_home "$wl"
cable_in eth0
check "cable in: eth0 active again" 30 is_active eth0
roam_wifi_elsewhere "$wl"
roam_to_cafe "$wl" cable_out eth0
roam_home eth0 "$home4" "cable in" cable_in eth0
# Wi-Fi alone, still at the café: the cable pulled at home means the café again.
roam_to_cafe "$wl" unplug_wired eth0
roam_home_wifi "$wl" "$home4"
