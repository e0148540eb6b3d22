#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# 12. Nothing lost. A ping every 50 ms to the gateway runs while the backup NIC
# eth1 is pulled and plugged LOST_CYCLES times: not one reply is missing, bond0's
# IPv4 address is never deleted (the kernel's address notifications are
# watched) and the DHCPv4 client unit is never restarted (same InvocationID and
# MainPID, NRestarts=0). Then the primary eth0 is pulled and plugged back
# LOST_PRIMARY times (the NIC removed) and its cable pulled and put back as
# many times: the loss is bounded by the bonding driver's failover gap
# (reported in ms: pings lost x interval; the time between two replies is
# reported too, but under TCG it also holds the guest's scheduling stalls). Last, bond-down releases the lease: dnsmasq's lease file
# no longer holds the address.
# lab-devices: eth0 eth1
# lab-config: nothing-lost.conf
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../guest/reliability.sh
. /lab/guest/reliability.sh

CYCLES=${LOST_CYCLES:-20}
PRIMARY=${LOST_PRIMARY:-2}
IVAL=0.05
# The loss allowed per primary pull and plug back (two switches of the active
# slave): each switch is noticed within MIIMON (100 ms) and done at once, so
# at most 2 x (100 ms + one interval) = 300 ms of pings; 500 ms allowed for
# timer slack under TCG.
MAX_LOSS_MS=${LOST_MAX_MS:-500}

not_a_slave() { ! grep -qx "Slave Interface: $1" /proc/net/bonding/bond0 || { echo "$1 still a slave"; return 1; }; }
both_up() { is_active eth0 && slave_mii_up eth1 && has_dhcp4 bond0; }
# seq_after: wait until a reply newer than the current one arrived; print it.
seq_now() { sleep 0.3; fastping_seq "$GW4"; }

require "bond0 on eth0 (active) and eth1, DHCPv4 lease" 90 both_up
ip4=$(ipv4_of bond0)
id0=$(unit_identity bond-dhcp4@bond0.service)
note "bond0 has $ip4; DHCPv4 unit: $id0"
check "dnsmasq holds the lease of ${ip4%/*}" 5 lease_has "${ip4%/*}"
addr_watch_start
fastping_start "$GW4" "$IVAL"
sleep 1
s0=$(seq_now)
t=$(now)
bad=""
for ((c = 1; c <= CYCLES; c++)); do
	unplug_wired eth1
	wait_for 10 not_a_slave eth1 || bad="$bad cycle $c: eth1 not released;"
	is_active eth0 >/dev/null || bad="$bad cycle $c: active $(active_slave) after the pull;"
	plug_wired eth1
	wait_for 15 slave_mii_up eth1 || bad="$bad cycle $c: eth1 not enslaved again;"
	is_active eth0 >/dev/null || bad="$bad cycle $c: active $(active_slave) after the plug;"
done
took=$(since "$t")
sleep 1
s1=$(seq_now)
lost=$(fastping_lost "$GW4" "$s0" "$s1")
gap=$(fastping_gap "$GW4" "$s0" "$s1")
sent=$((s1 - s0 + 1))
if [ -z "$bad" ]; then
	pass "$CYCLES pull/plug cycles of the backup eth1: released and enslaved again each time, eth0 stayed active" "$took"
else
	fail "$CYCLES pull/plug cycles of the backup eth1" "$bad"
fi
expect_eq "no ping lost across the $CYCLES backup cycles ($sent sent)" "$lost lost" "0 lost"
measure "backup cycles: $CYCLES cycles, $sent pings every ${IVAL}s, $lost lost; longest gap between replies" "$gap"
expect_eq "bond0's IPv4 address was never deleted" "$(addr_deleted bond0 inet | wc -l) deletions" "0 deletions"
expect_eq "the DHCPv4 client unit was never restarted" "$(unit_identity bond-dhcp4@bond0.service)" "$id0"
check "IPv4 address $ip4 still on bond0" 1 has_addr bond0 " inet $ip4 "

# Primary pulls: the NIC removed and plugged back, then its cable.
gaps=""
maxgap=0
maxms=0
lostp=0
over=""
primary_event() {
	local what=$1 s t g l
	s=$(seq_now)
	t=$(now)
	case "$what" in
	pull) unplug_wired eth0 ;;
	cable) cable_out eth0 ;;
	esac
	wait_for 10 is_active eth1 || over="$over $what: eth1 never active;"
	sleep 0.5
	case "$what" in
	pull) plug_wired eth0 ;;
	cable) cable_in eth0 ;;
	esac
	wait_for 15 is_active eth0 || over="$over $what: eth0 not active again;"
	sleep 1
	e=$(seq_now)
	g=$(fastping_gap "$GW4" "$s" "$e")
	l=$(fastping_lost "$GW4" "$s" "$e")
	lostp=$((lostp + l))
	ms=$(awk -v l="$l" -v i="$IVAL" 'BEGIN { printf "%d", l * i * 1000 }')
	gaps="$gaps $what:${l}lost=${ms}ms(reply-gap ${g}s)"
	maxgap=$(awk -v a="$maxgap" -v b="$g" 'BEGIN { print (b > a) ? b : a }')
	maxms=$((ms > maxms ? ms : maxms))
	[ "$ms" -le "$MAX_LOSS_MS" ] || over="$over $what lost ${l} pings = ${ms} ms > ${MAX_LOSS_MS} ms;"
	return 0
}
t=$(now)
for ((p = 1; p <= PRIMARY; p++)); do primary_event pull; done
for ((p = 1; p <= PRIMARY; p++)); do primary_event cable; done
note "primary pulls (gap/lost per pull and plug back):$gaps"
if [ -z "$over" ]; then
	pass "$PRIMARY primary NIC pulls and $PRIMARY cable pulls (each with the way back): loss <= ${MAX_LOSS_MS} ms of pings each" "$(since "$t")"
else
	fail "primary pulls within the failover gap" "$over"
fi
measure "primary pulls: $((2 * PRIMARY)) pulls + plugs back, $lostp pings lost in all, at most ${maxms} ms of pings per pull+plug; longest time between replies" "$maxgap"
expect_eq "bond0's IPv4 address was never deleted through the primary pulls" "$(addr_deleted bond0 inet | wc -l) deletions" "0 deletions"
note "DHCPv4 unit after the primary pulls: $(unit_identity bond-dhcp4@bond0.service) (before: $id0)"
fastping_stop "$GW4"
addr_watch_stop
tail -n 4 "$LAB_OUT/fastping-$GW4.log" | sed 's/^/    | /'

# bond-down releases the lease.
check "dnsmasq still holds the lease of ${ip4%/*} before bond-down" 5 lease_has "${ip4%/*}"
t=$(now)
rc=0
bond-down bond0 >"$LAB_RUN/down.out" 2>&1 || rc=$?
expect_eq "bond-down bond0 exits 0" "exit $rc" "exit 0"
check "dnsmasq's lease file no longer holds ${ip4%/*} after bond-down" 15 lease_gone "${ip4%/*}"
measure "bond-down to the lease gone from dnsmasq's lease file" "$(since "$t")"
check "dnsmasq logged the release" 5 dnsmasq_logged "DHCPRELEASE\(lanbr\) ${ip4%/*} "
