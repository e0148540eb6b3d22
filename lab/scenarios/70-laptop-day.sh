#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# 70. A laptop's day (issue 17), one boot: (1) a card whose radio is blocked at boot
# does not hold up the wired NIC, and its unblock makes it a backup slave;
# (2) airplane mode off and on with the wired NIC active; (3) on Wi-Fi alone:
# airplane mode on, no active slave, off again: Wi-Fi active within the
# association time plus 1 s, the same lease; (4) three slaves (dock, built-in,
# Wi-Fi) unplugged and plugged one at a time: the order of SLAVES decides (the
# bonding driver's per-slave prio); (5) the Wi-Fi card's driver reloaded (the NIC
# gone and back, as across a suspend): the bond back, associated, the lease kept.
# hwsim has no hard rfkill switch: the block at boot is a soft one, which the
# kernel (cfg80211 refuses to open the card) and bond-hotplug treat alike.
# lab-devices: eth0 wifi-blocked
# lab-config: laptop-day.conf
# lab-timeout: 480
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../guest/lib.sh
. /lab/guest/lib.sh

w=wlan0
is_prio() { ip -d link show dev "$1" | grep -q "bond_slave.* prio $2\b" || { ip -d link show dev "$1" | grep -o 'bond_slave.*' | head -c 300; return 1; }; }

note "part 1: $w's radio blocked at boot"
require "the wired NIC is not held up: eth0 active with DHCPv4 while $w is blocked" 90 \
	eval 'is_active eth0 && has_dhcp4 bond0'
check "$w is blocked and left alone (no master, no supplicant)" 5 \
	eval "is_blocked $w && no_master $w && unit_inactive bond-wpa@$w.service"
check "bond-up@bond0 succeeded" 5 unit_active bond-up@bond0.service
journal_has "$w: radio blocked by rfkill \(soft\): enslaved when unblocked" >/dev/null &&
	pass "the journal says why $w waits" 0.00 || fail "the journal says why $w waits" "$(journal_has "radio blocked" 2>&1)"
ip4=$(ipv4_of bond0)
t=$(now)
unblock_wifi "$w"
check "unblocked at boot: $w enslaved" 20 is_slave_of "$w" bond0
check "unblocked at boot: $w associated" 40 associated "$w"
measure "unblock (blocked at boot) -> $w associated" "$(since "$t")"
check "unblocked at boot: $w a backup slave with MII up, eth0 still active" 20 eval "slave_mii_up $w && is_active eth0"
check "$w has prio 1, eth0 prio 2 (order of SLAVES)" 5 eval "is_prio $w 1 && is_prio eth0 2"

note "part 2: airplane mode with the wired NIC active"
ping_start "$GW4"
sleep 1
t=$(now)
block_wifi "$w"
check "airplane on: the kernel set $w down" 10 is_down "$w"
check "airplane on: eth0 stays active, $w stays a slave, its supplicant runs" 5 \
	eval "is_active eth0 && is_slave_of $w bond0 && unit_active bond-wpa@$w.service"
check "airplane on: a run now is converged (nothing to do but the note)" 10 eval "bond-up -n bond0 | grep -q 'nothing to do'"
t=$(now)
unblock_wifi "$w"
check "airplane off (wired active): $w up and associated again" 40 eval "is_up $w && associated $w"
measure "airplane off (wired active) -> $w associated" "$(since "$t")"
check "airplane off (wired active): $w a backup slave with MII up" 20 slave_mii_up "$w"
check "the ping over eth0 never stopped" 5 ping_ok_since "$t"

note "part 3: airplane mode on Wi-Fi alone"
cable_out eth0
require "cable out: $w active" 20 is_active "$w"
check "IPv4 address $ip4 kept on Wi-Fi" 10 has_addr bond0 " inet $ip4 "
check "the ping flows over Wi-Fi" 20 ping_ok_since "$(now)"
# The association time: the card set down and up by hand, as a person would.
ip link set "$w" down
check "by hand: $w down, no active slave" 10 no_active_slave bond0
t=$(now)
ip link set "$w" up
check "by hand: $w active again" 40 is_active "$w"
assoc=$(since "$t")
measure "association time: ip link set $w up -> active slave" "$assoc"
check "the ping flows over Wi-Fi" 20 ping_ok_since "$(now)"
block_wifi "$w"
check "airplane on (Wi-Fi alone): no active slave" 10 no_active_slave bond0
sleep 2
t=$(now)
read -r up0 _ </proc/uptime
unblock_wifi "$w"
check "airplane off (Wi-Fi alone): $w active again" 40 is_active "$w"
took=$(since "$t")
# bond-hotplug's own part: from the unblock to its "set up" (journal, monotonic).
upat=$(journalctl -b --no-pager -o short-monotonic -g "bond0: set $w up \(radio unblocked\)" | tail -n 1 | tr -d '[]' | awk '{ print $1 }')
if [ -n "$upat" ]; then
	measure "airplane off (Wi-Fi alone): unblock -> $w set up by bond-hotplug" "$(awk -v a="$up0" -v b="$upat" 'BEGIN { printf "%.2f", b - a }')"
fi
measure "airplane off (Wi-Fi alone): unblock -> $w active slave" "$took"
# The issue's target is the association time plus 1 s: the figure is measured
# (TIME); the check's bound is generous (plus 3 s), as every timing bound in the
# lab on a shared host (at a load of 27 the unblock's own run took 2.9 s to start).
measure "airplane off (Wi-Fi alone): unblock -> active slave minus the association time" "$(awk -v a="$took" -v b="$assoc" 'BEGIN { printf "%.2f", a - b }')"
if awk -v a="$took" -v b="$assoc" 'BEGIN { exit !(a <= b + 3) }'; then
	pass "unblock -> active slave ($took s) within the association time ($assoc s) plus 3 s" "$took"
else
	fail "unblock -> active slave within the association time plus 3 s" "unblock took $took s, association $assoc s"
fi
check "the lease kept: $ip4 on bond0" 10 has_addr bond0 " inet $ip4 "
check "the ping flows again after airplane mode" 20 ping_ok_since "$(now)"
check "the rfkill event ran bond-hotplug --rfkill" 5 journal_has "$w: radio unblocked \(rfkill[0-9]+\): converging bond0"
cable_in eth0
require "cable in: eth0 active again" 20 is_active eth0

note "part 4: dock, built-in cable, Wi-Fi: the order of SLAVES (per-slave prio)"
plug_wired enx0
check "the dock's enx0 enslaved with prio 3" 20 eval "is_slave_of enx0 bond0 && is_prio enx0 3"
check "dock plugged: enx0 active (prio 3 over eth0's 2)" 20 is_active enx0
t=$(now)
unplug_wired enx0
check "dock unplugged: eth0 active, not $w" 15 is_active eth0
unplug_wired eth0
check "built-in unplugged: $w active" 15 is_active "$w"
measure "two unplugs: dock -> built-in -> Wi-Fi" "$(since "$t")"
plug_wired eth0
check "built-in replugged: eth0 active again (prio 2 over $w's 1)" 20 is_active eth0
plug_wired enx0
check "dock replugged: enx0 active again" 20 is_active enx0
check "IPv4 address $ip4 kept through the moves" 10 has_addr bond0 " inet $ip4 "
check "bond-up -n bond0: nothing to do" 10 nothing_to_do bond0
unplug_wired enx0
check "dock unplugged again: eth0 active" 15 is_active eth0

note "part 5: the Wi-Fi card's driver reloaded (the NIC gone and back)"
cable_out eth0
require "cable out: $w active" 20 is_active "$w"
t=$(now)
del_wifi "$w"
check "$w gone, its supplicant stopped" 15 eval "absent $w && unit_inactive bond-wpa@$w.service"
w2=$(add_wifi)
w=$w2
note "the card is back as $w2"
check "back: $w2 enslaved, associated and active" 40 eval "is_active $w2 && associated $w2"
measure "driver reload: card gone -> back active" "$(since "$t")"
check "the lease kept: $ip4 on bond0" 10 has_addr bond0 " inet $ip4 "
check "the gateway answers over $w2" 20 pings "$GW4"
cable_in eth0
check "cable in: eth0 active" 20 is_active eth0
ping_stop "$GW4"
check "no unit of ours failed" 5 eval "! systemctl --failed --plain --no-legend | grep -q bond-"
