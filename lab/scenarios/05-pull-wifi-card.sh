#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# 5. Pull the Wi-Fi card: its supplicant unit stops, the slave is gone, wired
# keeps working. Insert a new card: enslaved, supplicant started, associated. Then
# three quick swaps (pull, and a new card of the same name at once): each associates;
# and a swap whose old card systemd learns is gone only after the new card's run.
# lab-devices: eth0 wifi
# lab-config: laptop.conf
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../guest/lib.sh
. /lab/guest/lib.sh

not_a_slave() { ! grep -qx "Slave Interface: $1" /proc/net/bonding/bond0 || { echo "$1 still listed"; return 1; }; }

require "converged: eth0 active, wlan0 associated, DHCPv4 and DHCPv6" 90 converged_laptop
ping_start "$GW4"
sleep 1
note "pulling the Wi-Fi card (wlan0)"
t=$(now)
del_wifi wlan0
check "wlan0 is gone" 5 absent wlan0
check "supplicant unit of wlan0 stops" 15 unit_inactive bond-wpa@wlan0.service
check "wlan0 is no longer a slave" 10 not_a_slave wlan0
check "wired eth0 still active" 5 is_active eth0
check "the ping is unaffected" 10 ping_ok_since "$t"
measure "longest ping gap across the card pull" "$(ping_gap "$t")"
note "inserting a new Wi-Fi card"
t=$(now)
w=$(add_wifi)
note "the new card is $w"
check "new card $w enslaved" 20 is_slave_of "$w" bond0
check "supplicant unit runs on $w" 20 unit_active "bond-wpa@$w.service"
check "$w associated to the access point" 40 associated "$w"
check "$w is a slave with MII up" 20 slave_mii_up "$w"
check "wired eth0 still active" 5 is_active eth0
check "the ping flows throughout" 5 ping_ok_since "$t"
# A card swap (or a driver reload across a suspend): the new card, of the same name,
# comes while systemd may not yet have processed the old card's remove, so the run for
# the new card can find the old card's supplicant still listed active; systemd stops it
# (BindsTo) later and no event of ours follows (soak 20261207-143709 w59, w95). Each
# swap must end with a supplicant for the new card: associated, and no run left to do.
# These three swaps take the usual order (systemd stops the old unit before our run).
for i in 1 2 3; do
	old_index=$(cat "/sys/class/net/$w/ifindex")
	del_wifi "$w"
	check "swap $i: card gone" 5 absent "$w"
	w=$(add_wifi)
	note "swap $i: the new card is $w (ifindex $(cat "/sys/class/net/$w/ifindex"), was $old_index)"
	check "swap $i: $w associated to the access point" 60 associated "$w"
	check "swap $i: supplicant unit runs on $w" 5 unit_active "bond-wpa@$w.service"
	check "swap $i: $w is a slave with MII up" 20 slave_mii_up "$w"
done
# The failing order, forced: a slow rule before ours holds the old card's remove
# 1.5 s (systemd learns of it only then, after our run), and one after ours holds the
# new card's add 5 s. The run for the new card finds the old card's supplicant active;
# it must replace it with one bound to the new card, which the old card's late remove
# does not stop (units.Card).
echo 'SUBSYSTEM=="net", ACTION=="remove", KERNEL=="wlan*", RUN+="/bin/sleep 1.5"' >/run/udev/rules.d/00-lab-late-remove.rules
echo 'SUBSYSTEM=="net", ACTION=="add", KERNEL=="wlan*", RUN+="/bin/sleep 5"' >/run/udev/rules.d/99-lab-late-add.rules
udevadm control --reload
serves() { systemctl show -p Description --value "bond-wpa@$1.service" | grep -q "ifindex $2)" || { echo "$(systemctl show -p Description --value "bond-wpa@$1.service")"; return 1; }; }
old_index=$(cat "/sys/class/net/$w/ifindex")
del_wifi "$w"
w=$(add_wifi)
index=$(cat "/sys/class/net/$w/ifindex")
note "late swap: the new card is $w (ifindex $index, was $old_index)"
check "late swap: a run replaced the old card's supplicant" 30 journal_has "restart bond-wpa@$w.service: .*it serves a card that is gone"
check "late swap: $w associated to the access point" 60 associated "$w"
check "late swap: supplicant unit runs on $w" 5 unit_active "bond-wpa@$w.service"
check "late swap: the supplicant serves the new card" 5 serves "$w" "$index"
check "late swap: $w is a slave with MII up" 20 slave_mii_up "$w"
rm -f /run/udev/rules.d/00-lab-late-remove.rules /run/udev/rules.d/99-lab-late-add.rules
udevadm control --reload
sleep 3
check "late swap: still associated after the old card's late remove" 5 associated "$w"
check "late swap: supplicant still runs" 5 unit_active "bond-wpa@$w.service"
settle
check "after the swaps: $w still associated" 5 associated "$w"
check "after the swaps: bond0 converged" 20 nothing_to_do bond0
check "wired eth0 still active after the swaps" 5 is_active eth0
ping_stop "$GW4"
