#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# BASELINE for benchmarks: the seed's approach, not our product.
#
# Installs the seed article's six template units and its configuration files into a
# root directory (a VM image's tree, or / on a test machine), and enables them the way
# the article's "Enable/Install" section does:
#
#   ln slave@.service WIRED@.service; ln slave@.service WIFI@.service   (hard links)
#   systemctl enable supplicant@WIFI
#   systemctl enable WIRED@MASTER WIFI@MASTER master@MASTER
#   systemctl enable dhclient@MASTER dhcp6c@MASTER static@MASTER
#
# (the article's `systemctl --now enable supplicant@...` and `systemctl start master@...`
# are run-time steps: a boot does them here). It uses `systemctl --root=ROOT enable`
# when systemctl is available, else makes the same symlinks itself
# (SEED_NO_SYSTEMCTL=1 forces that path).
#
# Usage: bench/seed/install.sh [--keep-client-configs] ROOT WIRED WIFI MASTER
#
#   --keep-client-configs  leave an existing ROOT/etc/dhcp/dhclient.conf and
#                          ROOT/etc/wide-dhcpv6/dhcp6c.conf alone (so that every contender
#                          in a benchmark uses the same DHCP client settings); by default
#                          the seed's files replace them.
#   SEED_ADDRS=...         replaces the article's fail-safe static address of the master
#                          ('192.168.0.2/24'); SEED_ADDRS= (empty) sets none.
#
# Installs: ROOT/etc/systemd/system/{master,slave,supplicant,dhclient,dhcp6c,static}@.service,
# ROOT/etc/systemd/system/{WIRED,WIFI}@.service (hard links to slave@.service),
# ROOT/etc/conf.d/network.conf, ROOT/etc/dhcp/dhclient.conf,
# ROOT/etc/wide-dhcpv6/dhcp6c.conf, ROOT/etc/modprobe.d/bonding.conf, and the enable
# symlinks. It does not install packages: the image needs systemd, iproute2,
# wpasupplicant, iw, isc-dhcp-client and wide-dhcpv6-client. The wpa_supplicant
# configuration (/etc/wpa_supplicant/wpa_supplicant.conf) is the image's own: the seed's
# example network cannot match the lab's access point. Idempotent.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

die() {
	echo "seed/install.sh: $*" >&2
	exit 2
}
usage() {
	sed -n '/^# Usage:/,/sets none.$/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

keep_client_configs=0
while [ $# -gt 0 ]; do
	case $1 in
	--keep-client-configs) keep_client_configs=1; shift ;;
	-h | --help) usage ;;
	--) shift; break ;;
	-*) die "unknown option $1" ;;
	*) break ;;
	esac
done
[ $# -eq 4 ] || usage
root=$1 wired=$2 wifi=$3 master=$4

[ -d "$root" ] || die "ROOT $root is not a directory"
root=$(cd "$root" && pwd)
for n in "$wired" "$wifi" "$master"; do
	# The seed forms environment names from interface names (bond0PRIMARY) and uses
	# them unescaped in unit names: only letters, digits and _ work with it.
	[[ $n =~ ^[A-Za-z0-9_]{1,15}$ ]] ||
		die "interface name '$n': the seed's units support only 1-15 of A-Z a-z 0-9 _"
	case $n in
	master | slave | supplicant | dhclient | dhcp6c | static)
		die "interface name '$n' would overwrite the seed's $n@.service" ;;
	esac
done
if [ "$wired" = "$wifi" ] || [ "$wired" = "$master" ] || [ "$wifi" = "$master" ]; then
	die "WIRED, WIFI and MASTER must be three different names"
fi
if [ "${SEED_ADDRS+set}" = set ]; then
	[[ $SEED_ADDRS =~ ^[0-9A-Fa-f.:/\ ]*$ ]] || die "SEED_ADDRS='$SEED_ADDRS': not a list of CIDRs"
fi

unitdir=$root/etc/systemd/system
units=(master@.service slave@.service supplicant@.service dhclient@.service dhcp6c@.service static@.service)

# 1. The six template units, and the slave unit hard-linked per slave interface
# ("symbolic links cannot be used here, since systemd would then set %p/%P to ...
# slave").
install -d -m 0755 "$unitdir"
for u in "${units[@]}"; do
	install -m 0644 "$here/$u" "$unitdir/$u"
done
for s in "$wired" "$wifi"; do
	ln -f "$unitdir/slave@.service" "$unitdir/$s@.service"
done

# 2. Configuration files.
# network.conf: the article's file with its names (enp3s0, wlp2s0, bond0) replaced
# (names.sh).
# shellcheck source=names.sh
. "$here/names.sh"
conf=""
while IFS= read -r line || [ -n "$line" ]; do
	article_names "$line"
	line=$renamed
	if [ "${SEED_ADDRS+set}" = set ] && [[ $line == "${master}ADDRS="* ]]; then
		line="${master}ADDRS='$SEED_ADDRS'"
	fi
	conf+=$line$'\n'
done <"$here/network.conf"
install -d -m 0755 "$root/etc/conf.d"
tmp=$(mktemp "$root/etc/conf.d/.network.conf.XXXXXX")
printf '%s' "$conf" >"$tmp"
chmod 0644 "$tmp"
[ "$(id -u)" != 0 ] || chown 0:0 "$tmp"
mv -f "$tmp" "$root/etc/conf.d/network.conf"

install_conf() { # SRC DEST [client]
	if [ "${3-}" = client ] && [ "$keep_client_configs" = 1 ] && [ -e "$2" ]; then
		echo "seed/install.sh: keeping ${2#"$root"} (--keep-client-configs)"
		return
	fi
	install -D -m 0644 "$1" "$2"
}
install_conf "$here/dhclient.conf" "$root/etc/dhcp/dhclient.conf" client
install_conf "$here/dhcp6c.conf" "$root/etc/wide-dhcpv6/dhcp6c.conf" client
install_conf "$here/bonding.conf" "$root/etc/modprobe.d/bonding.conf"

# 3. Enable, as the article does.
enable_sets=(
	"supplicant@$wifi.service"
	"$wired@$master.service $wifi@$master.service master@$master.service"
	"dhclient@$master.service dhcp6c@$master.service static@$master.service"
)

# link_wants UNIT TEMPLATE_FILE: the symlinks `systemctl enable UNIT` makes for the
# [Install] section of TEMPLATE_FILE (WantedBy=/RequiredBy= with %i and %p only).
link_wants() {
	local unit=$1 file=$2 prefix=${1%%@*} inst=${1#*@}
	inst=${inst%.service}
	local key val target dir
	while IFS= read -r line; do
		[[ $line =~ ^(WantedBy|RequiredBy)=[[:space:]]*(.*)$ ]] || continue
		key=${BASH_REMATCH[1]} val=${BASH_REMATCH[2]}
		for target in $val; do
			target=${target//%i/$inst}
			target=${target//%p/$prefix}
			case $key in
			WantedBy) dir=$unitdir/$target.wants ;;
			RequiredBy) dir=$unitdir/$target.requires ;;
			esac
			install -d -m 0755 "$dir"
			ln -sfn "/etc/systemd/system/$(basename "$file")" "$dir/$unit"
		done
	done < <(sed -n '/^\[Install\]/,/^\[/p' "$file")
}

if [ "${SEED_NO_SYSTEMCTL-}" != 1 ] && command -v systemctl >/dev/null; then
	for set in "${enable_sets[@]}"; do
		# shellcheck disable=SC2086 # a set is a space-separated list of unit names
		systemctl --root="$root" --quiet enable $set
	done
else
	for set in "${enable_sets[@]}"; do
		for unit in $set; do
			link_wants "$unit" "$unitdir/${unit%%@*}@.service"
		done
	done
fi

# 4. Check that the programs the units run are in the image (a warning only: ROOT may
# be a bare tree being assembled).
for p in /usr/bin/ip /usr/bin/sh /usr/bin/sleep /usr/sbin/dhclient /usr/sbin/dhcp6c \
	/usr/sbin/dhcp6ctl /usr/sbin/wpa_supplicant /usr/sbin/wpa_cli /usr/sbin/iw; do
	[ -x "$root$p" ] || [ -L "$root$p" ] || echo "seed/install.sh: warning: $p is not in $root (the seed's units run it)" >&2
done
echo "seed/install.sh: installed the seed's units for $master (wired $wired, Wi-Fi $wifi) into $root"
