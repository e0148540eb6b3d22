#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# 91. DNS from the leases with systemd-resolved (issue 17.3; the other resolver
# managers: scenario 90, whose helpers this one repeats):
#   4. systemd-resolved: per-link servers and search domain over D-Bus, reverted
#      when the clients stop; its resolvconf shim (a link to resolvectl, which
#      ignores the record's protocol: systemd issue 25032) is never used as
#      resolvconf: with resolved stopped, our own resolv.conf again.
# Each time: the lan's name server answers a name only it knows, asked by its short
# name (the lease's search domain); the DHCPv4 and DHCPv6 leases' servers are merged
# (neither client overwrites the other); stopping the DHCPv6 client leaves DHCPv4's
# server; nothing of ours is left after bond-down. dhclient runs both protocols
# (dns.conf): with the seed's dhcp6c.conf, dhcp6c hands its DNS to no script.
# lab-devices: eth0
# lab-config: dns.conf
# lab-timeout: 600
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../guest/reliability.sh
. /lab/guest/reliability.sh

D4=bond-dhcp4@bond0.service
D6=bond-dhcp6@bond0.service
NAME=home.lab.test
ADDR=10.77.0.10

require "boot: DHCPv4 lease on bond0" 120 has_dhcp4 bond0
require "boot: DHCPv6 lease on bond0 (dhclient -6)" 90 has_dhcp6 bond0

note "the lan's dnsmasq answers DNS on $GW4 and [$GW6]: $NAME (only it knows it), both leases name it and the search domain lab.test"
sed 's/^port=0$/port=53/' "$LAB/guest/dnsmasq.conf" >"$LAB_RUN/dnsmasq-dns.conf"
dnsmasq_stop
ip netns exec "$LAN_NS" dnsmasq --conf-file="$LAB_RUN/dnsmasq-dns.conf" --pid-file="$LAB_RUN/dnsmasq.pid" \
	--dhcp-leasefile="$LAB_RUN/dnsmasq.leases" --log-facility="$LAB_OUT/dnsmasq.log" \
	--host-record="$NAME,$ADDR" \
	--dhcp-option=option:dns-server,"$GW4" --dhcp-option=option:domain-name,lab.test \
	--dhcp-option=option6:dns-server,"[$GW6]" --dhcp-option=option6:domain-search,lab.test
wait_for 10 dnsmasq_running

# resolves: the short name through the system's resolver (nsswitch, resolv.conf).
resolves() {
	local got
	# No bound on a try, as in scenario 90: resolved's first answer (its probes of
	# the new server) took longer than 1 s a try for 30 s under load (run
	# 20261207-130111-*): the PASS time is an upper bound.
	got=$(getent hosts home | awk '{ print $1 }') || true
	[ "$got" = "$ADDR" ] || { echo "getent hosts home: '$got'; resolv.conf: $(tr '\n' '|' </etc/resolv.conf 2>&1)"; return 1; }
}
not_resolves() { ! getent hosts home >/dev/null || { echo "still resolves: $(getent hosts home)"; return 1; }; }
ours_left() {
	local f left=""
	for f in /run/bond-hotplug/bond-dhcp4-bond0/dns /run/bond-hotplug/bond-dhcp6-bond0/dns /etc/resolv.conf.bond-hotplug-saved /etc/resolv.conf.bond-hotplug-new; do
		[ ! -e "$f" ] || left="$left $f"
	done
	if grep -q bond-hotplug /etc/resolv.conf 2>/dev/null; then left="$left /etc/resolv.conf(ours)"; fi
	[ -z "$left" ] || { echo "left:$left"; return 1; }
}
no_ours_left() { ours_left; }
file_has() { grep -qx -- "$2" "$1" 2>/dev/null || { echo "$1: $(tr '\n' '|' <"$1" 2>&1)"; return 1; }; }
file_lacks() { ! grep -qx -- "$2" "$1" 2>/dev/null || { echo "$1: $(tr '\n' '|' <"$1" 2>&1)"; return 1; }; }
gone() { [ ! -e "$1" ] || { echo "$1: $(tr '\n' '|' <"$1" 2>&1)"; return 1; }; }
down() {
	local rc=0
	bond-down bond0 >"$LAB_RUN/down.out" 2>&1 || rc=$?
	expect_eq "$1: bond-down" "exit $rc" "exit 0"
}
# up PART: bond-up, then the figures: bond-up -> DHCPv4 address -> name resolvable.
up() {
	local rc=0
	bond-up bond0 >"$LAB_RUN/up.out" 2>&1 || rc=$?
	expect_eq "$1: bond-up" "exit $rc" "exit 0"
	check "$1: DHCPv4 address (from bond-up)" 60 has_dhcp4 bond0
	check "$1: $NAME by its short name through the lan's name server (from the DHCPv4 address)" 30 resolves
	check "$1: DHCPv6 address" 60 has_dhcp6 bond0
}
# backend PART WHICH: the journal of the DHCP units names the backend used.
# By the line's identifier, not its unit: --dns-update is a short-lived process that
# journald may fail to attribute to the unit (it reads the sender's cgroup after the
# sender has exited: the check failed so once, with the line in the journal).
backend() {
	journalctl -b --no-pager -o cat -t bond-hotplug --since "@$T0" | grep -q "DNS via $2 " ||
		{ echo "journal: $(journalctl -b --no-pager -o cat -t bond-hotplug --since "@$T0" | grep 'DNS via' | tail -n 2 | tr '\n' '|')"; return 1; }
}

note "4. systemd-resolved: per-link DNS over D-Bus"
down "resolved (before)"
# The boot's DHCPv6 lease came before the server offered DNS (see scenario 90).
rm -f /var/lib/dhcp/dhclient6-bond-hotplug-bond0.leases
# The lab's image masks systemd-resolved (nothing else may manage the network in
# the other scenarios): unmasked first, as on a system where it was never masked.
systemctl unmask systemd-resolved.service
dpkg -i /usr/local/share/lab/debs-resolved/*.deb >"$LAB_RUN/resolved-install.out" 2>&1 ||
	fail "resolved: dpkg -i" "$(tail -n 3 "$LAB_RUN/resolved-install.out" | tr '\n' '|')"
# The package starts the service from its postinst, but dbus-daemon read the
# package's bus policy (unpacked first) before the postinst made the user
# systemd-resolve ("Unknown username" in the journal), so resolved was refused its
# bus name and serves without it. What a user does then (or a reboot): dbus reloads
# its policy, resolved is restarted.
systemctl daemon-reload
systemctl reload dbus.service || true
systemctl restart systemd-resolved.service || true
check "resolved: systemd-resolved runs" 30 unit_active systemd-resolved.service
check "resolved: /etc/resolv.conf is resolved's stub" 10 bash -c "readlink /etc/resolv.conf | grep -q stub-resolv.conf"
link_dns() { resolvectl dns bond0 2>&1; }
link_has() { link_dns | grep -qw -- "$1" || { echo "resolvectl dns bond0: $(link_dns)"; return 1; }; }
link_lacks() { ! link_dns | grep -qw -- "$1" || { echo "resolvectl dns bond0: $(link_dns)"; return 1; }; }
T0=$(date +%s)
up "resolved"
both_servers() { link_has "$GW4" && link_has "$GW6"; }
check "resolved: bond0's servers are DHCPv4's and DHCPv6's, merged" 20 both_servers
check "resolved: bond0's search domain is lab.test" 10 bash -c "resolvectl domain bond0 | grep -qw lab.test"
check "resolved: resolvectl query $NAME" 20 bash -c "resolvectl query $NAME | grep -qw $ADDR"
check "resolved: the backend is systemd-resolved" 5 backend resolved systemd-resolved
systemctl stop "$D6"
v4_only() { link_lacks "$GW6" && link_has "$GW4"; }
check "resolved: $D6 stopped: its server gone, DHCPv4's kept (no RevertLink of the link)" 10 v4_only
systemctl stop "$D4"
check "resolved: $D4 stopped too: bond0 reverted (no server, no domain)" 10 bash -c \
	"[ -z \"\$(resolvectl dns bond0 | sed 's/^Link [0-9]* (bond0)://' | tr -d ' ')\" ] && ! resolvectl domain bond0 | grep -qw lab.test"
down "resolved"
check "resolved: no lan server anywhere in resolved" 5 bash -c "! resolvectl dns | grep -qw $GW4"
check "resolved: nothing of ours left" 5 no_ours_left
shim=$(readlink -f "$(command -v resolvconf)" 2>&1 || true)
note "resolved: resolvconf is $(command -v resolvconf || echo none) -> $shim"
if [ "${shim##*/}" = resolvectl ]; then
	note "4b. systemd's resolvconf shim with resolved stopped: not used; our own resolv.conf"
	link0=$(readlink /etc/resolv.conf || true)
	systemctl stop systemd-resolved.service
	T0=$(date +%s)
	up "shim"
	check "shim: the backend is resolv.conf" 10 backend shim resolv.conf
	check "shim: /etc/resolv.conf names the lease's server" 10 file_has /etc/resolv.conf "nameserver $GW4"
	down "shim"
	check "shim: nothing of ours left" 5 no_ours_left
	expect_eq "shim: resolved's /etc/resolv.conf link put back" "$(readlink /etc/resolv.conf || true)" "$link0"
else
	fail "resolved: resolvconf is systemd's shim (a link to resolvectl)" "$shim"
fi
