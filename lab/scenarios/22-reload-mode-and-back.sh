#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# 22. A rebuild keeps what the kernel drops: bond0MODE=balance-rr (without
# PRIMARY, which that mode lacks) and reload,
# then back to active-backup and reload, with static IPv4 and IPv6 routes and
# an IPv6 address configured. Each change sets the bond down (the kernel then
# deletes the IPv4 routes, and with keep_addr_on_down=0 the IPv6 addresses);
# the run reads and plans again, so every route and address is back after it.
# lab-devices: eth0 wifi
# lab-config: ownership.conf
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../guest/reliability.sh
. /lab/guest/reliability.sh

statics_back() {
	has_addr bond0 ' inet 192\.168\.77\.2/24' && has_addr bond0 ' inet6 fd77:1::2/64' &&
		has_route 10.99.0.0/16 && has_route6 fd99::/48
}

require "converged: eth0 active, wlan0 associated, DHCPv4 and DHCPv6" 90 converged_laptop
expect_eq "keep_addr_on_down is 0 (IPv6 addresses go with a down)" "$(sysctl -n net.ipv6.conf.bond0.keep_addr_on_down)" 0
# balance-rr has no primary: the file drops PRIMARY too (the primary is cleared).
{ grep -v '^bond0PRIMARY=' /lab/scenarios/conf/ownership.conf; echo "bond0MODE=balance-rr"; } | set_conf
routes_added() { journalctl -b --no-pager -o cat -t bond-up 2>/dev/null | grep -c 'add route "10.99.0.0/16 via 192.168.77.1" on bond0' || true; }
added0=$(routes_added)
reload_master bond0
check "bond0 is balance-rr" 10 bond_has "Bonding Mode: load balancing (round-robin)"
expect_eq "the kernel dropped the IPv4 route with the down, and the run added it back" "$(($(routes_added) - added0)) re-added" "1 re-added"
check "static addresses and IPv4 and IPv6 routes are all there right after the reload" 1 statics_back
check "bond-up -n bond0: nothing to do" 10 nothing_to_do bond0

install -o root -g root -m 0644 /lab/scenarios/conf/ownership.conf /etc/conf.d/network.conf
reload_master bond0
check "bond0 is active-backup again with primary eth0" 10 bash -c '. /lab/guest/lib.sh; bond_has "Bonding Mode: fault-tolerance (active-backup) (fail_over_mac active)" && bond_has "Primary Slave: eth0 (primary_reselect always)"'
check "static addresses and IPv4 and IPv6 routes are all there right after the reload" 1 statics_back
check "eth0 active, wlan0 an up slave and associated" 60 bash -c '. /lab/guest/lib.sh; is_active eth0 && slave_mii_up wlan0 && associated wlan0'
check "DHCPv4 lease on bond0" 60 has_dhcp4 bond0
check "IPv4 ping to the gateway" 15 pings "$GW4"
check "bond-up -n bond0: nothing to do" 10 nothing_to_do bond0
check "no error logged by the product this boot" 1 no_product_errors
