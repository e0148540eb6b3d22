#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# 24. Stopped stays stopped: after `systemctl stop bond-up@bond0`, plugging a
# NIC or `udevadm trigger` builds nothing; `systemctl start bond-up@bond0`
# brings bond0 back with both NICs.
# lab-devices: eth0
# lab-config: ownership.conf
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../guest/reliability.sh
. /lab/guest/reliability.sh

require "bond0 up on eth0 with a DHCPv4 lease" 90 bash -c '. /lab/guest/lib.sh; is_active eth0 && has_dhcp4 bond0'
systemctl stop bond-up@bond0.service
check "bond0 is deleted by the stop" 10 absent bond0
note "plugging eth1 while bond-up@bond0 is stopped"
plug_wired eth1
settle
sleep 2
check "plugging eth1 builds nothing: bond0 absent, eth1 free" 1 bash -c '. /lab/guest/lib.sh; absent bond0 && no_master eth1'
udevadm trigger --action=add --subsystem-match=net
settle
sleep 2
check "udevadm trigger builds nothing either" 1 bash -c '. /lab/guest/lib.sh; absent bond0 && no_master eth0 && no_master eth1'
check "no udev-run bond-hotplug failed" 1 no_udev_failures
t=$(now)
systemctl start bond-up@bond0.service
check "systemctl start brings bond0 back with eth0 and eth1, eth0 active" 30 bash -c '. /lab/guest/reliability.sh; slaves_are bond0 "eth*" && is_active eth0'
check "DHCPv4 lease on bond0" 60 has_dhcp4 bond0
measure "start to converged" "$(since "$t")"
check "bond-up -n bond0: nothing to do" 10 nothing_to_do bond0
check "no error logged by the product this boot" 1 no_product_errors
