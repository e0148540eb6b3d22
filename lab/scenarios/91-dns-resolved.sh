#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# 91. DNS from the leases with systemd-resolved (issue 17.3; the other resolver
# managers: scenario 90; the helpers of both: guest/dns.sh):
#   4. systemd-resolved: per-link servers and search domain over D-Bus, reverted
#      when the clients stop; its resolvconf shim (a link to resolvectl, which
#      ignores the record's protocol: systemd issue 25032) is never used as
#      resolvconf: with resolved stopped, our own resolv.conf again.
# resolved also after a move to the café (cable out, the Wi-Fi there: guest/dns.sh
# to_cafe): the café's servers and domain on bond0, home's gone.
# Each time: the lan's name server answers a name only it knows, asked by its short
# name (the lease's search domain); the DHCPv4 and DHCPv6 leases' servers are merged
# (neither client overwrites the other); stopping the DHCPv6 client leaves DHCPv4's
# server; nothing of ours is left after bond-down. dhclient runs both protocols
# (dns.conf): with the seed's dhcp6c.conf, dhcp6c hands its DNS to no script.
# lab-devices: eth0
# lab-config: dns.conf
# lab-timeout: 600
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../guest/dns.sh
. /lab/guest/dns.sh

require "boot: DHCPv4 lease on bond0" 120 has_dhcp4 bond0
require "boot: DHCPv6 lease on bond0 (dhclient -6)" 90 has_dhcp6 bond0

note "the lan's dnsmasq answers DNS on $GW4 and [$GW6]: home.lab.test (only it knows it), both leases name it and the search domain lab.test"
dns_lan_restart

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
query() { resolvectl query --cache=no "$1" | grep -qw "$2" || { resolvectl query --cache=no "$1" 2>&1 | head -n 2; return 1; }; }
check "resolved: resolvectl query home.lab.test" 20 query home.lab.test "$HOME_ADDR"
check "resolved: the backend is systemd-resolved" 5 backend systemd-resolved
to_cafe "resolved"
cafe_servers() { link_has "$CAFE_GW4" && link_has "$CAFE_GW6" && link_lacks "$GW4" && link_lacks "$GW6"; }
check "resolved at the café: bond0's servers are the café's, merged, none of home's" 20 cafe_servers
cafe_domain() { resolvectl domain bond0 | grep -qw cafe.test && ! resolvectl domain bond0 | grep -qw lab.test || { resolvectl domain bond0; return 1; }; }
check "resolved at the café: bond0's search domain is cafe.test, not lab.test" 10 cafe_domain
check "resolved at the café: resolvectl query menu.cafe.test" 20 query menu.cafe.test "$CAFE_ADDR"
no_home_name() { ! resolvectl query --cache=no home.lab.test >/dev/null 2>&1 || { resolvectl query --cache=no home.lab.test 2>&1 | head -n 2; return 1; }; }
check "resolved at the café: home.lab.test no longer resolves (uncached)" 30 no_home_name
systemctl stop "$D6"
v4_only() { link_lacks "$CAFE_GW6" && link_has "$CAFE_GW4"; }
check "resolved at the café: $D6 stopped: its server gone, DHCPv4's kept (no RevertLink of the link)" 10 v4_only
systemctl stop "$D4"
check "resolved: $D4 stopped too: bond0 reverted (no server, no domain)" 10 bash -c \
	"[ -z \"\$(resolvectl dns bond0 | sed 's/^Link [0-9]* (bond0)://' | tr -d ' ')\" ] && ! resolvectl domain bond0 | grep -qw cafe.test"
down "resolved"
check "resolved: no lan or café server anywhere in resolved" 5 bash -c "! resolvectl dns | grep -qwE '$GW4|$CAFE_GW4'"
check "resolved: nothing of ours left" 5 no_ours_left
back_home
shim=$(readlink -f "$(command -v resolvconf)" 2>&1 || true)
note "resolved: resolvconf is $(command -v resolvconf || echo none) -> $shim"
if [ "${shim##*/}" = resolvectl ]; then
	note "4b. systemd's resolvconf shim with resolved stopped: not used; our own resolv.conf"
	link0=$(readlink /etc/resolv.conf || true)
	systemctl stop systemd-resolved.service
	T0=$(date +%s)
	up "shim"
	check "shim: the backend is resolv.conf" 10 backend resolv.conf
	check "shim: /etc/resolv.conf names the lease's server" 10 file_has /etc/resolv.conf "nameserver $GW4"
	down "shim"
	check "shim: nothing of ours left" 5 no_ours_left
	expect_eq "shim: resolved's /etc/resolv.conf link put back" "$(readlink /etc/resolv.conf || true)" "$link0"
else
	fail "resolved: resolvconf is systemd's shim (a link to resolvectl)" "$shim"
fi
