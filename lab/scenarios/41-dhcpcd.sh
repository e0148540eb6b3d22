#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# 41. dhcpcd, the maintained DHCP client, for both DHCPv4 and DHCPv6 (two instances:
# dhcpcd -4 and dhcpcd -6 on bond0), sandboxed: the seed's MAC case (boot with only
# Wi-Fi: the lease goes to the Wi-Fi MAC), a DHCPv6 address, the wired NIC plugged
# in (failover back, the lease kept), and both leases released at bond-down
# (DHCPRELEASE for v4 and v6 at the server).
# lab-devices: wifi
# lab-config: laptop-dhcpcd.conf
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../guest/reliability.sh
. /lab/guest/reliability.sh

ipv4_lease_macs() { awk '$3 ~ /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/ { print $2 }' "$LAB_RUN/dnsmasq.leases" | sort -u; }
only_wifi_leases() {
	[ "$(ipv4_lease_macs)" = "$(mac_of wlan0)" ] || { echo "IPv4 lease MACs: $(ipv4_lease_macs | tr '\n' ' ')wlan0: $(mac_of wlan0)"; return 1; }
}
runs_dhcpcd() { systemctl show -p ExecStart "$1" | grep -q '/dhcpcd ' || { systemctl show -p ExecStart "$1"; return 1; }; }

check "supplicant unit runs on wlan0" 60 unit_active bond-wpa@wlan0.service
check "wlan0 associated" 60 associated wlan0
check "active slave is wlan0" 60 is_active wlan0
check "bond-dhcp4@bond0 runs dhcpcd" 30 runs_dhcpcd bond-dhcp4@bond0.service
check "bond-dhcp6@bond0 runs dhcpcd" 30 runs_dhcpcd bond-dhcp6@bond0.service
check "DHCPv4 lease over Wi-Fi (dhcpcd)" 60 has_dhcp4 bond0
measure "boot: kernel start to DHCPv4 address over Wi-Fi (dhcpcd)" "$(uptime_s)"
check "dnsmasq's lease shows the Wi-Fi MAC" 10 has_lease_for "$(mac_of wlan0)"
check "no IPv4 lease went to any other MAC" 5 only_wifi_leases
check "DHCPv6 address on bond0 (dhcpcd)" 60 has_dhcp6 bond0
measure "boot: kernel start to DHCPv6 address (dhcpcd)" "$(uptime_s)"
check "IPv4 ping to the gateway" 15 pings "$GW4"
for u in bond-dhcp4@bond0.service bond-dhcp6@bond0.service; do
	systemd-analyze security --no-pager "$u" >"$LAB_OUT/security-$u.txt" 2>&1 || true
	e=$(awk '/Overall exposure level/ { print $(NF-2) }' "$LAB_OUT/security-$u.txt")
	note "exposure $u (dhcpcd): ${e:-none}"
	check "$u (dhcpcd) exposure ${e:-?} <= 4.0" 1 awk -v a="${e:-99}" 'BEGIN { exit !(a + 0 <= 4.0) }'
done

ip4=$(ipv4_of bond0)
plug_wired eth0
check "eth0 plugged: active slave is eth0" 30 is_active eth0
sleep 3
check "the IPv4 address is kept across the failover" 5 has_addr bond0 " inet ${ip4} "

releases0=$(grep -c 'DHCPRELEASE' "$LAB_OUT/dnsmasq.log" || true)
rc=0
bond-down bond0 >"$LAB_RUN/down.out" 2>&1 || rc=$?
expect_eq "bond-down exits 0" "exit $rc" "exit 0"
released2() { [ "$(grep -c 'DHCPRELEASE' "$LAB_OUT/dnsmasq.log" || true)" -ge $((releases0 + 2)) ] || { echo "DHCPRELEASEs: $(grep 'DHCPRELEASE' "$LAB_OUT/dnsmasq.log" | tail -n 3 | tr '\n' '|')"; return 1; }; }
check "bond-down: dhcpcd released the DHCPv4 and DHCPv6 leases (2 DHCPRELEASEs at the server)" 15 released2
check "no DHCP unit left" 15 no_dhcp_units
perm=$(journalctl -b --no-pager -o short-monotonic -u 'bond-*' 2>/dev/null |
	grep -iE 'permission denied|read-only file system|operation not permitted|bad system call|SIGSYS|status=31' || true)
[ -z "$perm" ] || note "permission errors: $perm"
expect_eq "no permission error from the sandboxed dhcpcd in the journal" "$(printf '%s' "$perm" | grep -c . || true) lines" "0 lines"
