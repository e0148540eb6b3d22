#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# 20. Edit, then reload: with the laptop up on wired and Wi-Fi, the Wi-Fi card
# is dropped from bond0SLAVES and bond-up@bond0 reloaded: wlan0 is released and
# its supplicant stopped, eth0 and the DHCPv4 lease stay (the client is not
# restarted). Put back and reloaded: wlan0 is a slave again and associates.
# lab-devices: eth0 wifi
# lab-config: ownership.conf
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../guest/reliability.sh
. /lab/guest/reliability.sh

require "converged: eth0 active, wlan0 associated, DHCPv4 and DHCPv6" 90 converged_laptop
stops4=$(unit_stops bond-dhcp4@bond0.service)
note "dropping wl* from bond0SLAVES"
sed "s/^bond0SLAVES=.*/bond0SLAVES='eth*'/" /etc/conf.d/network.conf | set_conf
check "bond-up -n bond0 shows the release of wlan0 before the reload" 5 bash -c 'bond-up -n bond0 | grep -q "release wlan0 from bond0"'
t=$(now)
reload_master bond0
check "wlan0 is released from bond0" 10 no_master wlan0
check "bond-wpa@wlan0 (its supplicant) is stopped" 10 unit_inactive bond-wpa@wlan0.service
measure "reload to wlan0 released and its supplicant stopped" "$(since "$t")"
check "eth0 is still the active slave" 5 is_active eth0
check "bond0 keeps its DHCPv4 lease" 5 has_dhcp4 bond0
expect_eq "the DHCPv4 client was not restarted" "$(($(unit_stops bond-dhcp4@bond0.service) - stops4)) stops" "0 stops"
check "bond-up -n bond0: nothing to do" 10 nothing_to_do bond0
check "a hot-plug run for wlan0 leaves it alone" 5 bash -c 'ACTION=add INTERFACE=wlan0 bond-hotplug && [ ! -e /sys/class/net/wlan0/master ]'

note "putting wl* back"
install -o root -g root -m 0644 /lab/scenarios/conf/ownership.conf /etc/conf.d/network.conf
reload_master bond0
check "wlan0 is a slave again and associates, eth0 active, DHCPv4 and DHCPv6" 60 converged_laptop
check "bond-up -n bond0: nothing to do" 10 nothing_to_do bond0
check "no error logged by the product this boot" 1 no_product_errors
