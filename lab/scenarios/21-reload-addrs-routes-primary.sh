#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# 21. Edit, then reload: new static addresses and route replace the old ones
# (the old are deleted, the new added), a removed PRIMARY is cleared, and an
# address added by hand and the DHCP lease are left alone. (The hand-added
# address is in another subnet: deleting an IPv4 address makes the kernel
# delete the secondaries of its subnet with it, unless promote_secondaries.)
# lab-devices: eth0 wifi
# lab-config: ownership.conf
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../guest/reliability.sh
. /lab/guest/reliability.sh

require "converged: eth0 active, wlan0 associated, DHCPv4 and DHCPv6" 90 converged_laptop
check "primary is eth0" 5 bash -c '[ "$(cat /sys/class/net/bond0/bonding/primary)" = eth0 ]'
ip addr add 192.168.78.50/24 dev bond0
note "a hand-added 192.168.78.50/24; new ADDRS, ROUTES, no PRIMARY"
set_conf <<'CONF'
bond0SLAVES='eth* wl*'
bond0ADDRS='192.168.77.3/24 fd77:1::3/64'
bond0ROUTES='"10.98.0.0/16 via 192.168.77.1"'
CONF
t=$(now)
reload_master bond0
check "the new addresses 192.168.77.3/24 and fd77:1::3/64 are on bond0" 10 bash -c '. /lab/guest/lib.sh; has_addr bond0 " inet 192\.168\.77\.3/24" && has_addr bond0 " inet6 fd77:1::3/64"'
check "the old addresses 192.168.77.2 and fd77:1::2 are gone" 5 bash -c '. /lab/guest/lib.sh; no_addr bond0 " inet 192\.168\.77\.2/" && no_addr bond0 " inet6 fd77:1::2/"'
check "the new route 10.98.0.0/16 is there" 5 has_route 10.98.0.0/16
check "the old routes 10.99.0.0/16 and fd99::/48 are gone" 5 bash -c '. /lab/guest/lib.sh; no_route 10.99.0.0/16 && no_route6 fd99::/48'
check "the primary is cleared" 5 no_primary bond0
measure "reload to new addresses, routes, no primary" "$(since "$t")"
check "the hand-added 192.168.78.50/24 stays" 2 has_addr bond0 ' inet 192\.168\.78\.50/24'
check "the DHCPv4 lease stays" 2 has_dhcp4 bond0
check "IPv4 ping to the gateway" 15 pings "$GW4"
check "bond-up -n bond0: nothing to do" 10 nothing_to_do bond0
check "no error logged by the product this boot" 1 no_product_errors
