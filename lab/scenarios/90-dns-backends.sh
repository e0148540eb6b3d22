#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# 90. DNS from the leases handed to the system the way it expects (issue 17.3), on
# one boot, the resolver managers one after the other as a user installs them:
#   0. openresolv, installed before the boot (90-dns-backends.early): the lease at
#      boot reaches it although nothing made its /run/resolvconf (bond-up makes it
#      before the DHCP units start); one record per protocol (bond0.dhcp,
#      bond0.dhcp6);
#   1. none: an /etc/resolv.conf of our own (written atomically), the user's file
#      back, byte for byte, after bond-down;
#   2. Debian's resolvconf: the same records as openresolv's;
# (systemd-resolved, which conflicts with both: scenario 91, on a boot of its own);
# also 1b: dhcpcd for both protocols (its own 20-resolv.conf hook off), at home.
# Each time: the lan's name server answers a name only it knows, asked by its short
# name (the lease's search domain); the DHCPv4 and DHCPv6 leases' servers are merged
# (neither client overwrites the other); after a move to the café (cable out, the
# Wi-Fi there: guest/dns.sh to_cafe) the café's server answers a name only it knows
# and home's servers and domain are gone from the backend; stopping the DHCPv6
# client leaves DHCPv4's server; nothing of ours is left after bond-down. dhclient
# runs both protocols (dns.conf): with the seed's dhcp6c.conf, dhcp6c hands its DNS
# to no script.
# lab-devices: eth0
# lab-config: dns.conf
# lab-timeout: 1080
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../guest/dns.sh
. /lab/guest/dns.sh

require "boot: DHCPv4 lease on bond0" 120 has_dhcp4 bond0
require "boot: DHCPv6 lease on bond0 (dhclient -6)" 90 has_dhcp6 bond0
T0=0

in_openresolv() { resolvconf -i 2>/dev/null | tr ' ' '\n' | grep -qx "$1" || { echo "resolvconf -i: $(resolvconf -i 2>&1)"; return 1; }; }
records() { for f in /run/resolvconf/interface/* /run/resolvconf/interfaces/*; do [ -e "$f" ] && printf '%s: %s; ' "$f" "$(tr '\n' '|' <"$f")"; done; }
not_in_openresolv() { ! resolvconf -i 2>/dev/null | tr ' ' '\n' | grep -q "^bond0" || { echo "resolvconf -i: $(resolvconf -i 2>&1); $(records)"; return 1; }; }
both_records() { in_openresolv bond0.dhcp && in_openresolv bond0.dhcp6; }
# record_names KEY WHAT... / record_lacks KEY WHAT...: openresolv's record KEY (its
# -l prints it) names / lacks each of WHAT (resolv_names).
record_names() { local k=$1; shift; resolvconf -l "$k" >"$LAB_RUN/record.$k" 2>&1; resolv_names "$LAB_RUN/record.$k" "$@"; }
record_lacks() { local k=$1; shift; resolvconf -l "$k" >"$LAB_RUN/record.$k" 2>&1; resolv_lacks "$LAB_RUN/record.$k" "$@"; }
# at_cafe FILE: FILE (resolv.conf) names the café's servers and domain, none of home's.
at_cafe() { resolv_names "$1" "$CAFE_GW4" "$CAFE_GW6" "search cafe.test" && resolv_lacks "$1" "$GW4" "$GW6" "search lab.test"; }
rc_clean() { file_lacks /etc/resolv.conf "nameserver $GW4" && file_lacks /etc/resolv.conf "nameserver $CAFE_GW4" || { echo "records: $(records)"; return 1; }; }

note "0. openresolv installed at boot, /run/resolvconf made by nothing else: records bond0.dhcp and bond0.dhcp6 from the boot's leases"
check "openresolv at boot: bond-up made /run/resolvconf before a DHCP unit started (journal)" 10 \
	journal_has 'bond-dhcp[46]@bond0.service: made /run/resolvconf'
check "openresolv at boot: records bond0.dhcp and bond0.dhcp6" 30 both_records
check "openresolv at boot: bond0.dhcp names the DHCPv4 server and lab.test" 10 record_names bond0.dhcp "$GW4" "search lab.test"
check "openresolv at boot: /etc/resolv.conf names both servers" 20 resolv_names /etc/resolv.conf "$GW4" "$GW6"
check "openresolv at boot: home.lab.test by its short name" 30 resolves home "$HOME_ADDR"
check "openresolv at boot: the backend is openresolv" 5 backend openresolv
no_dns_failure() { ! journalctl -b --no-pager -o cat | grep -E 'Failed to create needed directory|DNS may not reach'; }
check "openresolv at boot: no DNS failure in the journal" 1 no_dns_failure
to_cafe "openresolv"
cafe_records() {
	record_names bond0.dhcp "$CAFE_GW4" "search cafe.test" && record_lacks bond0.dhcp "$GW4" "search lab.test" &&
		record_names bond0.dhcp6 "$CAFE_GW6" && record_lacks bond0.dhcp6 "$GW6"
}
check "openresolv at the café: the records name the café's servers, not home's" 30 cafe_records
check "openresolv at the café: /etc/resolv.conf names the café's servers, not home's" 10 at_cafe /etc/resolv.conf
down "openresolv"
check "openresolv: bond-down deleted both records" 10 not_in_openresolv
check "openresolv: /etc/resolv.conf names no lan or café server" 10 rc_clean
check "openresolv: nothing of ours left" 5 no_ours_left
back_home
dpkg --purge openresolv >"$LAB_RUN/openresolv-purge.out" 2>&1 ||
	fail "openresolv: dpkg --purge" "$(tail -n 3 "$LAB_RUN/openresolv-purge.out" | tr '\n' '|')"

note "1. neither resolved nor resolvconf: our own /etc/resolv.conf, the user's back after bond-down"
printf '# the user'"'"'s own resolv.conf\nnameserver 192.0.2.53\n' >/etc/resolv.conf
cp /etc/resolv.conf "$LAB_RUN/user-resolv.conf"
T0=$(date +%s)
up "none"
check "none: the DHCPv4 and DHCPv6 servers merged in /etc/resolv.conf" 30 resolv_names /etc/resolv.conf "$GW4" "$GW6" "search lab.test"
check "none: the backend is resolv.conf" 5 backend resolv.conf
to_cafe "none"
check "none at the café: /etc/resolv.conf names the café's servers, not home's" 10 at_cafe /etc/resolv.conf
systemctl stop "$D6"
v4_only() { resolv_lacks /etc/resolv.conf "$CAFE_GW6" && resolv_names /etc/resolv.conf "$CAFE_GW4"; }
check "none at the café: $D6 stopped: its server gone, DHCPv4's kept" 10 v4_only
check "none at the café: still resolves" 10 resolves menu "$CAFE_ADDR"
down "none"
expect_eq "none: the user's resolv.conf is back after bond-down" "$(cmp /etc/resolv.conf "$LAB_RUN/user-resolv.conf" 2>&1 && echo same)" "same"
check "none: nothing of ours left" 5 no_ours_left
back_home

note "1b. dhcpcd for both protocols (its 20-resolv.conf off on our master, our hook on), at home: the same file"
set_conf <<CONF
$(cat "$LAB/scenarios/conf/laptop.conf")
bond0DHCP_CLIENT='dhcpcd'
bond0DHCP6_CLIENT='dhcpcd'
CONF
T0=$(date +%s)
up "dhcpcd"
check "dhcpcd: the DHCPv4 and DHCPv6 servers merged in /etc/resolv.conf" 30 resolv_names /etc/resolv.conf "$GW4" "$GW6" "search lab.test"
check "dhcpcd: the backend is resolv.conf" 5 backend resolv.conf
check "dhcpcd: 20-resolv.conf wrote nothing (no /run/dhcpcd/hook-state/resolv.conf/bond0.*)" 5 bash -c \
	"! ls /run/dhcpcd/hook-state/resolv.conf/bond0.* >/dev/null 2>&1"
down "dhcpcd"
expect_eq "dhcpcd: the user's resolv.conf is back after bond-down" "$(cmp /etc/resolv.conf "$LAB_RUN/user-resolv.conf" 2>&1 && echo same)" "same"
check "dhcpcd: nothing of ours left" 5 no_ours_left
set_conf <"$LAB/scenarios/conf/dns.conf"

note "2. Debian's resolvconf: records bond0.dhcp and bond0.dhcp6"
dpkg -i /usr/local/share/lab/debs/*.deb >"$LAB_RUN/resolvconf-install.out" 2>&1 ||
	fail "resolvconf: dpkg -i" "$(tail -n 3 "$LAB_RUN/resolvconf-install.out" | tr '\n' '|')"
systemctl start resolvconf.service
T0=$(date +%s)
up "resolvconf"
R=/run/resolvconf/interface
check "resolvconf: record bond0.dhcp names the DHCPv4 server" 20 resolv_names "$R/bond0.dhcp" "$GW4"
check "resolvconf: record bond0.dhcp6 names the DHCPv6 server" 20 resolv_names "$R/bond0.dhcp6" "$GW6"
check "resolvconf: no record of dhclient's own hook (bond0.dhclient)" 5 gone "$R/bond0.dhclient"
check "resolvconf: the backend is resolvconf" 5 backend resolvconf
to_cafe "resolvconf"
rc_cafe() {
	resolv_names "$R/bond0.dhcp" "$CAFE_GW4" "search cafe.test" && resolv_lacks "$R/bond0.dhcp" "$GW4" "search lab.test" &&
		resolv_names "$R/bond0.dhcp6" "$CAFE_GW6" && resolv_lacks "$R/bond0.dhcp6" "$GW6"
}
check "resolvconf at the café: the records name the café's servers, not home's" 30 rc_cafe
check "resolvconf at the café: /etc/resolv.conf names the café's servers, not home's" 10 at_cafe /etc/resolv.conf
systemctl stop "$D6"
check "resolvconf at the café: $D6 stopped: bond0.dhcp6 deleted, bond0.dhcp kept" 10 bash -c "[ ! -e $R/bond0.dhcp6 ] && [ -e $R/bond0.dhcp ]"
down "resolvconf"
check "resolvconf: bond-down deleted bond0.dhcp" 10 gone "$R/bond0.dhcp"
check "resolvconf: /etc/resolv.conf names no lan or café server" 10 rc_clean
check "resolvconf: nothing of ours left" 5 no_ours_left
back_home
dpkg --purge resolvconf >"$LAB_RUN/resolvconf-purge.out" 2>&1 ||
	fail "resolvconf: dpkg --purge" "$(tail -n 3 "$LAB_RUN/resolvconf-purge.out" | tr '\n' '|')"
