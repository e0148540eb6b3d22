#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# 53. Issue 19, where systemd is part of the story (one boot):
# (a) the boot unit's runs see systemd-networkd: bond-up@ runs with
#     ProtectProc=invisible and only CAP_NET_ADMIN, so /proc hides networkd's process
#     (user systemd-network); `systemctl reload bond-up@bond0` must still warn that
#     networkd manages eth0 (the detector reads the service's cgroup first);
# (b) an edit of the static address keeps the DHCP lease in the same subnet: the
#     static address is the primary (added before the lease), the lease a secondary;
#     bond-up@ sets promote_secondaries before it deletes the old static address;
# (c) a DHCP unit whose command line changed (DHCP_CLIENT dhclient -> dhcpcd and back,
#     four reloads) runs the new command line each time: the stop + start of the
#     transient unit never starts the old one again;
# (d) what removing the package leaves (its program deleted while the units run): the
#     stop of a DHCP unit cannot release (ExecStop fails to exec), a crashed client
#     is not restarted (203/EXEC); the network keeps what it has until then.
# lab-devices: eth0
# lab-config: dhcp-restart.conf
# lab-timeout: 480
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../guest/reliability.sh
. /lab/guest/reliability.sh

leased() { is_active eth0 && has_dhcp4 bond0; }
static_and_lease() { has_addr bond0 " inet 10\.77\.0\.2/24 " && has_dhcp4 bond0; }
replaced() { has_addr bond0 " inet 10\.77\.0\.3/24 " && no_addr bond0 " inet 10\.77\.0\.2/24 "; }
lease_is_secondary() { ip -o -4 addr show dev bond0 | grep -F " $1 " | grep -q secondary || { ip -o -4 addr show dev bond0 | awk '{print $4, $5, $6, $7, $8}'; return 1; }; }
no_fallback() { ! journalctl -b --no-pager -o cat | grep -q "kept the stopped unit loaded"; }
require "bond0 on eth0 with a DHCPv4 lease" 90 leased

## (a) networkd seen from the boot unit
NETWORK=/run/systemd/network/50-lab-eth0.network
mkdir -p /run/systemd/network
printf '[Match]\nName=eth0\n\n[Network]\nLinkLocalAddressing=no\nKeepConfiguration=yes\n' >"$NETWORK"
systemctl unmask systemd-networkd.service systemd-networkd.socket >/dev/null 2>&1 || true
systemctl start systemd-networkd
idx=$(cat /sys/class/net/eth0/ifindex)
check "(a) networkd manages eth0 (ADMIN_STATE in its state file)" 30 grep -qE '^ADMIN_STATE=(configured|configuring)' "/run/systemd/netif/links/$idx"
warns() { journalctl -b --no-pager -o cat -t bond-up | grep -c "bond0: systemd-networkd manages eth0 .* too" || true; }
n0=$(warns)
reload_master bond0
sleep 1
expect_eq "(a) the boot unit's reload (ProtectProc=invisible) warned of networkd once" "$(($(warns) - n0)) warnings" "1 warnings"
systemctl stop systemd-networkd.socket systemd-networkd 2>/dev/null || systemctl stop systemd-networkd
rm -f "$NETWORK"

## (b) an edit of the static address keeps the lease
conf() {
	printf "bond0SLAVES='eth*'\nbond0PRIMARY='eth0'\nbond0ADDRS='%s'\nbond0DHCP_CLIENT='%s'\n" "$1" "$2"
}
conf 10.77.0.2/24 dhclient | set_conf
# Stop and start: bond-down releases and deletes bond0, bond-up adds the static
# address first, the lease comes after it (a secondary of 10.77.0.2/24), as at boot.
systemctl stop bond-up@bond0.service
check "(b) bond0 gone after the stop" 30 absent bond0
systemctl start bond-up@bond0.service
check "(b) static 10.77.0.2/24 and a lease on bond0" 90 static_and_lease
lease=$(ip -o -4 addr show dev bond0 | awk '$4 ~ /^10\.77\.0\.1[0-9][0-9]\// { print $4; exit }')
note "(b) lease $lease; bond0: $(ip -o -4 addr show dev bond0 | awk '{print $4, $5, $6}' | tr '\n' ' ')"
check "(b) the lease is a secondary of the static address" 1 lease_is_secondary "$lease"
check "(b) promote_secondaries is set on bond0" 1 grep -qx 1 /proc/sys/net/ipv4/conf/bond0/promote_secondaries
conf 10.77.0.3/24 dhclient | set_conf
reload_master bond0
check "(b) the lease $lease is still on bond0 right after the reload" 1 has_addr bond0 " inet ${lease//./\\.} "
check "(b) 10.77.0.3/24 replaced 10.77.0.2/24" 1 replaced
sleep 5
check "(b) the lease $lease is still on bond0 5 s later" 1 has_addr bond0 " inet ${lease//./\\.} "
check "(b) ping the gateway" 10 pings "$GW4"

## (c) the DHCP client changed four times
main_comm() { local pid; pid=$(systemctl show -p MainPID --value bond-dhcp4@bond0.service); pgrep -P "$pid" -x "$1" >/dev/null || { echo "children of $pid: $(pgrep -l -P "$pid" | tr '\n' ' ')"; return 1; }; }
execstart_has() { systemctl show -p ExecStart bond-dhcp4@bond0.service | grep -q -- "$1" || { systemctl show -p ExecStart bond-dhcp4@bond0.service | cut -c1-200; return 1; }; }
for client in dhcpcd dhclient dhcpcd dhclient; do
	conf 10.77.0.3/24 "$client" | set_conf
	reload_master bond0
	check "(c) bond-dhcp4@bond0 runs $client after the reload (ExecStart)" 20 execstart_has "/$client"
	check "(c) its client process is $client" 60 main_comm "$client"
done
check "(c) no start fell back to the old unit (journal)" 1 no_fallback
note "(c) starts that found the stopped unit still loaded and waited for its collection: $(journalctl -b --no-pager -o cat | grep -c 'the old unit is still loaded' || true)"
check "(c) bond0 has a DHCPv4 lease again" 90 has_dhcp4 bond0
check "no bond unit failed" 1 no_failed_units

## (d) what a package removal leaves: the DHCP units name a program that is gone
# dpkg unlinks the files; running processes keep theirs. The lab's install is
# install.sh's (/usr/local/bin), removed here the same way (mv keeps it for the end).
self=$(systemctl show -p ExecStart bond-dhcp4@bond0.service | sed -n 's/^ExecStart={ path=\([^ ;]*\) .*/\1/p')
note "(d) the DHCP units run $self"
releases() { grep -c "DHCPRELEASE" "$LAB_OUT/dnsmasq.log" 2>/dev/null || true; }
# unit_logged UNIT REGEX: systemd's journal lines for UNIT since the removal match.
unit_logged() { journalctl --no-pager -o cat -u "$1" --since "@$t0" | grep -qE -- "$2" || { echo "no /$2/ for $1"; return 1; }; }
t0=$(date +%s)
mv "$self" "$self.removed"
check "(d) with the program gone, bond0 keeps its DHCPv4 lease" 1 has_dhcp4 bond0
r0=$(releases)
systemctl stop bond-dhcp4@bond0.service || true
sleep 2
check "(d) the stop of bond-dhcp4@bond0 could not run its --release (ExecStop 203/EXEC)" 5 unit_logged bond-dhcp4@bond0.service "Failed at step EXEC spawning $self"
expect_eq "(d) ... so the server saw no DHCPRELEASE" "$(($(releases) - r0)) releases" "0 releases"
pid=$(pgrep -x -P "$(systemctl show -p MainPID --value bond-dhcp6@bond0.service)" dhcp6c || true)
note "(d) kill -KILL dhcp6c ($pid) of bond-dhcp6@bond0"
[ -n "$pid" ] && kill -KILL "$pid"
# A failed transient unit may be collected at once: systemd's journal is the witness.
check "(d) a crashed client is not restarted: bond-dhcp6@bond0's restarts fail with 203/EXEC" 60 unit_logged bond-dhcp6@bond0.service "status=203/EXEC"
check "(d) ... until systemd gives up (start limit)" 90 unit_logged bond-dhcp6@bond0.service "Start request repeated too quickly"
mv "$self.removed" "$self"
systemctl reset-failed 'bond-dhcp*' >/dev/null 2>&1 || true
