#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# 43. Users' own DHCP client files (issue 15, lab/corpus/), one after the other on one
# boot, with the units as bond-up starts them (sandboxed): the seed's dhclient.conf
# and dhcp6c.conf verbatim (the image's: every scenario runs them; here what
# dhclient makes of the page's NO-BREAK SPACE is recorded), Debian's default
# dhclient.conf (isc-dhcp-client's own, kept by the image build) with an exit hook in
# /etc/dhcp/dhclient-exit-hooks.d/ that writes the offered NTP servers under /etc
# and /run, and dhcpcd with its default hooks (resolv.conf; timesyncd, once the user
# turns on `option ntp_servers`; the hostname is not set: ProtectHostname, and the
# host has one), and resolvconf installed (dhclient-script hands it the DNS servers;
# bond-down's release takes them back). Since issue 17.3 the DNS part goes through
# bond-hotplug's hooks (record bond0.dhcp; dhcpcd's 20-resolv.conf is off on our
# masters), the rest of the scripts and hooks as before.
# lab-devices: eth0
# lab-config: laptop.conf
# lab-timeout: 540
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../guest/reliability.sh
. /lab/guest/reliability.sh

D4=bond-dhcp4@bond0.service
D6=bond-dhcp6@bond0.service

note "1. the seed's dhclient.conf and dhcp6c.conf (the image's, verbatim)"
require "seed: DHCPv4 lease on bond0 (dhclient)" 120 has_dhcp4 bond0
check "seed: DHCPv6 address on bond0 (dhcp6c with the seed's file: profile before id-assoc, keyinfo)" 90 has_dhcp6 bond0
nbsp=$(journalctl -b --no-pager -o cat -u "$D4" | grep -c 'line 8: semicolon expected' || true)
note "seed: dhclient on the page's NO-BREAK SPACE before ';' (line 8): $nbsp parse error line(s) in the journal"
if grep -q 'client provides name: laptop' "$LAB_OUT/dnsmasq.log"; then hn=sent; else hn="not sent"; fi
note "seed: the host-name \"laptop\" of line 9 is $hn (dnsmasq.log)"
if grep -qi '00:02:00:02:2e:2d:01:bd:c3:92:9a:44:2a:c4' "$LAB_OUT/dnsmasq.log"; then cid=sent; else cid="not sent"; fi
note "seed: the client identifier of line 8 is $cid (dnsmasq.log)"
check "seed: $D4 and $D6 running" 10 bash -c "systemctl is-active --quiet $D4 && systemctl is-active --quiet $D6"

note "2. Debian's default dhclient.conf, an exit hook writing NTP servers under /etc and /run"
install -m 0644 /usr/local/share/lab/debian/dhclient.conf /etc/dhcp/dhclient.conf
install -D -m 0644 "$LAB/corpus/users/dhclient-exit-hook-ntp" /etc/dhcp/dhclient-exit-hooks.d/lab-ntp
dnsmasq_stop
ip netns exec "$LAN_NS" dnsmasq --conf-file="$LAB/guest/dnsmasq.conf" --pid-file="$LAB_RUN/dnsmasq.pid" \
	--dhcp-leasefile="$LAB_RUN/dnsmasq.leases" --log-facility="$LAB_OUT/dnsmasq.log" \
	--dhcp-option=option:dns-server,10.77.0.1 --dhcp-option=option:domain-name,lab.test \
	--dhcp-option=option:ntp-server,10.77.0.1
wait_for 10 dnsmasq_running
acks0=$(grep -c 'DHCPACK' "$LAB_OUT/dnsmasq.log" || true)
systemctl restart "$D4"
acked() { [ "$(grep -c 'DHCPACK' "$LAB_OUT/dnsmasq.log" || true)" -gt "$acks0" ] || { echo "no new DHCPACK"; return 1; }; }
check "debian: a new lease with Debian's dhclient.conf" 60 acked
check "debian: DHCPv4 address on bond0" 30 has_dhcp4 bond0
resolv_has() { grep -qx "$1" /etc/resolv.conf || { echo "resolv.conf: $(tr '\n' '|' </etc/resolv.conf)"; return 1; }; }
check "debian: the lease's DNS server is in /etc/resolv.conf (dhclient-script -> our enter hook -> bond-hotplug --dns-update, issue 17.3)" 20 resolv_has "nameserver 10.77.0.1"
file_is() { [ "$(cat "$1" 2>/dev/null)" = "$2" ] || { echo "$1: $(cat "$1" 2>&1 | head -n 2)"; return 1; }; }
check "debian: the exit hook wrote /etc/ntpsec/ntp.d/dhcp.conf" 20 file_is /etc/ntpsec/ntp.d/dhcp.conf "server 10.77.0.1 iburst"
check "debian: the exit hook wrote /run/ntpsec/ntp.conf.dhcp" 5 file_is /run/ntpsec/ntp.conf.dhcp "server 10.77.0.1 iburst"
hook_errs=$(journalctl -b --no-pager -o cat -u "$D4" | grep -iE 'read-only file system|permission denied|operation not permitted' || true)
[ -z "$hook_errs" ] || note "debian: sandbox errors: $(printf '%s' "$hook_errs" | sort -u | tr '\n' '|')"
expect_eq "debian: no sandbox error from dhclient-script or the hook" "$(printf '%s' "$hook_errs" | grep -c . || true) lines" "0 lines"

# Where a hook may write: the mount options of / and /run as dhclient sees them.
pid=$(systemctl show -p MainPID --value "$D4")
note "debian: in the unit's mount namespace: / $(nsenter -t "$pid" -m findmnt -no OPTIONS / 2>&1 | cut -d, -f1), /run $(nsenter -t "$pid" -m findmnt -no OPTIONS /run 2>&1 | cut -d, -f1), /run/systemd $(nsenter -t "$pid" -m findmnt -no OPTIONS -T /run/systemd 2>&1 | cut -d, -f1)"

note "3. dhcpcd with its default hooks (and NTP servers asked for: Debian's dhcpcd.conf has '#option ntp_servers', a user turns it on)"
rm -f /etc/dhcp/dhclient-exit-hooks.d/lab-ntp
grep -qx '#option ntp_servers' /etc/dhcpcd.conf && echo 'option ntp_servers' >>/etc/dhcpcd.conf
set_conf <<EOF
$(cat "$LAB/scenarios/conf/laptop.conf")
bond0DHCP_CLIENT='dhcpcd'
EOF
: >/etc/resolv.conf
host0=$(hostname)
rc=0
bond-up bond0 >"$LAB_RUN/up-dhcpcd.out" 2>&1 || rc=$?
expect_eq "dhcpcd: bond-up restarts $D4 with dhcpcd" "exit $rc" "exit 0"
runs_dhcpcd() { systemctl show -p ExecStart --value "$D4" | grep -q '/dhcpcd ' || { systemctl show -p ExecStart --value "$D4"; return 1; }; }
check "dhcpcd: $D4 runs dhcpcd" 30 runs_dhcpcd
check "dhcpcd: DHCPv4 address on bond0" 60 has_dhcp4 bond0
check "dhcpcd: the lease's DNS server is in /etc/resolv.conf (our 21-bond-hotplug hook; 20-resolv.conf off with --nohook, issue 17.3)" 30 resolv_has "nameserver 10.77.0.1"
ts=/run/systemd/timesyncd.conf.d/01-dhcpcd.ipv4.bond0.conf
ts_has() { grep -qx 'NTP=10.77.0.1' "$ts" 2>/dev/null || { echo "$ts: $(cat "$ts" 2>&1 | tr '\n' '|')"; return 1; }; }
check "dhcpcd: its 64-timesyncd.conf hook wrote $ts" 20 ts_has
expect_eq "dhcpcd: the host keeps its name (ProtectHostname; 30-hostname sets none over a real one)" "$(hostname)" "$host0"
errs=$(journalctl -b --no-pager -o cat -u "$D4" | grep -iE 'read-only file system|permission denied|operation not permitted' || true)
[ -z "$errs" ] || note "dhcpcd: sandbox errors: $(printf '%s' "$errs" | sort -u | tr '\n' '|')"

note "4. resolvconf installed, dhclient with Debian's dhclient.conf: dhclient-script hands the DNS servers to resolvconf"
t4=$(date +%s)
if ! dpkg -i /usr/local/share/lab/debs/*.deb >"$LAB_RUN/resolvconf-install.out" 2>&1; then
	fail "resolvconf: dpkg -i of the image's kept packages" "$(tail -n 3 "$LAB_RUN/resolvconf-install.out" | tr '\n' '|')"
fi
systemctl start resolvconf.service
set_conf <"$LAB/scenarios/conf/laptop.conf"
rc=0
bond-up bond0 >"$LAB_RUN/up-resolvconf.out" 2>&1 || rc=$?
expect_eq "resolvconf: bond-up restarts $D4 with dhclient" "exit $rc" "exit 0"
runs_dhclient() { systemctl show -p ExecStart --value "$D4" | grep -q '/dhclient ' || { systemctl show -p ExecStart --value "$D4"; return 1; }; }
check "resolvconf: $D4 runs dhclient" 30 runs_dhclient
check "resolvconf: DHCPv4 address on bond0" 60 has_dhcp4 bond0
# The record is bond-hotplug's, one per protocol (issue 17.3): bond0.dhcp, not the
# bond0.dhclient of resolvconf's own dhclient hook, whose make_resolv_conf ours replaces.
rec=/run/resolvconf/interface/bond0.dhcp
rec_has() { grep -qx 'nameserver 10.77.0.1' "$rec" 2>/dev/null || { echo "$rec: $(cat "$rec" 2>&1 | tr '\n' '|')"; return 1; }; }
check "resolvconf: the lease reached resolvconf as bond0's DHCPv4 record ($rec)" 30 rec_has
check "resolvconf: no record of resolvconf's own dhclient hook" 5 bash -c "[ ! -e /run/resolvconf/interface/bond0.dhclient ]"
linked() { [ "$(readlink -f /etc/resolv.conf)" = /run/resolvconf/resolv.conf ] || { echo "/etc/resolv.conf -> $(readlink -f /etc/resolv.conf)"; return 1; }; }
check "resolvconf: /etc/resolv.conf is resolvconf's" 5 linked
check "resolvconf: /etc/resolv.conf names the lease's DNS server" 20 resolv_has "nameserver 10.77.0.1"
errs=$(journalctl -b --no-pager -o cat -u "$D4" --since "@$t4" | grep -iE 'read-only file system|permission denied|operation not permitted' || true)
[ -z "$errs" ] || note "resolvconf: sandbox errors: $(printf '%s' "$errs" | sort -u | tr '\n' '|')"
expect_eq "resolvconf: no sandbox error from dhclient-script or resolvconf" "$(printf '%s' "$errs" | grep -c . || true) lines" "0 lines"
rc=0
bond-down bond0 >"$LAB_RUN/down-resolvconf.out" 2>&1 || rc=$?
expect_eq "resolvconf: bond-down" "exit $rc" "exit 0"
gone() { [ ! -e "$rec" ] || { echo "$rec: $(tr '\n' '|' <"$rec")"; return 1; }; }
check "resolvconf: the release took bond0's record back" 20 gone
