#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# 9. Devices that are not configured are never touched: not enslaved, not
# brought up or down, addresses and MAC kept, no supplicant; at boot, on
# hotplug, and across bond-down / bond-up.
# lab-devices: eth0 wifi eth1 wifi
# lab-config: untouched.conf
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../guest/lib.sh
. /lab/guest/lib.sh

# fingerprint IF: what the product must not change.
fingerprint() {
	printf '%s master=%s mac=%s mtu=%s flags=%s addrs=%s\n' "$1" "$(master_of "$1")" "$(mac_of "$1")" \
		"$(cat "/sys/class/net/$1/mtu")" "$(cat "/sys/class/net/$1/flags")" \
		"$(ip -o addr show dev "$1" | awk '{ print $4 }' | sort | tr '\n' ',')"
}
fingerprints() { for i in eth1 eth2 wlan1 wlan2 dummy0; do fingerprint "$i"; done; }
same_fingerprints() {
	fingerprints >"$LAB_RUN/fp.now"
	diff "$LAB_RUN/fp.before" "$LAB_RUN/fp.now" >"$LAB_RUN/fp.diff" || { tr '\n' ' ' <"$LAB_RUN/fp.diff"; return 1; }
}
no_wpa_on() { unit_inactive "bond-wpa@$1.service"; }
only_configured_slaves() {
	local s
	s=$(tr ' ' '\n' </sys/class/net/bond0/bonding/slaves | sort | tr '\n' ' ')
	[ "$s" = "eth0 wlan0 " ] || { echo "slaves: $s"; return 1; }
}

require "converged: eth0 active, wlan0 associated, DHCPv4 and DHCPv6" 90 converged_laptop
check "eth1 (present at boot) is not enslaved" 1 no_master eth1
check "eth1 was not brought up" 1 bash -c '! ip -o link show dev eth1 | grep -q "[<,]UP[,>]"'
check "wlan1 (present at boot) is not enslaved" 1 no_master wlan1
check "no supplicant on wlan1" 1 no_wpa_on wlan1

note "hot-plugging eth2, a Wi-Fi card and a dummy0, configured by hand"
plug_wired eth2
w=$(add_wifi)
note "the new card is $w"
ip link add dummy0 type dummy
settle
ip addr add 10.66.0.5/24 dev eth2
ip link set eth2 up
ip addr add 10.55.0.5/24 dev dummy0
ip link set dummy0 up
ip addr add 10.44.0.5/24 dev eth1
sleep 2
settle
check "the hot-plugged card is wlan2" 1 test "$w" = wlan2
fingerprints >"$LAB_RUN/fp.before"
cp "$LAB_RUN/fp.before" "$LAB_OUT/fingerprints-before.txt"
check "eth2 (hot-plugged) is not enslaved" 5 no_master eth2
check "wlan2 (hot-plugged) is not enslaved" 5 no_master wlan2
check "no supplicant on wlan2" 5 no_wpa_on wlan2
check "unconfigured devices unchanged after hotplug" 3 same_fingerprints

note "bond-up (converged), bond-down, bond-up"
bond-up bond0 || true
check "unconfigured devices unchanged after a converged bond-up" 2 same_fingerprints
bond-down bond0 || true
check "unconfigured devices unchanged after bond-down" 2 same_fingerprints
bond-up bond0 || true
check "bond0 back" 60 converged_laptop
check "unconfigured devices unchanged after bond-up" 2 same_fingerprints
check "only eth0 and wlan0 are slaves of bond0" 2 only_configured_slaves
