#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# 52. systemd-networkd manages the wired NIC too (issue 11.10): a .network file for
# eth0, networkd started. bond-hotplug reads networkd's own runtime state (never asks
# or starts it): --status names it, each run warns once in the journal (bond-up and
# the udev add event), and -n notes it. The udev rule marks configured devices (eth0,
# bond0) NM_UNMANAGED=1 for NetworkManager and leaves a foreign device unmarked.
# lab-devices: eth0
# lab-config: dhcp-restart.conf
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../guest/reliability.sh
. /lab/guest/reliability.sh

NETWORK=/run/systemd/network/50-lab-eth0.network
require "bond0 on eth0" 90 is_active eth0

udev_prop() { udevadm info -q property "/sys/class/net/$1" 2>/dev/null | grep -qx "$2" || { echo "$1: no $2"; return 1; }; }
check "the rule marks eth0 NM_UNMANAGED=1" 10 udev_prop eth0 NM_UNMANAGED=1
check "the rule marks bond0 NM_UNMANAGED=1" 10 udev_prop bond0 NM_UNMANAGED=1
# A dummy, not a veth: NetworkManager's own 85-nm-unmanaged.rules (the image has NM,
# masked) marks every veth not named eth* NM_UNMANAGED=1 itself.
ip link add foreign0 type dummy
settle
check "a foreign device is not marked" 10 bash -c "! udevadm info -q property /sys/class/net/foreign0 | grep -q NM_UNMANAGED"
ip link del foreign0

mkdir -p /run/systemd/network
printf '[Match]\nName=eth0\n\n[Network]\nLinkLocalAddressing=no\nKeepConfiguration=yes\n' >"$NETWORK"
# The image masks networkd (the lab's network is bond-hotplug's); this boot only
# (the disk is a throw-away snapshot) it runs.
systemctl unmask systemd-networkd.service systemd-networkd.socket >/dev/null 2>&1 || true
systemctl start systemd-networkd
idx=$(cat /sys/class/net/eth0/ifindex)
check "networkd manages eth0 (ADMIN_STATE in its state file)" 30 grep -qE '^ADMIN_STATE=(configured|configuring)' "/run/systemd/netif/links/$idx"
note "networkd's state of eth0: $(tr '\n' ' ' <"/run/systemd/netif/links/$idx")"

bond-up --status bond0 >"$LAB_RUN/status.out" 2>&1 || true
sed 's/^/    | /' "$LAB_RUN/status.out"
check "--status names networkd on eth0" 1 grep -q "managers:  systemd-networkd manages eth0 ($NETWORK" "$LAB_RUN/status.out"
bond-up -n bond0 >"$LAB_RUN/n.out" 2>&1 || true
check "bond-up -n notes it" 1 grep -q "systemd-networkd manages eth0 .* too" "$LAB_RUN/n.out"

# warns ID: how many of ID's warnings about networkd on eth0 the journal holds so far.
warns() { journalctl -b --no-pager -o cat -t "$1" | grep -c "bond0: systemd-networkd manages eth0 .* too: the two will fight" || true; }
n0=$(warns bond-up)
rc=0
bond-up bond0 >"$LAB_RUN/up.out" 2>&1 || rc=$?
expect_eq "bond-up exits 0" "exit $rc" "exit 0"
sleep 1
expect_eq "bond-up warned once in the journal" "$(($(warns bond-up) - n0)) warnings" "1 warnings"
n0=$(warns bond-hotplug)
udevadm trigger --action=add /sys/class/net/eth0
settle
sleep 1
expect_eq "the udev add event's run warned once in the journal" "$(($(warns bond-hotplug) - n0)) warnings" "1 warnings"

systemctl stop systemd-networkd.socket systemd-networkd 2>/dev/null || systemctl stop systemd-networkd
rm -f "$NETWORK"
bond-up --status bond0 >"$LAB_RUN/status2.out" 2>&1 || true
check "with networkd stopped, --status names no other manager" 1 grep -q "managers:  none" "$LAB_RUN/status2.out"
check "bond0 still on eth0" 10 is_active eth0
