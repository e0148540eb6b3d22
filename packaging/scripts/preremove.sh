#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Package pre-remove. On an upgrade: nothing (the new files take over, postinstall
# reloads). On a removal: the boot unit's instances are disabled and stopped WITHOUT
# running their ExecStop (bond-down), so the network keeps running: the bond, its
# addresses, and the transient wpa_supplicant and DHCP units (which carry the
# traffic) stay until the user runs bond-down before removing, or reboots. A package
# manager must not cut the network of the machine it runs on (it may be installing
# over that network, or be driven remotely by configuration management).
#
# How each manager says "upgrade": Debian prerm gets "upgrade" (or failed-upgrade,
# deconfigure); RPM %preun gets the number of versions left (1 on upgrade, 0 on
# removal); pacman calls pre_remove only on removal (with the old version).
case "${1:-}" in
upgrade | failed-upgrade | deconfigure) exit 0 ;;
'' | *[!0-9]*) ;;
0) ;;
*) exit 0 ;;
esac
[ -d /run/systemd/system ] || exit 0
units=$(systemctl list-units --all --plain --no-legend 'bond-up@*.service' 2>/dev/null | awk '{print $1}')
enabled=$(ls /etc/systemd/system/*.wants/ 2>/dev/null | grep '^bond-up@.*\.service$' | sort -u)
if [ -n "$enabled" ]; then
	# shellcheck disable=SC2086 # one word per unit name
	systemctl disable $enabled || true
fi
if [ -n "$units" ]; then
	# A runtime drop-in that empties ExecStop: stopping the instance then only
	# forgets it. postremove deletes the drop-in.
	mkdir -p /run/systemd/system/bond-up@.service.d
	printf '[Service]\nExecStop=\n' > /run/systemd/system/bond-up@.service.d/50-package-removed.conf
	systemctl daemon-reload || true
	# shellcheck disable=SC2086
	systemctl stop $units || true
fi
exit 0
