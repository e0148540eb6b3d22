# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# Guest-side helpers of the VM lab, sourced by early.sh, lan.sh, run.sh and the
# scenarios. They drive only the kernel (veth, hwsim radios, namespaces) and
# observe the installed product through the kernel, systemd and the lan side;
# they never call the product's library.

LAB=${LAB:-/lab}
LAB_OUT=${LAB_OUT:-$LAB/out}
LAB_RUN=/run/lab
LAB_RESULTS=$LAB_OUT/results
PATH=$LAB/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH LC_ALL=C

# The lan side (see early.sh and lan.sh); used by the scripts that source this.
# shellcheck disable=SC2034
{
	LAN_NS=lan
	LAN_BR=lanbr
	LAN_BR_MAC=02:1a:b0:00:00:01
	GW4=10.77.0.1
	GW6=fd77::1
	STATIC_GW4=192.168.77.1
	ROUTED_HOST=10.99.0.1
	SSID=MyHome
}

mkdir -p "$LAB_RUN"

now() { echo "$EPOCHREALTIME"; }
# since T: seconds elapsed since T (from now), two decimals.
since() { awk -v s="$1" -v e="$(now)" 'BEGIN { printf "%.2f", e - s }'; }
uptime_s() { cut -d' ' -f1 /proc/uptime; }

# note TEXT: a timeline line, to the console/journal and to the output log,
# stamped with the wall clock and the guest's uptime (one clock for early.sh,
# lan.sh and the scenario alike). No subprocess: it is called often.
note() {
	local up line
	read -r up _ </proc/uptime
	printf -v line '%(%T)T [%7.2f] %s' -1 "$up" "$*"
	echo "$line"
	if [ -d "$LAB_OUT" ]; then
		echo "$line" >>"$LAB_OUT/timeline.log"
	fi
	return 0
}

result() {
	echo "$*" >>"$LAB_RESULTS"
	note "$*"
}
pass() { result "PASS $1 ($2 s)"; }
fail() { result "FAIL $1: $2"; }
# measure NAME SECONDS: a timing worth reporting that is not an assertion.
measure() { result "TIME $1 ($2 s)"; }

# past DEADLINE: true once the clock is past DEADLINE (epoch seconds).
past() { awk -v d="$1" -v n="$(now)" 'BEGIN { exit !(n >= d) }'; }

# wait_for TIMEOUT CMD...: poll CMD every 0.1 s until it succeeds; 1 on time-out
# (TIMEOUT in whole seconds). The clock is read without a subprocess: polling
# loops run often, and every fork costs under TCG.
wait_for() {
	local end=$((${EPOCHREALTIME/./} + $1 * 1000000))
	shift
	while :; do
		if "$@" >/dev/null 2>&1; then
			return 0
		fi
		if ((${EPOCHREALTIME/./} >= end)); then
			return 1
		fi
		sleep 0.1
	done
}

# check NAME TIMEOUT CMD...: PASS with the time CMD took to become true, or
# FAIL with CMD's own output. Never fails itself (scenarios run with set -e);
# LAB_OK tells the outcome.
LAB_OK=1
check() {
	local name=$1 timeout=$2 t out
	shift 2
	t=$(now)
	if wait_for "$timeout" "$@"; then
		LAB_OK=1
		pass "$name" "$(since "$t")"
		return 0
	fi
	LAB_OK=0
	out=$("$@" 2>&1 | tail -n 6 | tr '\n' ' ' | cut -c1-400) || true
	fail "$name" "not true within ${timeout} s: $* -> ${out:-no output}"
	return 0
}

# require NAME TIMEOUT CMD...: check, and end the scenario when it fails
# (later checks would only repeat the same failure).
require() {
	check "$@"
	if [ "$LAB_OK" = 0 ]; then
		note "a precondition failed: ending the scenario"
		exit 1
	fi
}

# expect_eq NAME GOT WANT
expect_eq() {
	if [ "$2" = "$3" ]; then
		pass "$1" 0.00
	else
		fail "$1" "got '$2', want '$3'"
	fi
}

## Observations (exit status is the answer; output explains a failure).

bond_file() { cat "/proc/net/bonding/${1:-bond0}"; }
# bond_has LINE [MASTER]: /proc/net/bonding/MASTER has this exact line.
bond_has() { grep -qxF -- "$1" "/proc/net/bonding/${2:-bond0}" || { grep -v '^$' "/proc/net/bonding/${2:-bond0}" | head -n 12; return 1; }; }
active_slave() { cat "/sys/class/net/${1:-bond0}/bonding/active_slave" 2>/dev/null; }
is_active() {
	local a
	a=$(active_slave "${2:-bond0}")
	[ "$a" = "$1" ] || { echo "active slave: '${a}'"; return 1; }
}
master_of() { basename "$(readlink "/sys/class/net/$1/master" 2>/dev/null)" 2>/dev/null; }
is_slave_of() {
	local m
	m=$(master_of "$1")
	[ "$m" = "$2" ] || { echo "$1 master: '${m}'"; return 1; }
}
no_master() { [ ! -e "/sys/class/net/$1/master" ] || { echo "$1 master: $(master_of "$1")"; return 1; }; }
exists() { [ -e "/sys/class/net/$1" ] || { echo "$1 absent"; return 1; }; }
absent() { [ ! -e "/sys/class/net/$1" ] || { echo "$1 present"; return 1; }; }
is_up() { ip -o link show dev "$1" | grep -q '[<,]UP[,>]' || { ip -o link show dev "$1"; return 1; }; }
mac_of() { cat "/sys/class/net/$1/address" 2>/dev/null; }
same_mac() {
	[ "$(mac_of "$1")" = "$(mac_of "$2")" ] || { echo "$1 $(mac_of "$1") vs $2 $(mac_of "$2")"; return 1; }
}
# has_addr DEV REGEX: an address of DEV (ip -o addr) matches.
has_addr() { ip -o addr show dev "$1" 2>&1 | grep -qE -- "$2" || { ip -o addr show dev "$1" 2>&1 | awk '{print $4}' | tr '\n' ' '; return 1; }; }
no_addr() { ! ip -o addr show dev "$1" 2>/dev/null | grep -qE -- "$2" || { ip -o addr show dev "$1" | grep -E -- "$2"; return 1; }; }
ipv4_of() { ip -o -4 addr show dev "${1:-bond0}" 2>/dev/null | awk '$4 ~ /^10\.77\.0\./ { print $4; exit }'; }
ipv6_of() { ip -o -6 addr show dev "${1:-bond0}" 2>/dev/null | awk '$4 ~ /^fd77::/ { print $4; exit }'; }
has_dhcp4() { has_addr "${1:-bond0}" ' inet 10\.77\.0\.(1[0-9][0-9])/24'; }
has_dhcp6() { has_addr "${1:-bond0}" ' inet6 fd77::1[0-9a-f][0-9a-f]/'; }
has_route() { ip route show "$1" 2>&1 | grep -q . || { echo "no route $1"; return 1; }; }
no_route() { ! ip route show "$1" 2>/dev/null | grep -q . || { ip route show "$1"; return 1; }; }
pings() { ping -n -c 1 -W 1 "$1" >/dev/null 2>&1 || { ping -n -c 1 -W 2 "$1" 2>&1 | tail -n 2; return 1; }; }
unit_active() { systemctl is-active --quiet "$1" || { echo "$1: $(systemctl is-active "$1" 2>&1)"; return 1; }; }
unit_inactive() { ! systemctl is-active --quiet "$1" || { echo "$1: active"; return 1; }; }
# product_units: the transient units of bond-hotplug that are loaded and active.
product_units() {
	systemctl list-units --all --plain --no-legend 'bond-wpa@*' 'bond-dhcp4@*' 'bond-dhcp6@*' 2>/dev/null |
		awk '$3 != "inactive" { print $1 }'
}
no_product_units() { [ -z "$(product_units)" ] || { product_units | tr '\n' ' '; return 1; }; }
# nothing_to_do MASTER: bond-up -n says the master is converged.
nothing_to_do() {
	local out
	out=$(bond-up -n "$1" 2>&1) || { echo "bond-up -n exit $?: $out" | tail -n 4; return 1; }
	[ "$out" = "$1: nothing to do" ] || { echo "$out" | tail -n 6; return 1; }
}
no_dhcp_units() { ! product_units | grep -q 'bond-dhcp' || { product_units | tr '\n' ' '; return 1; }; }
associated() { iw dev "$1" link 2>&1 | grep -q "SSID: $SSID" || { iw dev "$1" link 2>&1 | head -n 2; return 1; }; }
# slave_mii_up IF [MASTER]: the bonding driver sees the slave with link up.
slave_mii_up() {
	awk -v s="$1" '$0 == "Slave Interface: " s { f = 1; next } f && /^MII Status:/ { print $3; exit }' \
		"/proc/net/bonding/${2:-bond0}" 2>/dev/null | grep -qx up || { echo "$1 not an up slave of ${2:-bond0}"; return 1; }
}
lease_of_mac() { grep -i " $1 " "$LAB_RUN/dnsmasq.leases" 2>/dev/null; }
has_lease_for() { lease_of_mac "$1" | grep -q . || { echo "leases:"; cat "$LAB_RUN/dnsmasq.leases" 2>&1; return 1; }; }
dnsmasq_logged() { grep -qE -- "$1" "$LAB_OUT/dnsmasq.log" || { echo "dnsmasq.log: no /$1/"; return 1; }; }
journal_has() { journalctl -b --no-pager -o cat 2>/dev/null | grep -qE -- "$1" || { echo "journal: no /$1/"; return 1; }; }

# converged_laptop [WIRED] [WIFI]: the seed's "test results" state is reached.
converged_laptop() {
	local wired=${1:-eth0} wifi=${2:-wlan0}
	is_active "$wired" && slave_mii_up "$wifi" && associated "$wifi" && has_dhcp4 bond0 && has_dhcp6 bond0
}

## Devices: wired NICs are veth pairs whose far end is a port of the lan bridge.

# plug_wired NAME [PEER_NS]: a new "USB NIC" NAME cabled to the lan.
plug_wired() {
	local name=$1 ns=${2:-$LAN_NS}
	ip link add "$name" type veth peer name "w-$name" netns "$ns"
	if [ "$ns" = "$LAN_NS" ]; then
		ip -n "$ns" link set "w-$name" master "$LAN_BR"
	fi
	ip -n "$ns" link set "w-$name" up
}
unplug_wired() { ip link del "$1"; }
# cable_out NAME / cable_in NAME: the NIC stays, its carrier goes and comes back.
cable_out() { ip -n "$LAN_NS" link set "w-$1" down; }
cable_in() { ip -n "$LAN_NS" link set "w-$1" up; }

# add_wifi [MAC]: insert a new Wi-Fi card (an hwsim radio with the custom regulatory
# domain, in the root namespace) and print the name the kernel gave it. With MAC,
# the card has that permanent address (the same card inserted again); without,
# the kernel gives each radio another.
add_wifi() {
	local n phy dev
	n=$(($(cat "$LAB_RUN/radios" 2>/dev/null || echo 0) + 1))
	echo "$n" >"$LAB_RUN/radios"
	phy=labwifi$n
	hwsimctl new --custom-reg --name "$phy" ${1:+--perm-addr "$1"} >/dev/null
	for _ in $(seq 50); do
		for dev in /sys/class/net/*; do
			if [ "$(cat "$dev/phy80211/name" 2>/dev/null)" = "$phy" ]; then
				basename "$dev"
				return 0
			fi
		done
		sleep 0.1
	done
	echo "add_wifi: no interface for radio $phy" >&2
	return 1
}
# del_wifi IFACE: pull the card that carries IFACE.
del_wifi() {
	local phy
	phy=$(cat "/sys/class/net/$1/phy80211/name")
	hwsimctl del "$phy"
}

# settle: let udev finish (MAC rewrites, RUN hooks started).
settle() { udevadm settle --timeout=30 2>/dev/null || true; }

## A running ping with timestamps, to measure outages across a change.

ping_start() {
	local addr=${1:-$GW4}
	ping -D -n -i 0.2 -W 1 "$addr" >"$LAB_OUT/ping-$addr.log" 2>&1 &
	echo $! >"$LAB_RUN/ping-$addr.pid"
}
ping_stop() {
	local addr=${1:-$GW4}
	kill "$(cat "$LAB_RUN/ping-$addr.pid")" 2>/dev/null || true
}
# ping_gap T [ADDR]: the longest time without a reply since T (epoch seconds),
# counting the time from the last reply to now.
ping_gap() {
	local t=$1 addr=${2:-$GW4}
	grep -o '^\[[0-9.]*\] .* bytes from' "$LAB_OUT/ping-$addr.log" | tr -d '[' | awk -v t="$t" -v n="$(now)" '
		$1 < t { next }
		{ if (prev == "") prev = t; if ($1 - prev > g) g = $1 - prev; prev = $1 }
		END { if (prev == "") prev = t; if (n - prev > g) g = n - prev; printf "%.2f", g }'
}
# ping_ok_since T [ADDR]: replies arrive again after T, and the latest is recent.
ping_ok_since() {
	local g
	g=$(awk -v t="$1" -v n="$(now)" 'BEGIN { print n - t }')
	awk -v x="$g" 'BEGIN { exit !(x > 1) }' || return 1
	grep -o '^\[[0-9.]*\] .* bytes from' "$LAB_OUT/ping-${2:-$GW4}.log" | tr -d '[' |
		awk -v t="$1" -v n="$(now)" '$1 >= t { last = $1 } END { exit !(last != "" && n - last < 1.5) }'
}

## The configuration file, edited while the system runs (issue 8: edit, then reload).

# set_conf: replace /etc/conf.d/network.conf with stdin (root's, 0644, as installed).
set_conf() {
	cat >"$LAB_RUN/network.conf.new"
	install -o root -g root -m 0644 "$LAB_RUN/network.conf.new" /etc/conf.d/network.conf
}
# reload_master MASTER: systemctl reload bond-up@MASTER; PASS/FAIL on its status.
reload_master() {
	local t rc=0
	t=$(now)
	systemctl reload "bond-up@$1.service" >"$LAB_RUN/reload.out" 2>&1 || rc=$?
	if [ "$rc" = 0 ]; then
		pass "systemctl reload bond-up@$1 exits 0" "$(since "$t")"
	else
		fail "systemctl reload bond-up@$1 exits 0" "exit $rc: $(tr '\n' ' ' <"$LAB_RUN/reload.out") $(journalctl -b --no-pager -o cat -n 5 -u "bond-up@$1.service" | tr '\n' ' ')"
	fi
}
# no_primary MASTER: the bond has no primary.
no_primary() { local p; p=$(cat "/sys/class/net/$1/bonding/primary"); [ -z "$p" ] || { echo "primary: $p"; return 1; }; }
# has_route6 PREFIX / no_route6 PREFIX: the same for IPv6 (plain `ip route` lists IPv4 only).
has_route6() { ip -6 route show "$1" 2>&1 | grep -q . || { echo "no route $1"; return 1; }; }
no_route6() { ! ip -6 route show "$1" 2>/dev/null | grep -q . || { ip -6 route show "$1"; return 1; }; }

## Airplane mode (issue 17.1): the rfkill switch of a card's radio, through sysfs
## (each wiphy has one under /sys/class/rfkill; hwsim has no hard switch, so
## "blocked at boot" uses the soft one, which the kernel treats the same way).

# rfkill_of IF: the sysfs directory of the rfkill switch of IF's radio.
rfkill_of() { local d; for d in /sys/class/net/"$1"/phy80211/rfkill*; do [ -e "$d/soft" ] && { echo "$d"; return 0; }; done; echo "no rfkill switch for $1" >&2; return 1; }
block_wifi() { echo 1 >"$(rfkill_of "$1")/soft"; }
unblock_wifi() { echo 0 >"$(rfkill_of "$1")/soft"; }
is_blocked() { [ "$(cat "$(rfkill_of "$1")/soft")" = 1 ] || { echo "$1 radio not blocked"; return 1; }; }
is_down() { ! ip -o link show dev "$1" | grep -q '[<,]UP[,>]' || { ip -o link show dev "$1"; return 1; }; }
no_active_slave() { local a; a=$(active_slave "${1:-bond0}"); [ -z "$a" ] || { echo "active slave: $a"; return 1; }; }

## A second network: the café (issue 17). Another access point (SSID Cafe, WPA2-PSK,
## channel 6), another subnet (10.66.0.0/24, fd66::/64) and its own dnsmasq (DHCPv4,
## DHCPv6, router advertisements; hostapd-cafe.conf, dnsmasq-cafe.conf) in its own
## namespace. Shared by the roaming scenarios (80-84) and the DNS scenarios' café
## check: keep these functions' names and what they leave behind stable.
# shellcheck disable=SC2034
{
	CAFE_NS=cafe
	CAFE_BR=cafebr
	CAFE_BR_MAC=02:1a:b0:00:00:66
	CAFE_GW4=10.66.0.1
	CAFE_GW6=fd66::1
	CAFE_SSID=Cafe
	# The routers' link-local addresses (EUI-64 of the bridges' fixed MACs): the source
	# of their router advertisements, so the IPv6 default route's next hop.
	HOME_RTR6=fe80::1a:b0ff:fe00:1
	CAFE_RTR6=fe80::1a:b0ff:fe00:66
}

# cafe_up: the café's namespace, bridge and radio (made once), then its access point
# and dnsmasq (started if not running; with $LAB_RUN/dnsmasq-cafe.conf when a scenario
# wrote one, as the DNS scenarios do: guest/dns.sh). The radio is created from the root namespace,
# like the home AP's in early.sh (hwsim radios hear only radios created in the same
# namespace group), then moved into the café's.
cafe_up() {
	local t
	t=$(now)
	if ! ip netns list | grep -qw "$CAFE_NS"; then
		ip netns add "$CAFE_NS"
		ip -n "$CAFE_NS" link set lo up
		ip -n "$CAFE_NS" link add "$CAFE_BR" address "$CAFE_BR_MAC" type bridge forward_delay 0 stp_state 0
		ip netns exec "$CAFE_NS" sysctl -qw net.ipv6.conf.all.forwarding=1
		ip -n "$CAFE_NS" addr add "$CAFE_GW4/24" dev "$CAFE_BR"
		ip -n "$CAFE_NS" addr add "$CAFE_GW6/64" dev "$CAFE_BR" nodad
		ip -n "$CAFE_NS" link set "$CAFE_BR" up
		hwsimctl new --custom-reg --no-vif --name labcafe >/dev/null
		iw phy labcafe set netns name "$CAFE_NS"
		ip netns exec "$CAFE_NS" iw phy labcafe interface add cap0 type managed
		: >"$LAB_RUN/dnsmasq-cafe.leases"
	fi
	if ! kill -0 "$(cat "$LAB_RUN/dnsmasq-cafe.pid" 2>/dev/null)" 2>/dev/null; then
		ip netns exec "$CAFE_NS" dnsmasq --conf-file="$(dnsmasq_conf cafe)" \
			--pid-file="$LAB_RUN/dnsmasq-cafe.pid" --dhcp-leasefile="$LAB_RUN/dnsmasq-cafe.leases" \
			--log-facility="$LAB_OUT/dnsmasq-cafe.log"
	fi
	cafe_ap_up
	note "cafe: access point $CAFE_SSID and dnsmasq up after $(since "$t") s"
}
# dnsmasq_conf lan|cafe: that network's dnsmasq configuration: the scenario's own
# ($LAB_RUN/dnsmasq-NAME.conf, e.g. with DNS: guest/dns.sh) or the lab's.
dnsmasq_conf() {
	if [ -f "$LAB_RUN/dnsmasq-$1.conf" ]; then
		echo "$LAB_RUN/dnsmasq-$1.conf"
	elif [ "$1" = lan ]; then
		echo "$LAB/guest/dnsmasq.conf"
	else
		echo "$LAB/guest/dnsmasq-$1.conf"
	fi
}
# cafe_ap_up / cafe_ap_down: the café's access point comes into reach / goes out of
# reach (hostapd started / stopped: its stations are deauthenticated at once).
cafe_ap_up() { ap_start "$CAFE_NS" "$LAB/guest/hostapd-cafe.conf" cafe; }
cafe_ap_down() { ap_stop cafe; }
# home_ap_down / home_ap_up: the same for the home access point that lan.sh started.
home_ap_down() { ap_stop home; }
home_ap_up() { ap_start "$LAN_NS" "$LAB/guest/hostapd.conf" home; }
# ap_start NS CONF NAME / ap_stop NAME: hostapd for one access point, its log in
# $LAB_OUT/hostapd-NAME.log; ap_start returns once the AP is enabled. The home AP's
# first hostapd is lan.sh's (hostapd.pid).
ap_pidfiles() {
	echo "$LAB_RUN/hostapd-$1.pid"
	if [ "$1" = home ]; then
		echo "$LAB_RUN/hostapd.pid"
	fi
}
ap_start() {
	local ns=$1 conf=$2 name=$3 log f
	log=$LAB_OUT/hostapd-$name.log
	for f in $(ap_pidfiles "$name"); do
		if kill -0 "$(cat "$f" 2>/dev/null)" 2>/dev/null; then
			return 0
		fi
	done
	: >"$log"
	ip netns exec "$ns" hostapd -B -P "$LAB_RUN/hostapd-$name.pid" -f "$log" "$conf"
	wait_for 30 grep -q AP-ENABLED "$log" || { note "hostapd $name did not come up"; tail -n 20 "$log"; return 1; }
}
ap_stop() {
	local pid f
	for f in $(ap_pidfiles "$1"); do
		pid=$(cat "$f" 2>/dev/null) || continue
		kill "$pid" 2>/dev/null || true
		wait_for 10 pid_gone "$pid" || true
		rm -f "$f"
	done
}
pid_gone() { ! kill -0 "$1" 2>/dev/null; }

# wpa_conf_with_cafe: the user's /etc/wpa_supplicant/wpa_supplicant.conf holds both
# networks, in the seed's format (home first, with its higher priority). Takes
# effect for supplicants started afterwards (add_wifi after it, or a restart).
wpa_conf_with_cafe() {
	grep -q "ssid=\"$CAFE_SSID\"" /etc/wpa_supplicant/wpa_supplicant.conf && return 0
	cat >>/etc/wpa_supplicant/wpa_supplicant.conf <<-'CONF'

	network={
	        ssid="Cafe"
	        priority=1
	        proto=RSN
	        group=CCMP
	        pairwise=CCMP
	        key_mgmt=WPA-PSK
	        #psk="CoffeeTime"
	        psk=082a9995f612df83390cd41edd08d2b306f0dd8eb786b8c37da66d1e28e72a03
	}
	CONF
}

# associated_to SSID IF: IF is associated to the access point of SSID.
associated_to() { iw dev "$2" link 2>&1 | grep -q "SSID: $1\$" || { iw dev "$2" link 2>&1 | head -n 2; return 1; }; }
# The café's leases on bond0 (its DHCP pools), and the home ones.
has_cafe4() { has_addr "${1:-bond0}" ' inet 10\.66\.0\.(1[0-9][0-9])/24'; }
has_cafe6() { has_addr "${1:-bond0}" ' inet6 fd66::1[0-9a-f][0-9a-f]/'; }
no_home4() { no_addr "${1:-bond0}" ' inet 10\.77\.0\.'; }
no_home6() { no_addr "${1:-bond0}" ' inet6 fd77::1[0-9a-f][0-9a-f]/'; }
no_cafe4() { no_addr "${1:-bond0}" ' inet 10\.66\.0\.'; }
no_cafe6() { no_addr "${1:-bond0}" ' inet6 fd66::1[0-9a-f][0-9a-f]/'; }
# default_via GW [DEV]: the (only or first) default route goes via GW (IPv4 or IPv6).
default_via() {
	local fam=-4
	case "$1" in *:*) fam=-6 ;; esac
	ip "$fam" route show default dev "${2:-bond0}" 2>&1 | grep -q "via $1 " || { ip "$fam" route show default 2>&1 | tr '\n' ' '; return 1; }
}
no_default_via() {
	local fam=-4
	case "$1" in *:*) fam=-6 ;; esac
	! ip "$fam" route show default 2>/dev/null | grep -q "via $1 " || { ip "$fam" route show default | tr '\n' ' '; return 1; }
}
