#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Runs from lab-early.service before udev starts, like hardware found at boot:
# loads the simulators, builds the lan side's skeleton (namespace, bridge, the
# access point's radio), creates the scenario's boot-time NICs and installs its
# network.conf. udev then sees the NICs through its queued events and coldplug.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /lab/guest/lib.sh

scenario=$(cat "$LAB/scenario" 2>/dev/null || echo none)
mkdir -p "$LAB_OUT"
note "early: scenario $scenario, uptime $(uptime_s) s"

modprobe veth
modprobe bridge
modprobe mac80211_hwsim radios=0

# The lan: a bridge with a fixed MAC (else it takes its lowest port's MAC).
ip netns add "$LAN_NS"
ip -n "$LAN_NS" link set lo up
ip -n "$LAN_NS" link add "$LAN_BR" address "$LAN_BR_MAC" type bridge forward_delay 0 stp_state 0
ip netns exec "$LAN_NS" sysctl -qw net.ipv6.conf.all.forwarding=1
for a in "$GW4/24" "$STATIC_GW4/24" "$ROUTED_HOST/16" 10.88.0.1/24; do
	ip -n "$LAN_NS" addr add "$a" dev "$LAN_BR"
done
for a in "$GW6/64" fd77:1::1/64; do
	ip -n "$LAN_NS" addr add "$a" dev "$LAN_BR" nodad
done
ip -n "$LAN_NS" link set "$LAN_BR" up
# hwsim's monitor interface is no NIC of the laptop (and dhclient -r trips on it).
if [ -e /sys/class/net/hwsim0 ]; then
	ip link set hwsim0 netns "$LAN_NS"
fi
# The access point's radio: created here (radios talk only within the namespace
# group they were created in), without a wlanN, then moved into the lan.
hwsimctl new --custom-reg --no-vif --name labap >/dev/null
iw phy labap set netns name "$LAN_NS"
ip netns exec "$LAN_NS" iw phy labap interface add ap0 type managed

# The scenario's boot-time devices and config, from its header lines:
#   # lab-devices: eth0 wifi bonding-defaults
#   # lab-config: laptop.conf
# (and "# lab-timeout: SECONDS", read by guest/run.sh)
script=$LAB/scenarios/$scenario.sh
devices=""
config=""
if [ -f "$script" ]; then
	devices=$(sed -n 's/^# lab-devices://p' "$script" | head -n1)
	config=$(sed -n 's/^# lab-config://p' "$script" | head -n1 | tr -d ' ')
fi
for d in $devices; do
	case "$d" in
	wifi) note "early: Wi-Fi card $(add_wifi)" ;;
	wifi-blocked)
		# A card whose radio is blocked at boot (airplane mode, a BIOS switch).
		w=$(add_wifi)
		block_wifi "$w"
		note "early: Wi-Fi card $w, radio blocked (rfkill soft)"
		;;
	bonding-defaults)
		# Someone loaded bonding with the module's defaults (balance-rr, one bond).
		modprobe bonding max_bonds=1
		note "early: bond0 pre-created: $(cat /sys/class/net/bond0/bonding/mode)"
		;;
	*)
		plug_wired "$d"
		note "early: wired NIC $d"
		;;
	esac
done
if [ -n "$config" ]; then
	install -o root -g root -m 0644 "$LAB/scenarios/conf/$config" /etc/conf.d/network.conf
	note "early: /etc/conf.d/network.conf from $config"
fi
# A scenario's own boot-time setup (units of its own in /run/systemd/system, ...):
# scenarios/NN-name.early, sourced here, before udev and the boot unit start.
if [ -f "$LAB/scenarios/$scenario.early" ]; then
	# shellcheck source=/dev/null
	. "$LAB/scenarios/$scenario.early"
fi
