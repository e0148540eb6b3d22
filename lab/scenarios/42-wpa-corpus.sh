#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# 42. Users' own wpa_supplicant files (issue 15, lab/corpus/), one after the other
# on one boot, each run by bond-wpa@wlan0 as bond-up starts it (sandboxed, no -u:
# D-Bus off): the seed's file verbatim (the image's: /var/run/wpa_supplicant,
# group wheel, update_config=1), Debian's `DIR=/run/wpa_supplicant GROUP=netdev`,
# several networks with priorities, WPA2-Enterprise with EAP-PEAP/MSCHAPv2 and
# EAP-TLS against hostapd's internal EAP server (CA in /etc/ssl/certs, client
# certificate in /etc/wpa_supplicant, key in /etc/ssl/private, made here with
# openssl). For each: associated, the control interface's directory has the
# file's group, a member of that group uses wpa_cli through the socket (and a
# non-member cannot), and `wpa_cli save_config` keeps a network added with wpa_cli
# over a restart of the unit. The unit's exposure is measured with each file.
# lab-devices: eth0 wifi
# lab-config: laptop.conf
# lab-timeout: 420
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../guest/reliability.sh
. /lab/guest/reliability.sh

UNIT=bond-wpa@wlan0.service
CORPUS=$LAB/corpus

# as USER CMD...: run CMD as USER (no shell, no login).
as() { local u=$1; shift; runuser -u "$u" -- "$@"; }
# cli USER DIR CMD...: wpa_cli as USER through the control sockets in DIR.
cli() { local u=$1 d=$2; shift 2; as "$u" wpa_cli -p "$d" -i wlan0 "$@" 2>&1; }
cli_state() { cli "$1" "$2" status | grep -qx 'wpa_state=COMPLETED' || { cli "$1" "$2" status | head -n 3; return 1; }; }
cli_refused() { ! cli "$1" "$2" status | grep -q 'wpa_state=' || { echo "$1 was answered"; return 1; }; }
dir_group() { [ "$(stat -c %G "$1")" = "$2" ] || { stat -c '%U:%G %a %n' "$1"; return 1; }; }
# The name is listed as activatable (Debian ships its D-Bus service file); owned, it
# would have a PID.
dbus_owner() { busctl --system list --no-pager 2>/dev/null | awk '$1 == "fi.w1.wpa_supplicant1" && $2 != "-" { print $3 }'; }
no_dbus_name() { [ -z "$(dbus_owner)" ] || { echo "fi.w1.wpa_supplicant1 owned by $(dbus_owner)"; return 1; }; }
exposure() {
	systemd-analyze security --no-pager "$UNIT" >"$LAB_OUT/security-$1.txt" 2>&1
	awk '/Overall exposure level/ { print $(NF-2) }' "$LAB_OUT/security-$1.txt"
}
at_most() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 <= b + 0) }' || { echo "$1 > $2"; return 1; }; }
measure_exposure() {
	local e
	e=$(exposure "$1")
	note "exposure $UNIT with $1: ${e:-none} (table in security-$1.txt)"
	printf '%s\t%s\n' "$1" "$e" >>"$LAB_OUT/security.tsv"
	check "$1: $UNIT exposure ${e:-?} <= 4.0" 1 at_most "${e:-99}" 4.0
}
# use_file NAME PATH: network.conf names PATH for wlan0; bond-up restarts the unit
# (its command line changed) with a sandbox made for that file.
use_file() {
	set_conf <<EOF
$(cat "$LAB/scenarios/conf/laptop.conf")
wlan0SUPPLICANT_CONF='$2'
EOF
	local rc=0
	bond-up bond0 >"$LAB_RUN/up-$1.out" 2>&1 || rc=$?
	expect_eq "$1: bond-up restarts $UNIT with it" "exit $rc" "exit 0"
}
unit_has() { systemctl show -p ExecStart --value "$UNIT" | grep -qF -- "$1" || { systemctl show -p ExecStart --value "$UNIT"; return 1; }; }

note "1. the seed's wpa_supplicant.conf, verbatim (/etc/wpa_supplicant/wpa_supplicant.conf)"
require "seed: $UNIT running and wlan0 associated with MyHome" 120 associated wlan0
check "seed: $UNIT is active" 10 unit_active "$UNIT"
check "seed: /run/wpa_supplicant belongs to group wheel" 10 dir_group /run/wpa_supplicant wheel
check "seed: wheeluser (group wheel) reads the status with wpa_cli" 10 cli_state wheeluser /var/run/wpa_supplicant
check "seed: netdevuser (not in wheel) is refused" 1 cli_refused netdevuser /var/run/wpa_supplicant
check "seed: D-Bus off (no -u): no fi.w1.wpa_supplicant1 on the bus while wpa_cli works" 1 no_dbus_name
measure_exposure seed
# update_config=1: a network added with wpa_cli is saved into the file.
n=$(cli wheeluser /var/run/wpa_supplicant add_network | tail -n1) || true
note "seed: wpa_cli add_network -> $n"
cli wheeluser /var/run/wpa_supplicant set_network "$n" ssid '"Cafe"' >/dev/null || true
cli wheeluser /var/run/wpa_supplicant set_network "$n" key_mgmt NONE >/dev/null || true
cli wheeluser /var/run/wpa_supplicant set_network "$n" priority 1 >/dev/null || true
saved=$(cli wheeluser /var/run/wpa_supplicant save_config | tail -n1) || true
expect_eq "seed: wpa_cli save_config (update_config=1)" "$saved" "OK"
file_has() { grep -q "$2" "$1" || { echo "$1 lacks $2"; return 1; }; }
check "seed: the file now holds the network added with wpa_cli" 1 file_has /etc/wpa_supplicant/wpa_supplicant.conf 'ssid="Cafe"'
check "seed: and still its own network" 1 file_has /etc/wpa_supplicant/wpa_supplicant.conf 'ssid="MyHome"'
systemctl stop "$UNIT" || true
rc=0
bond-up bond0 >"$LAB_RUN/up-seed-again.out" 2>&1 || rc=$?
expect_eq "seed: bond-up starts the stopped supplicant again" "exit $rc" "exit 0"
check "seed: associated again after the restart" 60 associated wlan0
listed() { cli wheeluser /var/run/wpa_supplicant list_networks | grep -q "	Cafe	" || { cli wheeluser /var/run/wpa_supplicant list_networks; return 1; }; }
check "seed: the network added with wpa_cli survived the restart" 10 listed

note "2. Debian's ctrl_interface=DIR=/run/wpa_supplicant GROUP=netdev"
install -m 0600 "$CORPUS/debian/wpa_supplicant.conf" /etc/wpa_supplicant/debian.conf
use_file debian /etc/wpa_supplicant/debian.conf
check "debian: $UNIT runs the file" 30 unit_has "-c/etc/wpa_supplicant/debian.conf"
check "debian: associated" 60 associated wlan0
check "debian: /run/wpa_supplicant belongs to group netdev" 10 dir_group /run/wpa_supplicant netdev
check "debian: netdevuser (group netdev) reads the status with wpa_cli" 10 cli_state netdevuser /run/wpa_supplicant
check "debian: wheeluser (not in netdev) is refused" 1 cli_refused wheeluser /run/wpa_supplicant
measure_exposure debian

note "3. several networks with priorities (Office 9 absent, MyHome 2, Cafe 0 open, absent)"
install -m 0600 "$CORPUS/users/wpa_supplicant-priorities.conf" /etc/wpa_supplicant/priorities.conf
use_file priorities /etc/wpa_supplicant/priorities.conf
check "priorities: $UNIT runs the file" 30 unit_has "-c/etc/wpa_supplicant/priorities.conf"
check "priorities: associated with MyHome, the best network in range" 60 associated wlan0
three() { [ "$(cli netdevuser /run/wpa_supplicant list_networks | grep -cE '	(Office|MyHome|Cafe)	')" = 3 ] || { cli netdevuser /run/wpa_supplicant list_networks; return 1; }; }
check "priorities: wpa_cli lists the three networks" 10 three

note "4. WPA2-Enterprise against hostapd's internal EAP server (certificates made now)"
pki=$LAB_RUN/pki
mkdir -p "$pki" /etc/ssl/private
cert() { # cert NAME SUBJECT ISSUER: an EC key and a certificate signed by ISSUER (self for the CA)
	openssl ecparam -name prime256v1 -genkey -noout -out "$pki/$1.key" 2>/dev/null
	if [ "$3" = self ]; then
		openssl req -new -x509 -key "$pki/$1.key" -subj "$2" -days 2 -out "$pki/$1.pem" \
			-addext basicConstraints=critical,CA:TRUE 2>/dev/null
	else
		openssl req -new -key "$pki/$1.key" -subj "$2" -out "$pki/$1.csr" 2>/dev/null
		openssl x509 -req -in "$pki/$1.csr" -CA "$pki/$3.pem" -CAkey "$pki/$3.key" -CAcreateserial \
			-days 2 -out "$pki/$1.pem" 2>/dev/null
	fi
}
cert ca "/CN=Lab Corp CA" self
cert server "/CN=radius.corp.example" ca
cert alice "/CN=alice@corp.example" ca
install -m 0644 "$pki/ca.pem" /etc/ssl/certs/lab-corp-ca.pem
install -m 0644 "$pki/alice.pem" /etc/wpa_supplicant/alice.pem
install -m 0600 "$pki/alice.key" /etc/ssl/private/alice.key
if getent group ssl-cert >/dev/null; then chgrp ssl-cert /etc/ssl/private/alice.key && chmod 0640 /etc/ssl/private/alice.key; fi
printf '%s\n' '* PEAP,TLS' '"alice" MSCHAPV2 "alice-password" [2]' >"$pki/eap_users"
cat >"$pki/hostapd-corp.conf" <<EOF
interface=ap0
bridge=lanbr
driver=nl80211
ctrl_interface=/run/hostapd
ssid=Corp
hw_mode=g
channel=1
wpa=2
wpa_key_mgmt=WPA-EAP
rsn_pairwise=CCMP
ieee8021x=1
eap_server=1
eap_user_file=$pki/eap_users
ca_cert=$pki/ca.pem
server_cert=$pki/server.pem
private_key=$pki/server.key
EOF
kill "$(cat "$LAB_RUN/hostapd.pid")"
gone() { ! kill -0 "$(cat "$LAB_RUN/hostapd.pid")" 2>/dev/null; }
wait_for 10 gone || true
ip netns exec "$LAN_NS" hostapd -B -P "$LAB_RUN/hostapd.pid" -f "$LAB_OUT/hostapd-corp.log" "$pki/hostapd-corp.conf"
corp_up() { grep -q 'AP-ENABLED' "$LAB_OUT/hostapd-corp.log"; }
require "corp: the EAP access point (SSID Corp) is up" 30 corp_up
SSID=Corp
for method in peap tls; do
	install -m 0600 "$CORPUS/users/wpa_supplicant-$method.conf" "/etc/wpa_supplicant/$method.conf"
	use_file "$method" "/etc/wpa_supplicant/$method.conf"
	check "$method: $UNIT runs the file" 30 unit_has "-c/etc/wpa_supplicant/$method.conf"
	check "$method: associated with Corp (EAP succeeded)" 60 associated wlan0
	eap_ok() { cli netdevuser /run/wpa_supplicant status | grep -qx "EAP state=SUCCESS" || { cli netdevuser /run/wpa_supplicant status | grep -iE 'eap|state'; return 1; }; }
	check "$method: wpa_cli (netdevuser) reports EAP state=SUCCESS" 10 eap_ok
	measure_exposure "$method"
done

# permission_errors: what the supplicant logged that a sandbox would cause.
permission_errors() {
	journalctl -b --no-pager -o short-monotonic -u "$UNIT" 2>/dev/null |
		grep -iE 'permission denied|read-only file system|operation not permitted|bad system call|SIGSYS|status=31|Failed to initialize control interface|could not (open|read|load)' || true
}
errs=$(permission_errors)
[ -z "$errs" ] || note "permission errors: $errs"
expect_eq "no permission error from the supplicant in the journal, whatever the file" "$(printf '%s' "$errs" | grep -c . || true) lines" "0 lines"
failed_starts=$(journalctl -b --no-pager -o cat -u "$UNIT" | grep -c "Failed with result" || true)
expect_eq "no start of $UNIT failed" "$failed_starts failures" "0 failures"

note "5. a file the sandbox cannot serve (a control directory under /var/lib that does not exist): bond-up --status says so"
printf '%s\n' 'ctrl_interface=/var/lib/wpa-ctl' 'network={' '	ssid="MyHome"' '	psk="SuperSecret"' '}' >/etc/wpa_supplicant/odd.conf
chmod 0600 /etc/wpa_supplicant/odd.conf
use_file odd /etc/wpa_supplicant/odd.conf
# on-failure, 2 s apart, at most 5 starts a minute: then systemd gives up and collects
# it (systemd 252 keeps the result 'exit-code' when the limit stops an auto-restart).
given_up() { journalctl -b --no-pager -o cat -u "$UNIT" | grep -q "Start request repeated too quickly" || { systemctl is-active "$UNIT"; return 1; }; }
check "odd: systemd restarted the failing supplicant and gave up (start request repeated too quickly)" 90 given_up
rc=0
bond-up --status bond0 >"$LAB_OUT/status-odd.txt" 2>&1 || rc=$?
expect_eq "odd: bond-up --status exits 1" "exit $rc" "exit 1"
status_names() { grep -F "  failed:    $UNIT: " "$LAB_OUT/status-odd.txt" | grep -q "$1" || { grep -E 'failed|state' "$LAB_OUT/status-odd.txt"; return 1; }; }
last=$(journalctl -b --no-pager -o cat _SYSTEMD_UNIT="$UNIT" | tail -n 1)
note "odd: the last line bond-wpa@wlan0 logged: $last"
check "odd: --status names the unit, its result and that last line" 1 status_names "exit-code: $(printf '%s' "$last" | cut -c1-40 | sed 's/[][\.*^$]/./g')"
rc=0
bond-up --status --json bond0 >"$LAB_OUT/status-odd.json" 2>&1 || rc=$?
json_has() { grep -q "$1" "$LAB_OUT/status-odd.json" || { echo "no $1 in status-odd.json"; return 1; }; }
check "odd: --json: state failed" 1 json_has '"state": "failed"'
check "odd: --json: the unit's result" 1 json_has '"result": "exit-code"'
check "odd: --json: its last line" 1 json_has '"last_line": "[^"]'
note "odd: $(grep -F "failed:" "$LAB_OUT/status-odd.txt" | head -n1)"
