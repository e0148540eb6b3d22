#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# 50. A crashed DHCP client is restarted and gets its lease again (issue 11.4), from
# bond0's own lease file (11.8). dhclient (DHCPv4) killed with SIGSEGV, then with
# SIGKILL, and dhcp6c (DHCPv6) with SIGKILL: each time systemd restarts the unit
# (Restart=on-failure: the supervisor reports the crash as exit 1, which
# on-abnormal ignored, and which counted as success while every unit command
# carried systemd's ignore-failure flag), the journal shows the restart, no release
# is sent (systemd skips ExecStop after a failed main process; --release would skip
# it too), the address stays, and dnsmasq answers the new client.
# Then bond-down still releases (DHCPRELEASE): a stop is not a crash.
# lab-devices: eth0
# lab-config: dhcp-restart.conf
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../guest/reliability.sh
. /lab/guest/reliability.sh

LEASES=/var/lib/dhcp/dhclient-bond-hotplug-bond0.leases
leased() { is_active eth0 && has_dhcp4 bond0 && has_dhcp6 bond0; }
nrestarts() { systemctl show -p NRestarts --value "$1"; }
count() { grep -c -- "$1" "$LAB_OUT/dnsmasq.log" 2>/dev/null || true; }
child_of() { pgrep -x -P "$(systemctl show -p MainPID --value "$1")" "$2"; }
restarted() { [ "$(nrestarts "$1")" -gt "$2" ] && unit_active "$1" && child_of "$1" "$3" >/dev/null; }
# restart_logged UNIT N: systemd's own journal lines for UNIT (not ours, which quote
# the pattern) show the N-th scheduled restart.
restart_logged() { journalctl -b --no-pager -o cat -u "$1" | grep -q "Scheduled restart job, restart counter is at $2\." || { echo "no restart $2 of $1"; return 1; }; }
more_than() { [ "$(count "$1")" -gt "$2" ] || { echo "$1: $(count "$1") <= $2"; return 1; }; }

require "bond0 on eth0 with DHCPv4 and DHCPv6 leases" 90 leased
ip4=$(ipv4_of bond0)
check "dhclient keeps bond0's lease in its own file ($LEASES)" 10 grep -q "fixed-address ${ip4%/*};" "$LEASES"
check "no lease in dhclient's shared default file" 1 bash -c '! grep -qs "fixed-address" /var/lib/dhcp/dhclient.leases'

# crash SIGNAL UNIT PROGRAM ANSWER: kill the unit's client, expect a restart and a
# new answer (ANSWER: dnsmasq's log line for it) without a release.
crash() {
	local sig=$1 unit=$2 prog=$3 answer=$4 n0 a0 r0 pid t
	n0=$(nrestarts "$unit")
	a0=$(count "$answer")
	r0=$(count "DHCPRELEASE\|release received")
	pid=$(child_of "$unit" "$prog")
	t=$(now)
	note "kill -$sig $prog (pid $pid) of $unit (NRestarts $n0)"
	kill "-$sig" "$pid"
	check "($sig $prog) $unit restarted by systemd, a new $prog running" 40 restarted "$unit" "$n0" "$prog"
	measure "($sig $prog) crash to restarted" "$(since "$t")"
	check "($sig $prog) dnsmasq answered the new client ($answer)" 60 more_than "$answer" "$a0"
	measure "($sig $prog) crash to the server's answer" "$(since "$t")"
	expect_eq "($sig $prog) no release was sent (the lease is kept across the restart)" \
		"$(count "DHCPRELEASE\|release received") releases" "$r0 releases"
	check "($sig $prog) the journal shows the restart (restart counter $((n0 + 1)))" 5 restart_logged "$unit" "$((n0 + 1))"
}

addr_watch_start
crash SEGV bond-dhcp4@bond0.service dhclient "DHCPACK(lanbr) ${ip4%/*} "
check "(SEGV dhclient) bond0 has its DHCPv4 address" 10 has_addr bond0 " inet ${ip4} "
crash KILL bond-dhcp4@bond0.service dhclient "DHCPACK(lanbr) ${ip4%/*} "
crash KILL bond-dhcp6@bond0.service dhcp6c "DHCPREPLY(lanbr)"
check "bond0 has DHCPv4 and DHCPv6 leases after the crashes" 30 leased
expect_eq "no DHCPv4 address of bond0 was deleted across the crashes" "$(addr_deleted bond0 inet | wc -l) deletions" "0 deletions"
addr_watch_stop
check "ping the gateway" 10 pings "$GW4"
check "no bond unit failed" 1 no_failed_units

rc=0
bond-down bond0 >"$LAB_RUN/down.out" 2>&1 || rc=$?
expect_eq "bond-down exits 0" "exit $rc" "exit 0"
check "bond-down still releases: dnsmasq saw DHCPRELEASE of ${ip4%/*}" 15 dnsmasq_logged "DHCPRELEASE\(lanbr\) ${ip4%/*} "
