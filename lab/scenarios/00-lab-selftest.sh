#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The harness itself, without the product: hwsim radios get their names, the
# access point is up, a hand-run wpa_supplicant associates, dnsmasq leases over
# Wi-Fi, a hand-made active-backup bond fails over from wired to Wi-Fi.
# lab-devices: tst0 wifi
# lab-config: selftest.conf
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../guest/lib.sh
. /lab/guest/lib.sh

settle
check "radio wlan0 appeared with its kernel name" 5 exists wlan0
check "wlan0 is a wireless device" 1 test -e /sys/class/net/wlan0/phy80211
check "udev made a device unit for wlan0" 10 unit_active sys-subsystem-net-devices-wlan0.device
check "udev made a device unit for tst0" 10 unit_active sys-subsystem-net-devices-tst0.device
check "hwsimctl list shows the laptop radio" 1 bash -c 'hwsimctl list | grep -q labwifi1'
check "the access point is up in the lan" 1 bash -c "ip netns exec $LAN_NS hostapd_cli -p /run/hostapd -i ap0 status | grep -qx state=ENABLED"

# Wi-Fi by hand.
ip link set wlan0 up
wpa_supplicant -B -i wlan0 -c /etc/wpa_supplicant/wpa_supplicant.conf -P "$LAB_RUN/wpa.pid"
check "wpa_supplicant associates wlan0" 30 associated wlan0
dhclient -1 -pf "$LAB_RUN/dhc.pid" -lf "$LAB_RUN/dhc.leases" wlan0 || true
check "DHCPv4 lease over Wi-Fi" 20 has_dhcp4 wlan0
check "dnsmasq leased to the Wi-Fi MAC" 5 has_lease_for "$(mac_of wlan0)"
check "ping the gateway over Wi-Fi" 10 pings "$GW4"
dhclient -r -pf "$LAB_RUN/dhc.pid" -lf "$LAB_RUN/dhc.leases" wlan0 || true
check "dnsmasq saw the release" 10 dnsmasq_logged "DHCPRELEASE"
kill "$(cat "$LAB_RUN/wpa.pid")"

# A second card comes and goes, one at a time.
w2=$(add_wifi)
check "a second card is named $w2" 5 exists "$w2"
del_wifi "$w2"
check "the second card is gone" 5 absent "$w2"

# An active-backup bond by hand, wired primary, Wi-Fi backup.
modprobe bonding max_bonds=0
ip link add bondt type bond mode active-backup miimon 100 fail_over_mac active
ip link set tst0 down
ip link set tst0 master bondt
ip link set wlan0 down
ip link set wlan0 master bondt
echo tst0 >/sys/class/net/bondt/bonding/primary
ip link set bondt up
wpa_supplicant -B -i wlan0 -c /etc/wpa_supplicant/wpa_supplicant.conf -P "$LAB_RUN/wpa.pid"
check "hand-made bond: wired active" 10 is_active tst0 bondt
check "hand-made bond: Wi-Fi slave associated" 30 associated wlan0
dhclient -1 -pf "$LAB_RUN/dhc.pid" -lf "$LAB_RUN/dhc.leases" bondt || true
check "hand-made bond: DHCPv4 lease" 20 has_dhcp4 bondt
ping_start "$GW4"
sleep 1
t=$(now)
unplug_wired tst0
check "hand-made bond: Wi-Fi takes over" 10 is_active wlan0 bondt
check "hand-made bond: ping continues" 15 ping_ok_since "$t"
measure "hand-made bond: longest ping gap" "$(ping_gap "$t")"
ping_stop "$GW4"
