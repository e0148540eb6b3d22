#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# 30. The Debian package, the way a user installs it: the source install that the
# lab's disk carries is removed, `apt-get install ./bond-hotplug_0.1.0-1_amd64.deb`
# resolves its dependencies from what the guest has (no network), the laptop story
# runs from the package's files (the boot unit started, unplug, Wi-Fi takes over),
# 0.1.1 is installed over it (dpkg -i) with the configuration edited (the edit is kept), then
# remove (the network keeps running, the enable link stays) and purge (no file of the
# package and no enable link is left; dpkg
# runs the same maintainer scripts as apt-get remove/purge, faster under TCG).
# `man bond-up` renders. The packages come from scripts/package (lab.go builds them).
# lab-devices: eth0 wifi
# lab-config: laptop.conf
# lab-packages: deb
# lab-timeout: 420
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../guest/lib.sh
. /lab/guest/lib.sh
export DEBIAN_FRONTEND=noninteractive

deb_v1=$(echo "$LAB"/pkgs/0.1.0/bond-hotplug_0.1.0-1_*.deb)
deb_v2=$(echo "$LAB"/pkgs/0.1.1/bond-hotplug_0.1.1-1_*.deb)
mkdir -p /root/pkgs && cp "$deb_v1" "$deb_v2" /root/pkgs/
v1=/root/pkgs/$(basename "$deb_v1") v2=/root/pkgs/$(basename "$deb_v2")
apt_log=$LAB_OUT/apt.log

pkg_version() { dpkg-query -W -f='${Status} ${Version}' bond-hotplug 2>&1 | grep -qx "install ok installed $1" || { dpkg-query -W -f='${Status} ${Version}' bond-hotplug 2>&1; return 1; }; }
not_installed() { ! dpkg-query -W -f='${Status}' bond-hotplug 2>/dev/null | grep -q . || { dpkg-query -W -f='${Status}' bond-hotplug; return 1; }; }
# fragment_is UNIT FILE: systemd loaded UNIT from FILE (bookworm's /lib is /usr/lib).
fragment_is() { local f; f=$(systemctl show -P FragmentPath "$1"); [ "$(readlink -f "$f")" = "$2" ] || { echo "$f"; return 1; }; }
gone() { local f; for f in "$@"; do [ ! -e "$f" ] || { echo "$f still there"; return 1; }; done; }
# prints REGEX CMD...: CMD's output has a line matching REGEX (whatever its status).
prints() { local want=$1 out; shift; out=$("$@" 2>&1) || true; grep -qE -- "$want" <<<"$out" || { head -n 3 <<<"$out"; return 1; }; }
apt_ok() { echo "# $*" >>"$apt_log"; "$@" </dev/null >>"$apt_log" 2>&1 || { tail -n 5 "$apt_log"; return 1; }; }

require "the source install converged (boot)" 90 converged_laptop

# The lab image keeps dpkg from installing man pages (01-lab-nodoc, to stay small); a
# user's system installs them, and this scenario reads them.
sed -i '\|^path-exclude=/usr/share/man/|d' /etc/dpkg/dpkg.cfg.d/01-lab-nodoc
# Without its index man still finds the pages; rebuilding the index on every dpkg
# run (man-db's trigger) costs tens of seconds under TCG.
rm -f /var/lib/man-db/auto-update

# A user moving from install.sh to the package: bond-down, then install.sh --uninstall's
# files go (copies in /etc would shadow the package's /usr/lib ones).
note "removing the source install (/usr/local, /etc/udev/rules.d, /etc/systemd/system)"
systemctl disable --now bond-up@bond0.service
rm -f /usr/local/bin/bond-up /usr/local/bin/bond-down /usr/local/bin/bond-hotplug \
	/etc/udev/rules.d/90-bond-hotplug.rules /etc/systemd/system/bond-up@.service \
	/etc/modprobe.d/bond-hotplug.conf /usr/local/share/man/man8/bond-*.8.gz \
	/usr/local/share/man/man5/bond-hotplug.conf.5.gz
rm -rf /usr/local/share/doc/bond-hotplug
systemctl daemon-reload
udevadm control --reload
check "bond0 is gone with the source install" 20 absent bond0

t=$(now)
check "apt-get install ./bond-hotplug_0.1.0 (dependencies from the guest's packages)" 120 \
	apt_ok apt-get install -y -o Dpkg::Options::=--force-confold "$v1"
check "dpkg: bond-hotplug 0.1.0-1 installed" 5 pkg_version 0.1.0-1
check "the package's unit is the one systemd loads" 5 fragment_is bond-up@bond0.service /usr/lib/systemd/system/bond-up@.service
check "the package's udev rule runs /usr/bin/bond-hotplug" 5 grep -q 'RUN+="/usr/bin/bond-hotplug ' /usr/lib/udev/rules.d/90-bond-hotplug.rules
check "bond-up --version names the package 0.1.0" 5 prints '^package: +0\.1\.0$' /usr/bin/bond-up --version
# MANWIDTH outside 66-80: man-db keeps no formatted copy in /var/cache/man (its own
# cache, which would outlive the purge below until man-db's daily clean-up).
check "man bond-up renders" 30 prints 'bond-up - create or repair' env MANWIDTH=100 man -P cat bond-up
check "man 5 bond-hotplug.conf renders" 30 prints 'MIGRATING FROM THE SEED' env MANWIDTH=100 man -P cat 5 bond-hotplug.conf

note "systemctl enable --now bond-up@bond0.service (the package's unit)"
systemctl enable --now bond-up@bond0.service
check "from the package: converged (eth0 active, wlan0 associated, DHCP)" 90 converged_laptop
check "bond-up --status header names the build" 10 prints '^bond-hotplug .*package 0\.1\.0' bond-up --status bond0
check "the journal line of the run carries the version" 10 journal_has '\[bond-up .*package 0\.1\.0'
ip4=$(ipv4_of bond0)
ping_start "$GW4"
sleep 1
note "unplugging the wired NIC eth0"
t=$(now)
unplug_wired eth0
check "active slave becomes wlan0" 15 is_active wlan0
check "bond0 now carries the Wi-Fi MAC" 10 same_mac bond0 wlan0
check "the ping continues over Wi-Fi" 20 ping_ok_since "$t"
check "IPv4 address $ip4 kept" 5 has_addr bond0 " inet $ip4 "
check "the udev event ran the packaged bond-hotplug" 10 journal_has '\[bond-hotplug .*package 0\.1\.0'

note "editing /etc/conf.d/network.conf, then installing 0.1.1 over 0.1.0"
echo "# edited by the lab before the upgrade $t" >>/etc/conf.d/network.conf
cp /etc/conf.d/network.conf "$LAB_RUN/network.conf.edited"
# A build before 0.1.0 wrote no runtime rule: with bond0 up and no rule, the new
# package's 90-bond-hotplug.rules would run bond-hotplug for nothing. The postinst
# reloads the bond-up@ instances so that the new bond-up writes it.
rule=/run/udev/rules.d/89-bond-hotplug-up.rules
note "removing $rule, as an upgrade from a build before 0.1.0 finds it"
rm -f "$rule"
udevadm control --reload
check "dpkg -i ./bond-hotplug_0.1.1 (upgrade, no prompt)" 120 apt_ok dpkg -i "$v2"
check "dpkg: bond-hotplug 0.1.1-1 installed" 5 pkg_version 0.1.1-1
check "the upgrade's postinst had bond-up write the runtime rule again" 30 grep -q 'BOND_HOTPLUG_MASTER' "$rule"
note "plugging the wired NIC eth0 in again (hot-plug after the upgrade)"
plug_wired eth0
check "after the upgrade, hot-plug makes eth0 the active slave again" 30 is_active eth0
check "the upgrade kept the edited configuration" 5 cmp /etc/conf.d/network.conf "$LAB_RUN/network.conf.edited"
check "bond-up --version names the package 0.1.1" 5 prints '^package: +0\.1\.1$' bond-up --version
check "the ping flowed through the upgrade" 5 ping_ok_since "$t"
check "bond-up -n bond0 (0.1.1): nothing to do" 10 nothing_to_do bond0

dpkg -L bond-hotplug >"$LAB_OUT/dpkg-L.txt"
files=$(while read -r f; do [ -d "$f" ] || echo "$f"; done <"$LAB_OUT/dpkg-L.txt")
note "package files: $(echo "$files" | wc -l)"
t=$(now)
check "dpkg --remove bond-hotplug" 60 apt_ok dpkg --remove bond-hotplug
check "remove: the boot unit is stopped" 5 unit_inactive bond-up@bond0.service
# Debian's convention (dh_installsystemd): the enable state is kept until purge.
check "remove: the boot unit's enable link stays until purge" 5 test -L /etc/systemd/system/multi-user.target.wants/bond-up@bond0.service
check "remove: bond0 keeps running (address $ip4, wlan0 active)" 5 has_addr bond0 " inet $ip4 "
check "remove: the ping still flows" 10 ping_ok_since "$t"
check "remove: the configuration stays until purge" 5 cmp /etc/conf.d/network.conf "$LAB_RUN/network.conf.edited"
check "dpkg --purge bond-hotplug" 60 apt_ok dpkg --purge bond-hotplug
check "purge: dpkg knows no bond-hotplug" 5 not_installed
check "purge: the boot unit's enable link is gone" 5 gone /etc/systemd/system/multi-user.target.wants/bond-up@bond0.service
# shellcheck disable=SC2086 # one word per path (the package's paths have no blanks)
check "purge: no file that dpkg -L listed is left" 5 gone $files
rm -rf /root/pkgs # the downloaded .deb files, not installed files
find / -xdev \( -name 'bond-up*' -o -name 'bond-down*' -o -name 'bond-hotplug*' -o -path /etc/conf.d/network.conf \) \
	-not -path '/lab/*' >"$LAB_OUT/find-after-purge.txt" 2>&1 || true
check "purge: find / names nothing of the package" 5 test ! -s "$LAB_OUT/find-after-purge.txt"
check "purge: the network still runs until the user says otherwise" 5 has_addr bond0 " inet $ip4 "
ping_stop "$GW4"
