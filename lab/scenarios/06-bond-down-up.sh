#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# 6. bond-down bond0: dnsmasq sees the DHCP release, static routes and addresses
# go, slaves are free, bond0 is deleted, no DHCP unit remains. bond-up bond0
# brings it all back; a second bond-up has nothing to do. bond0 deleted by hand
# stops its DHCP units (BindsTo=). bond-down --supplicants then leaves no
# bond-hotplug unit at all.
# lab-devices: eth0 wifi
# lab-config: laptop.conf
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../guest/lib.sh
. /lab/guest/lib.sh

no_static_addr() { ! ip -o addr | grep -qE '192\.168\.77\.2/|fd77:1::2/' || { ip -o addr | grep -E '192\.168\.77\.2/|fd77:1::2/'; return 1; }; }

# run_timed NAME CMD...: run a product command, PASS/FAIL on its exit status.
run_timed() {
	local name=$1 t rc=0
	shift
	t=$(now)
	"$@" >"$LAB_RUN/cmd.out" 2>&1 || rc=$?
	sed 's/^/    | /' "$LAB_RUN/cmd.out"
	if [ "$rc" = 0 ]; then
		pass "$name" "$(since "$t")"
	else
		fail "$name" "exit status $rc: $(tail -n 3 "$LAB_RUN/cmd.out" | tr '\n' ' ')"
	fi
}

require "converged: eth0 active, wlan0 associated, DHCPv4 and DHCPv6" 90 converged_laptop
ip4=$(ipv4_of bond0)
ip6=$(ipv6_of bond0)
note "bond0 has $ip4 and $ip6; running bond-down bond0"
run_timed "bond-down bond0 exits 0" bond-down bond0
check "dnsmasq saw the DHCPv4 release of ${ip4%/*}" 15 dnsmasq_logged "DHCPRELEASE\(lanbr\) ${ip4%/*} "
# dnsmasq logs a DHCPv6 release by the client's DUID, then its answer.
check "dnsmasq saw the DHCPv6 release (of ${ip6%/*})" 15 dnsmasq_logged "status +0 release received"
check "static route 10.99.0.0/16 removed" 5 no_route 10.99.0.0/16
check "static addresses removed" 5 no_static_addr
check "eth0 is free" 5 no_master eth0
check "wlan0 is free" 5 no_master wlan0
check "bond0 is deleted" 5 absent bond0
check "no DHCP client unit remains" 10 no_dhcp_units
note "units left after bond-down (supplicants stay unless --supplicants): $(product_units | tr '\n' ' ')"

note "running bond-up bond0"
t=$(now)
run_timed "bond-up bond0 exits 0" bond-up bond0
check "bond-up brings it all back (eth0 active, wlan0 associated, DHCPv4, DHCPv6)" 60 converged_laptop
measure "bond-up to converged" "$(since "$t")"
check "static addresses back" 10 has_addr bond0 ' inet 192\.168\.77\.2/24'
check "static route back" 10 has_route 10.99.0.0/16
check "IPv4 ping to the gateway" 15 pings "$GW4"

t=$(now)
rc=0
bond-up bond0 >"$LAB_RUN/cmd.out" 2>&1 || rc=$?
sed 's/^/    | /' "$LAB_RUN/cmd.out"
out=$(cat "$LAB_RUN/cmd.out")
if [ "$rc" = 0 ] && echo "$out" | grep -q "nothing to do"; then
	pass "a second bond-up reports nothing to do" "$(since "$t")"
else
	fail "a second bond-up reports nothing to do" "exit $rc, output: $(echo "$out" | tail -n 3 | tr '\n' ' ')"
fi

# The DHCP units are bound to bond0's device unit (BindsTo=) without waiting for it
# (no After=, issue 20): a master deleted under them still stops them.
ip link del bond0
check "bond0 deleted by hand: bond-dhcp4@bond0 stops (BindsTo)" 15 unit_inactive bond-dhcp4@bond0.service
check "bond0 deleted by hand: bond-dhcp6@bond0 stops (BindsTo)" 15 unit_inactive bond-dhcp6@bond0.service

run_timed "bond-down --supplicants bond0 exits 0" bond-down --supplicants bond0
check "no bond-hotplug unit remains" 15 no_product_units
check "bond0 is deleted again" 5 absent bond0
check "wlan0 is free" 5 no_master wlan0
