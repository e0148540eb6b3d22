#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# 81. The lease follows the active slave's network (issue 17, item 2), cable and
# Wi-Fi, default clients (dhclient, dhcp6c), one boot:
#  1. at home, cable out: failover to Wi-Fi on the same network: no echo request
#     lost, the addresses never leave bond0 (the lease verified and kept);
#  2. cable back in (active), the Wi-Fi leaves home's AP and joins the café's: the
#     lease does not change (the active slave decides);
#  3. cable out: the Wi-Fi at the café becomes active, bond0's carrier never drops
#     (fail_over_mac=active): the café's leases within one exchange;
#  4. cable in at home: eth0 active again: the home lease back, the café's gone.
# lab-devices: eth0
# lab-config: laptop.conf
# lab-timeout: 600
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../guest/roam.sh
. /lab/guest/roam.sh

require "boot: eth0 active" 90 is_active eth0
wl=$(roam_wifi_at_home)
home4=$(ipv4_of bond0)
note "home leases: $home4 $(ipv6_of bond0)"
roam_failover_home "$wl"
cable_in eth0
check "cable in: eth0 active again" 30 is_active eth0
roam_wifi_elsewhere "$wl"
c0=$(cat /sys/class/net/bond0/carrier_changes)
roam_to_cafe "$wl" cable_out eth0
expect_eq "bond0's carrier never dropped through the move" "$(cat /sys/class/net/bond0/carrier_changes)" "$c0"
roam_home eth0 "$home4" "cable in" cable_in eth0
