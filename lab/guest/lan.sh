#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Runs from lab-lan.service (after udev, before the product's boot unit): the
# access point (hostapd, WPA2-PSK, bridged to the lan) and dnsmasq (DHCPv4,
# DHCPv6, router advertisements; DNS too when a scenario's early part asks: lib.sh
# dnsmasq_conf) in the lan namespace.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /lab/guest/lib.sh

t=$(now)
: >"$LAB_RUN/dnsmasq.leases"
ip netns exec "$LAN_NS" hostapd -B -P "$LAB_RUN/hostapd.pid" -f "$LAB_OUT/hostapd.log" "$LAB/guest/hostapd.conf"
ip netns exec "$LAN_NS" dnsmasq --conf-file="$(dnsmasq_conf lan)" --pid-file="$LAB_RUN/dnsmasq.pid" \
	--dhcp-leasefile="$LAB_RUN/dnsmasq.leases" --log-facility="$LAB_OUT/dnsmasq.log"
ap_enabled() { grep -q 'AP-ENABLED' "$LAB_OUT/hostapd.log"; }
if wait_for 30 ap_enabled; then
	note "lan: access point $SSID up and dnsmasq serving after $(since "$t") s"
else
	note "lan: access point did not come up; hostapd.log:"
	tail -n 20 "$LAB_OUT/hostapd.log" || true
	exit 1
fi
