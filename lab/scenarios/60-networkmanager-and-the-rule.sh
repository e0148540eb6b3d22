#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# 60. NetworkManager and the runtime udev rule (issues 19.2, 20.3). As installed (the
# example network.conf, all commented out; bond-up@bond0 enabled by the lab's install)
# nothing is marked: with NetworkManager running and udev's events replayed (as at a
# reboot), NM manages both NICs. Once bond-up@bond0 starts with a configuration, the
# rule it writes names exactly bond0's devices, and NM (which reads NM_UNMANAGED only
# when a device appears) is asked to let go of the ones it manages: it does, a foreign veth
# starts no bond-hotplug, and after a reload that changed SLAVES, a NIC only the new
# SLAVES name is enslaved by hot-plug while one only the old SLAVES named is left
# alone. bond-down removes the rule and NM takes the NICs back.
# The lab's wired NICs are veths, which NetworkManager's own 85-nm-unmanaged.rules
# leaves unmanaged; this boot, a lab rule (86) has NM treat eth* as the Ethernet
# cards they stand for, as on a laptop. bond-hotplug's runs are counted: the installed
# 90-bond-hotplug.rules is rewritten in place with the same match and argv, its RUN
# through a wrapper that logs each call and execs the installed binary.
# lab-devices: eth0 wifi
# (no configuration of the lab's: the example network.conf as installed)
# lab-config:
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../guest/lib.sh
. /lab/guest/lib.sh

RULE=/run/udev/rules.d/89-bond-hotplug-up.rules
CALLS=$LAB_RUN/hotplug-calls.log
nm_state() { nmcli -t -f DEVICE,STATE device 2>/dev/null | awk -F: -v d="$1" '$1 == d { print $2 }'; }
nm_manages() { local s; s=$(nm_state "$1"); [ -n "$s" ] && [ "$s" != unmanaged ] || { echo "$1: NM state '${s}'"; return 1; }; }
nm_lets_go() { local s; s=$(nm_state "$1"); [ "$s" = unmanaged ] || { echo "$1: NM state '${s}'"; return 1; }; }
udev_prop() { udevadm info -q property "/sys/class/net/$1" 2>/dev/null | grep -qx "$2" || { echo "$1: no $2"; return 1; }; }
no_udev_prop() { ! udevadm info -q property "/sys/class/net/$1" 2>/dev/null | grep -q "^$2" || { echo "$1: has $2"; return 1; }; }
calls_for() { grep -c -- " $1\$" "$CALLS" 2>/dev/null || true; }

# As installed.
check "the installed network.conf has no live setting" 1 bash -c "! grep -v '^[[:space:]]*#' /etc/conf.d/network.conf | grep -q ="
check "as installed, no runtime rule" 1 test ! -e "$RULE"
check "as installed, no bond0" 1 absent bond0
check "as installed, eth0 carries no mark of ours" 1 no_udev_prop eth0 BOND_HOTPLUG_MASTER

printf 'SUBSYSTEM=="net", KERNEL=="eth*", ENV{ID_NET_DRIVER}=="veth", ENV{NM_UNMANAGED}="0"\n' >/run/udev/rules.d/86-lab-nm-veth.rules
# In place (a file in /etc overrides one of the same name in /run); the disk is a
# throw-away snapshot.
cp /etc/udev/rules.d/90-bond-hotplug.rules "$LAB_RUN/90-bond-hotplug.rules.installed"
sed -e "s|RUN+=\"[^ ]*/bond-hotplug |RUN+=\"$LAB_RUN/count-hotplug |" "$LAB_RUN/90-bond-hotplug.rules.installed" >/etc/udev/rules.d/90-bond-hotplug.rules
printf '#!/bin/sh\necho "$*" >>%s\nexec /usr/local/bin/bond-hotplug "$@"\n' "$CALLS" >"$LAB_RUN/count-hotplug"
chmod 0755 "$LAB_RUN/count-hotplug"
check "the counting copy of the rule has the installed match and argv" 1 grep -q "ENV{BOND_HOTPLUG_SLAVE}==\"1\", ACTION==\"add|remove|move\", RUN+=\"$LAB_RUN/count-hotplug -- \$env{ACTION} \$name\"" /etc/udev/rules.d/90-bond-hotplug.rules
udevadm control --reload
# The image masks NetworkManager (the lab's network is bond-hotplug's); this boot
# only (the disk is a throw-away snapshot) it runs.
systemctl unmask NetworkManager.service >/dev/null 2>&1 || true
systemctl start NetworkManager.service
udevadm trigger --action=change --subsystem-match=net
settle
check "NetworkManager manages eth0" 60 nm_manages eth0
check "NetworkManager manages wlan0" 60 nm_manages wlan0
note "NM: $(nmcli -t -f DEVICE,TYPE,STATE device | tr '\n' ' ')"

# Configured and started.
set_conf </lab/scenarios/conf/laptop.conf
systemctl restart bond-up@bond0.service
check "bond-up@bond0 active" 60 unit_active bond-up@bond0.service
check "the rule names bond0's devices" 1 grep -qx "# up: bond0 eth\* wl\*" "$RULE"
check "NetworkManager lets go of eth0" 30 nm_lets_go eth0
check "NetworkManager lets go of wlan0" 30 nm_lets_go wlan0
check "NetworkManager leaves bond0 alone" 30 nm_lets_go bond0
check "eth0 active slave of bond0" 60 is_active eth0
check "wlan0 slave of bond0" 60 is_slave_of wlan0 bond0
check "eth0 marked for bond0" 5 udev_prop eth0 BOND_HOTPLUG_MASTER=bond0

# A foreign device.
: >"$CALLS"
ip link add foreign0 type veth peer name foreign1
settle
check "a foreign veth carries no mark of ours" 5 no_udev_prop foreign0 BOND_HOTPLUG_MASTER
ip link del foreign0
settle
expect_eq "a foreign veth pair's add and remove started no bond-hotplug" "$(cat "$CALLS")" ""

# A reload that changes SLAVES: eth0 and usb[0-9] (wl* stays); eth1 is no longer ours.
sed -e "s/^bond0SLAVES=.*/bond0SLAVES='eth0 wl* usb[0-9]'/" /lab/scenarios/conf/laptop.conf | set_conf
systemctl reload bond-up@bond0.service
check "the rule follows the reload" 1 grep -qx "# up: bond0 eth0 wl\* usb\[0-9\]" "$RULE"
: >"$CALLS"
t=$(now)
plug_wired usb0
check "usb0 (only the new SLAVES name it) enslaved by hot-plug" 20 is_slave_of usb0 bond0
measure "hot-plug usb0 after the reload: ip link add to slave" "$(since "$t")"
plug_wired eth1
settle
check "eth1 (only the old SLAVES named it) carries no mark of ours" 5 no_udev_prop eth1 BOND_HOTPLUG_MASTER
expect_eq "bond-hotplug ran for usb0 and not for eth1" "usb0 $(calls_for usb0), eth1 $(calls_for eth1)" "usb0 1, eth1 0"
check "eth1 left alone" 5 no_master eth1
check "NetworkManager lets go of usb0" 30 nm_lets_go usb0

# Stopped: the rule goes, NetworkManager takes the NICs back.
systemctl stop bond-up@bond0.service
check "bond-down removed the rule" 10 test ! -e "$RULE"
check "eth0 carries no mark of ours" 10 no_udev_prop eth0 BOND_HOTPLUG_MASTER
check "NetworkManager manages eth0 again" 60 nm_manages eth0
check "NetworkManager manages wlan0 again" 60 nm_manages wlan0
