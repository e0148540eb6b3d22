#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# 44. DHCPv6 prefix delegation with dhcp6c (issue 15, lab/corpus/users/dhcp6c-pd.conf):
# the lan's server delegates a /56 (ISC dhcpd -6: dnsmasq cannot delegate prefixes),
# and the sandboxed bond-dhcp6@bond0 gives a /64 of it to another interface of the
# host (lan0), next to its own address on bond0.
# lab-devices: eth0
# lab-config: laptop.conf
# lab-timeout: 420
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../guest/reliability.sh
. /lab/guest/reliability.sh

D6=bond-dhcp6@bond0.service
require "DHCPv4 lease on bond0 (the laptop is up)" 120 has_dhcp4 bond0
ip link add lan0 type dummy
ip link set lan0 up

note "the lan's DHCPv6 server: ISC dhcpd -6 with a prefix pool (dnsmasq stopped)"
dnsmasq_stop
cat >"$LAB_RUN/dhcpd6.conf" <<EOC
default-lease-time 3600;
preferred-lifetime 3600;
subnet6 fd77::/64 {
	range6 fd77::100 fd77::1ff;
	prefix6 fd77:100:: fd77:100:0:ff00:: /56;
}
EOC
: >"$LAB_RUN/dhcpd6.leases"
ip netns exec "$LAN_NS" dhcpd -6 -d -cf "$LAB_RUN/dhcpd6.conf" -lf "$LAB_RUN/dhcpd6.leases" \
	-pf "$LAB_RUN/dhcpd6.pid" "$LAN_BR" >"$LAB_OUT/dhcpd6.log" 2>&1 &
dhcpd_up() { grep -q 'Server starting service' "$LAB_OUT/dhcpd6.log" || { tail -n 3 "$LAB_OUT/dhcpd6.log"; return 1; }; }
require "dhcpd -6 serves the lan" 20 dhcpd_up

install -m 0644 "$LAB/corpus/users/dhcp6c-pd.conf" /etc/wide-dhcpv6/dhcp6c.conf
systemctl restart "$D6"
delegated() { grep -q 'Reply NA\|Sending Reply' "$LAB_OUT/dhcpd6.log" && grep -q 'prefix fd77:100:' "$LAB_RUN/dhcpd6.leases" 2>/dev/null || { tail -n 4 "$LAB_OUT/dhcpd6.log"; return 1; }; }
check "the server delegated a /56 from fd77:100::/48 (dhcpd6.leases)" 60 delegated
check "bond0 has its address from dhcpd (IA_NA)" 30 has_dhcp6 bond0
check "lan0 got a /64 of the delegated prefix (sla-id 1)" 30 has_addr lan0 ' inet6 fd77:100:0:[0-9a-f]*1:[0-9a-f:]+/64'
errs=$(journalctl -b --no-pager -o cat -u "$D6" | grep -iE 'read-only file system|permission denied|operation not permitted|failed to add' || true)
[ -z "$errs" ] || note "sandbox errors: $(printf '%s' "$errs" | sort -u | tr '\n' '|')"
expect_eq "no permission error from the sandboxed dhcp6c" "$(printf '%s' "$errs" | grep -c . || true) lines" "0 lines"
