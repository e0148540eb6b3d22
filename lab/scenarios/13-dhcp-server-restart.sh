#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# 13. The lan's DHCP server goes away and comes back. (a) While bond0 holds its
# leases: dnsmasq stopped for DHCP_OUTAGE s and started again; the addresses
# stay (no deletion notified), the DHCP units are neither restarted nor
# failed. (b) While no lease is held: with the server stopped, bond-down then
# bond-up (which must not wait for a server); the DHCP units keep trying, stay
# healthy, and the leases are obtained once dnsmasq is back.
# lab-devices: eth0
# lab-config: dhcp-restart.conf
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../guest/reliability.sh
. /lab/guest/reliability.sh

OUTAGE=${DHCP_OUTAGE:-15}

leased() { is_active eth0 && has_dhcp4 bond0 && has_dhcp6 bond0; }
units_healthy() { unit_healthy bond-dhcp4@bond0.service && unit_healthy bond-dhcp6@bond0.service; }

require "bond0 on eth0 with DHCPv4 and DHCPv6 leases" 90 leased
ip4=$(ipv4_of bond0)
ip6=$(ipv6_of bond0)
id4=$(unit_identity bond-dhcp4@bond0.service)
id6=$(unit_identity bond-dhcp6@bond0.service)
addr_watch_start

note "(a) stopping dnsmasq for $OUTAGE s while bond0 holds $ip4 and $ip6"
t=$(now)
dnsmasq_stop
check "dnsmasq stopped" 5 bash -c '! pgrep -x dnsmasq'
sleep "$OUTAGE"
check "(a) the addresses stay while the server is away" 1 bash -c ". /lab/guest/lib.sh; has_addr bond0 ' inet $ip4 ' && has_addr bond0 ' inet6 $ip6 '"
check "(a) the DHCP units stay active while the server is away" 1 units_healthy
dnsmasq_start
check "(a) dnsmasq serves again" 10 dnsmasq_running
measure "(a) server outage" "$(since "$t")"
sleep 3
expect_eq "(a) no address of bond0 was deleted" "$(addr_deleted bond0 'inet6?' | wc -l) deletions" "0 deletions"
expect_eq "(a) the DHCPv4 unit was never restarted" "$(unit_identity bond-dhcp4@bond0.service)" "$id4"
expect_eq "(a) the DHCPv6 unit was never restarted" "$(unit_identity bond-dhcp6@bond0.service)" "$id6"
check "(a) bond-up -n bond0: nothing to do" 10 nothing_to_do bond0
check "(a) ping the gateway" 10 pings "$GW4"

note "(b) server stopped, then bond-down and bond-up with no server"
dnsmasq_stop
rc=0
t=$(now)
bond-down bond0 >"$LAB_RUN/down.out" 2>&1 || rc=$?
expect_eq "(b) bond-down with the server away exits 0" "exit $rc" "exit 0"
measure "(b) bond-down with no DHCP server (the clients' releases go unanswered)" "$(since "$t")"
check "(b) bond0 deleted" 10 absent bond0
t=$(now)
rc=0
bond-up bond0 >"$LAB_RUN/up.out" 2>&1 || rc=$?
expect_eq "(b) bond-up with the server away exits 0" "exit $rc" "exit 0"
measure "(b) bond-up with no DHCP server returned after" "$(since "$t")"
check "(b) bond0 up on eth0" 20 is_active eth0
check "(b) the DHCP units run (keep trying) while the server is away" 20 bash -c '. /lab/guest/lib.sh; unit_active bond-dhcp4@bond0.service && unit_active bond-dhcp6@bond0.service'
sleep "$OUTAGE"
check "(b) no DHCPv4 address without a server" 1 no_addr bond0 ' inet 10\.77\.0\.'
check "(b) the DHCP units are still active, never restarted, after $OUTAGE s without a server" 1 units_healthy
dnsmasq_start
t=$(now)
check "(b) DHCPv4 lease obtained once dnsmasq is back" 60 has_dhcp4 bond0
measure "(b) dnsmasq back to DHCPv4 address" "$(since "$t")"
check "(b) DHCPv6 lease obtained once dnsmasq is back" 60 has_dhcp6 bond0
measure "(b) dnsmasq back to DHCPv6 address" "$(since "$t")"
check "(b) the DHCP units are healthy" 1 units_healthy
check "(b) no bond unit failed" 1 no_failed_units
check "(b) bond-up -n bond0: nothing to do" 10 nothing_to_do bond0
check "(b) ping the gateway" 10 pings "$GW4"
addr_watch_stop
