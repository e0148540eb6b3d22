#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# 51. bond-down when systemd does not answer (issue 11.6): run in a mount namespace
# where systemd's private socket and the system bus are hidden (tmpfs over
# /run/systemd and /run/dbus), it cannot list or stop the DHCP units. It must say
# so and exit 1, leaving bond0 with its addresses and its DHCP clients running
# (leases held, no release lost), never delete bond0 and exit 0. Then bond-down
# with systemd reachable releases the leases (DHCPRELEASE) and exits 0.
# lab-devices: eth0
# lab-config: dhcp-restart.conf
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../guest/reliability.sh
. /lab/guest/reliability.sh

leased() { is_active eth0 && has_dhcp4 bond0 && has_dhcp6 bond0; }
require "bond0 on eth0 with DHCPv4 and DHCPv6 leases" 90 leased
ip4=$(ipv4_of bond0)

rc=0
t=$(now)
unshare --mount --propagation private sh -c \
	'mount -t tmpfs hidden /run/systemd && mount -t tmpfs hidden /run/dbus && exec bond-down bond0' \
	>"$LAB_RUN/down.out" 2>&1 || rc=$?
sed 's/^/    | /' "$LAB_RUN/down.out"
measure "bond-down without systemd returned after" "$(since "$t")"
expect_eq "bond-down without systemd exits 1" "exit $rc" "exit 1"
check "it says why and that bond0 keeps its leases" 1 grep -q "cannot list units.*stopping the DHCP units by name" "$LAB_RUN/down.out"
check "... and names the failed stop and what was left" 1 grep -q "stop bond-dhcp4@bond0.service and wait: systemd is not reachable.*nothing after it was done (bond0 keeps its addresses and leases)" "$LAB_RUN/down.out"
check "bond0 still exists with its DHCPv4 address" 1 has_addr bond0 " inet ${ip4} "
check "the DHCP units still run (the leases are held)" 1 bash -c '. /lab/guest/lib.sh; unit_active bond-dhcp4@bond0.service && unit_active bond-dhcp6@bond0.service'
check "no release was sent" 1 bash -c "! grep -q 'DHCPRELEASE' '$LAB_OUT/dnsmasq.log'"

rc=0
bond-down bond0 >"$LAB_RUN/down2.out" 2>&1 || rc=$?
expect_eq "bond-down with systemd back exits 0" "exit $rc" "exit 0"
check "dnsmasq saw the DHCPv4 release of ${ip4%/*}" 15 dnsmasq_logged "DHCPRELEASE\(lanbr\) ${ip4%/*} "
check "bond0 is deleted" 10 absent bond0
check "no DHCP unit remains" 10 no_dhcp_units
