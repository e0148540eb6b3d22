#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# 23. bond0 removed from the file, then `bond-down bond0`: it is no longer a
# configured master but its record says what runs applied, so it goes in the
# usual order: dnsmasq sees the DHCP release, static route and addresses go,
# the slaves are free, bond0 is deleted. Stopping bond-up@bond0 afterwards (as
# shutdown does) finds nothing to do and does not fail.
# lab-devices: eth0 wifi
# lab-config: ownership.conf
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../guest/reliability.sh
. /lab/guest/reliability.sh

require "converged: eth0 active, wlan0 associated, DHCPv4 and DHCPv6" 90 converged_laptop
ip4=$(ipv4_of bond0)
echo "# bond0 removed (issue 8, scenario 23)" | set_conf
t=$(now)
rc=0
bond-down bond0 >"$LAB_RUN/down.out" 2>&1 || rc=$?
sed 's/^/    | /' "$LAB_RUN/down.out"
expect_eq "bond-down bond0 (no longer configured) exits 0" "exit $rc" "exit 0"
check "dnsmasq saw the DHCPv4 release of ${ip4%/*}" 15 dnsmasq_logged "DHCPRELEASE\(lanbr\) ${ip4%/*} "
check "dnsmasq saw the DHCPv6 release" 15 dnsmasq_logged "status +0 release received"
check "bond0 is deleted" 5 absent bond0
measure "bond-down of an unconfigured bond0 to deleted" "$(since "$t")"
check "eth0 is free" 5 no_master eth0
check "wlan0 is free" 5 no_master wlan0
check "static routes removed" 5 bash -c '. /lab/guest/lib.sh; no_route 10.99.0.0/16 && no_route6 fd99::/48'
check "no DHCP client unit remains" 10 no_dhcp_units
check "the record of bond0 owns nothing and says down" 2 bash -c 'grep -q "\"up\": false" /run/bond-hotplug/state/bond0.json && ! grep -q "slaves\|addrs\|routes\|units" /run/bond-hotplug/state/bond0.json'
rc=0
systemctl stop bond-up@bond0.service >"$LAB_RUN/stop.out" 2>&1 || rc=$?
expect_eq "systemctl stop bond-up@bond0 afterwards (its ExecStop: bond-down bond0) exits 0" "exit $rc" "exit 0"
check "bond-up@bond0.service is not failed" 2 bash -c '! systemctl is-failed --quiet bond-up@bond0.service'

check "no error logged by the product this boot" 1 no_product_errors
