#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# 40. Every unit of ours runs sandboxed (issue 10): `systemd-analyze security`
# scores bond-up@bond0, bond-wpa@wlan0, bond-dhcp4@bond0 and bond-dhcp6@bond0 at
# exposure <= 4.0 while they run; the programs inside still do their work: no
# permission error from them in the journal, a lease released at bond-down
# (dhclient -r from ExecStop finds its pid file in the unit's runtime directory),
# and DNS works: the server's DNS server lands in /etc/resolv.conf through
# dhclient-script's hook and bond-hotplug --dns-update (which writes a temporary file
# in /etc and renames it; issue 17.3) and a name resolves.
# lab-devices: eth0 wifi
# lab-config: laptop.conf
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../guest/reliability.sh
. /lab/guest/reliability.sh

MAX=4.0
UNITS="bond-up@bond0.service bond-wpa@wlan0.service bond-dhcp4@bond0.service bond-dhcp6@bond0.service"

require "laptop converged (eth0 active, wlan0 associated, DHCPv4 and DHCPv6)" 120 converged_laptop
# exposure UNIT: the overall figure of `systemd-analyze security UNIT` ("-> Overall
# exposure level for UNIT: 3.4 OK :-)"); the full table is kept as evidence.
exposure() {
	systemd-analyze security --no-pager "$1" >"$LAB_OUT/security-$1.txt" 2>&1
	awk '/Overall exposure level/ { print $(NF-2) }' "$LAB_OUT/security-$1.txt"
}
at_most() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 <= b + 0) }' || { echo "$1 > $2"; return 1; }; }
for u in $UNITS; do
	check "$u is running" 30 unit_active "$u"
	e=$(exposure "$u")
	note "exposure $u: ${e:-none} (systemd-analyze security; table in security-$u.txt)"
	printf '%s\t%s\n' "$u" "$e" >>"$LAB_OUT/security.tsv"
	check "$u exposure ${e:-?} <= $MAX" 1 at_most "${e:-99}" "$MAX"
done

note "DNS: the DHCP server now offers a DNS server (10.77.0.1, domain lab.test), which answers"
dnsmasq_stop
ip netns exec "$LAN_NS" dnsmasq --conf-file="$LAB/guest/dnsmasq.conf" --pid-file="$LAB_RUN/dnsmasq.pid" \
	--dhcp-leasefile="$LAB_RUN/dnsmasq.leases" --log-facility="$LAB_OUT/dnsmasq.log" \
	--dhcp-option=option:dns-server,10.77.0.1 --dhcp-option=option:domain-name,lab.test
wait_for 10 dnsmasq_running
# A second dnsmasq in the lan, DNS only (the DHCP one runs with port=0).
ip netns exec "$LAN_NS" dnsmasq --port=53 --listen-address=10.77.0.1 --bind-interfaces --no-resolv \
	--no-hosts --user=root --address=/gw.lab.test/10.77.0.1 --pid-file="$LAB_RUN/dns.pid" \
	--log-facility="$LAB_OUT/dns.log"
mode0=$(stat -c %a /etc/resolv.conf)
releases0=$(grep -c 'DHCPRELEASE' "$LAB_OUT/dnsmasq.log" || true)
rc=0
bond-down bond0 >"$LAB_RUN/down.out" 2>&1 || rc=$?
expect_eq "bond-down exits 0" "exit $rc" "exit 0"
released() { [ "$(grep -c 'DHCPRELEASE' "$LAB_OUT/dnsmasq.log" || true)" -gt "$releases0" ] || { echo "no new DHCPRELEASE"; return 1; }; }
check "bond-down: the sandboxed dhclient released its lease (DHCPRELEASE at the server)" 10 released
rc=0
bond-up bond0 >"$LAB_RUN/up.out" 2>&1 || rc=$?
expect_eq "bond-up exits 0" "exit $rc" "exit 0"
require "leases again" 90 converged_laptop
resolv_has() { grep -qx "$1" /etc/resolv.conf || { echo "resolv.conf: $(tr '\n' '|' </etc/resolv.conf)"; return 1; }; }
check "/etc/resolv.conf names the DHCP server's DNS server" 30 resolv_has "nameserver 10.77.0.1"
# The offered domain name as the search list (resolv.conf(5): "domain" is the
# obsolete spelling of a one-entry "search"; the merged list of both leases is one line).
check "/etc/resolv.conf has the offered domain" 5 resolv_has "search lab.test"
expect_eq "/etc/resolv.conf keeps its mode" "$(stat -c %a /etc/resolv.conf)" "$mode0"
resolves() { getent hosts gw.lab.test | grep -q '^10\.77\.0\.1 ' || { echo "getent: $(getent hosts gw.lab.test)"; return 1; }; }
check "a name resolves through the DNS server from the lease" 10 resolves
for u in $UNITS; do check "$u is running after bond-down and bond-up" 30 unit_active "$u"; done

# permission_errors: what our units' programs logged that a sandbox would cause.
permission_errors() {
	journalctl -b --no-pager -o short-monotonic -u 'bond-*' 2>/dev/null |
		grep -iE 'permission denied|read-only file system|operation not permitted|bad system call|SIGSYS|status=31' || true
}
errs=$(permission_errors)
[ -z "$errs" ] || note "permission errors: $errs"
expect_eq "no permission error from a sandboxed program in the journal" "$(printf '%s' "$errs" | grep -c . || true) lines" "0 lines"
