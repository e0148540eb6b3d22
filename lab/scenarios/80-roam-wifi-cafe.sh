#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# 80. The lease follows the network (issue 17, item 2), on Wi-Fi alone, with the
# default clients (dhclient for DHCPv4, dhcp6c for DHCPv6). The user's
# wpa_supplicant.conf knows home (priority 2) and the café (priority 1). Home on
# Wi-Fi with a lease; the home AP goes away and the café's is in reach: after the
# association, within one DHCP exchange, the café's IPv4 and IPv6 addresses, the
# default routes via the café's router, the home addresses gone. Back home: the home
# lease again, the café's gone. Then resume elsewhere (issue 17, item 5): the card's
# driver reloaded (the NIC gone and back, as across a suspend, lab 70) while only the
# café is in reach: the bond back, associated to the café, the lease verified: the
# café's.
# lab-devices:
# lab-config: laptop.conf
# lab-timeout: 600
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../guest/roam.sh
. /lab/guest/roam.sh

wl=$(roam_wifi_at_home)
require "$wl active" 30 path_up "$wl"
home4=$(ipv4_of bond0)
note "home leases: $home4 $(ipv6_of bond0)"
roam_to_cafe "$wl" home_ap_down
roam_home_wifi "$wl" "$home4"
note "resume elsewhere: the card's driver reloaded while only the café is in reach"
del_wifi "$wl"
check "$wl gone, its supplicant stopped" 15 eval "absent $wl && unit_inactive bond-wpa@$wl.service"
home_ap_down
cafe_ap_up
roam_to_cafe - resume_card
