# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# The DNS scenarios' helpers (90, 91; issue 17 item 3): a name server on each
# network that knows a name no other knows (home: home.lab.test, the café:
# menu.cafe.test), asked by its short name through the system's resolver; bond-up
# and bond-down with their figures; what of ours may be left; the move from home
# (cable) to the café (Wi-Fi) over the café of lib.sh. Sourced by the scenarios and
# their .early parts; sources lib.sh (reliability.sh, roam.sh).
# shellcheck source-path=SCRIPTDIR source=reliability.sh
. /lab/guest/reliability.sh
# shellcheck source-path=SCRIPTDIR source=roam.sh
. /lab/guest/roam.sh

# shellcheck disable=SC2034
{
	D4=bond-dhcp4@bond0.service
	D6=bond-dhcp6@bond0.service
	HOME_ADDR=10.77.0.10
	CAFE_ADDR=10.66.0.10
}

# dns_conf NAME BASE DOMAIN HOST ADDR GW4 GW6: writes $LAB_RUN/dnsmasq-NAME.conf, the
# lab's BASE configuration that also answers DNS (port 53) on GW4 and [GW6], knows
# HOST.DOMAIN (nothing else: no-resolv, no upstream) and names itself and DOMAIN in
# both leases (lib.sh dnsmasq_conf then starts that network's dnsmasq with it).
dns_conf() {
	local name=$1 base=$2 domain=$3 host=$4 addr=$5 gw4=$6 gw6=$7
	{
		sed 's/^port=0$/port=53/' "$base"
		echo "host-record=$host.$domain,$addr"
		echo "dhcp-option=option:dns-server,$gw4"
		echo "dhcp-option=option:domain-name,$domain"
		echo "dhcp-option=option6:dns-server,[$gw6]"
		echo "dhcp-option=option6:domain-search,$domain"
	} >"$LAB_RUN/dnsmasq-$name.conf"
}
dns_lan_conf() { dns_conf lan "$LAB/guest/dnsmasq.conf" lab.test home "$HOME_ADDR" "$GW4" "$GW6"; }
dns_cafe_conf() { dns_conf cafe "$LAB/guest/dnsmasq-cafe.conf" cafe.test menu "$CAFE_ADDR" "$CAFE_GW4" "$CAFE_GW6"; }

# dns_lan_restart: the lan's dnsmasq again, with DNS (for a scenario whose boot had
# the lab's plain one).
dns_lan_restart() {
	dns_lan_conf
	dnsmasq_stop
	dnsmasq_start
}

# resolves SHORT ADDR / not_resolves SHORT: SHORT, completed by the search domain,
# through the system's resolver (nsswitch: resolv.conf, or resolved's stub).
# No bound on a try: under load dnsmasq's answer took over 1 s (run
# 20261207-124053-155524886), resolved's first answer (its probes of the new server)
# longer than 1 s a try for 30 s (run 20261207-130111-*). A try against the user's
# unanswered TEST-NET server, before our file is in, can hold glibc 2 x 5 s: the
# PASS time is an upper bound, the journal's "DNS via" line the moment
# (bond-hotplug(8), DNS).
resolves() {
	local got
	got=$(getent hosts "$1" | awk '{ print $1 }') || true
	[ "$got" = "$2" ] || { echo "getent hosts $1: '$got'; resolv.conf: $(tr '\n' '|' </etc/resolv.conf 2>&1)"; return 1; }
}
not_resolves() { ! getent hosts "$1" >/dev/null || { echo "still resolves: $(getent hosts "$1")"; return 1; }; }

# no_ours_left: none of our DNS files (the units' data, our resolv.conf and the copy
# of the user's) is left.
no_ours_left() {
	local f left=""
	for f in /run/bond-hotplug/bond-dhcp4-bond0/dns /run/bond-hotplug/bond-dhcp6-bond0/dns /etc/resolv.conf.bond-hotplug-saved /etc/resolv.conf.bond-hotplug-new; do
		[ ! -e "$f" ] || left="$left $f"
	done
	if grep -q bond-hotplug /etc/resolv.conf 2>/dev/null; then left="$left /etc/resolv.conf(ours)"; fi
	[ -z "$left" ] || { echo "left:$left"; return 1; }
}
file_has() { grep -qx -- "$2" "$1" 2>/dev/null || { echo "$1: $(tr '\n' '|' <"$1" 2>&1)"; return 1; }; }
file_lacks() { ! grep -qx -- "$2" "$1" 2>/dev/null || { echo "$1: $(tr '\n' '|' <"$1" 2>&1)"; return 1; }; }
gone() { [ ! -e "$1" ] || { echo "$1: $(tr '\n' '|' <"$1" 2>&1)"; return 1; }; }
# resolv_names FILE SERVER... / resolv_lacks FILE SERVER...: FILE (a resolv.conf or a
# resolvconf record) names each SERVER / none of them; "search D" lines work too.
resolv_names() { resolv_lines file_has "$@"; }
resolv_lacks() { resolv_lines file_lacks "$@"; }
# resolv_lines CHECK FILE SERVER...: CHECK (file_has, file_lacks) on FILE for each
# SERVER's "nameserver S" line, or a "search D" line as it is.
resolv_lines() {
	local check=$1 f=$2 s
	shift 2
	for s; do
		case "$s" in search\ *) ;; *) s="nameserver $s" ;; esac
		"$check" "$f" "$s" || return 1
	done
}

down() {
	local rc=0
	bond-down bond0 >"$LAB_RUN/down.out" 2>&1 || rc=$?
	expect_eq "$1: bond-down" "exit $rc" "exit 0"
}
# up PART: bond-up at home, then the figures: bond-up -> DHCPv4 address -> name
# resolvable.
up() {
	local rc=0
	bond-up bond0 >"$LAB_RUN/up.out" 2>&1 || rc=$?
	expect_eq "$1: bond-up" "exit $rc" "exit 0"
	check "$1: DHCPv4 address (from bond-up)" 60 has_dhcp4 bond0
	check "$1: home.lab.test by its short name through the lan's name server (from the DHCPv4 address)" 30 resolves home "$HOME_ADDR"
	check "$1: DHCPv6 address" 60 has_dhcp6 bond0
}
# backend WHICH: the journal since $T0 names the backend used, by the line's
# identifier, not its unit: --dns-update is a short-lived process that journald may
# fail to attribute to the unit (it reads the sender's cgroup after the sender has
# exited: the check failed so once, with the line in the journal).
backend() {
	journalctl -b --no-pager -o cat -t bond-hotplug --since "@$T0" | grep -q "DNS via $1 " ||
		{ echo "journal: $(journalctl -b --no-pager -o cat -t bond-hotplug --since "@$T0" | grep 'DNS via' | tail -n 2 | tr '\n' '|')"; return 1; }
}

# to_cafe PART: the laptop leaves home for the café, as in scenario 81: the Wi-Fi
# (a card added at the first move, with the café in the user's supplicant file and
# only the café's AP in reach) joins the café as the backup, then the cable goes
# out: the Wi-Fi carries traffic there, the café's leases replace home's, and
# menu.cafe.test resolves by its short name through the café's name server while
# home's name does not. The backend's own checks follow in the scenario.
# back_home (after bond-down): the cable in, for the next part's bond-up at home.
to_cafe() {
	local part=$1 wl t
	if [ ! -s "$LAB_RUN/dns-wifi" ]; then
		dns_cafe_conf
		wpa_conf_with_cafe
		home_ap_down
		cafe_up
		add_wifi >"$LAB_RUN/dns-wifi"
	fi
	wl=$(cat "$LAB_RUN/dns-wifi")
	check "$part: $wl associated to the café's AP (the backup)" 60 associated_to "$CAFE_SSID" "$wl"
	check "$part: $wl enslaved and up" 30 slave_mii_up "$wl"
	T0=$(date +%s)
	t=$(now)
	note "$part: to the café: the cable out of eth0"
	cable_out eth0
	check "$part: $wl active at the café" 30 path_up "$wl"
	check "$part: café DHCPv4 address on bond0" 60 has_cafe4 bond0
	check "$part: menu.cafe.test by its short name through the café's name server" 30 resolves menu "$CAFE_ADDR"
	measure "$part: cable out to the café's name resolvable" "$(since "$t")"
	check "$part: café DHCPv6 address on bond0" 60 has_cafe6 bond0
	check "$part: home IPv4 address gone" 15 no_home4 bond0
	# dhclient-script removes an address only on EXPIRE6/RELEASE6/STOP6, none of which
	# a Confirm answered NotOnLink then a Solicit runs: the supervisor removes home's
	# /128 itself when home's router did not answer (run 20261207-145228-3556534902
	# had fd77::161/128 beside the café's, an hour left).
	check "$part: home DHCPv6 address gone" 30 no_home6 bond0
	check "$part: home's name no longer resolves (home's server and search domain gone)" 30 not_resolves home
}
back_home() { cable_in eth0; }
