#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# BASELINE for benchmarks: Debian's ifupdown + ifenslave, not our product.
#
# Installs bench/ifupdown/interfaces as ROOT/etc/network/interfaces with the given
# interface names. It does not install packages: the image needs ifupdown and ifenslave
# (and wpasupplicant, isc-dhcp-client, iproute2), installed with apt in the image, never
# on the host. ifupdown's package enables networking.service (ifup -a: brings up bond0
# at boot) and ships 80-ifupdown.rules (udev: ifup@IFACE.service for allow-hotplug
# NICs), so no unit needs enabling here. The wpa_supplicant configuration
# (/etc/wpa_supplicant/wpa_supplicant.conf) is the image's own, shared by every
# contender. An existing interfaces file is kept as interfaces.before-bench once.
#
# Usage: bench/ifupdown/install.sh ROOT WIRED WIFI [MASTER]   (MASTER defaults to bond0)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

die() {
	echo "ifupdown/install.sh: $*" >&2
	exit 2
}
[ $# -eq 3 ] || [ $# -eq 4 ] || die "usage: $0 ROOT WIRED WIFI [MASTER]"
root=$1 wired=$2 wifi=$3 master=${4:-bond0}
[ -d "$root" ] || die "ROOT $root is not a directory"
root=$(cd "$root" && pwd)
for n in "$wired" "$wifi" "$master"; do
	# interfaces(5) takes any kernel name; these are the names a kernel accepts.
	if ! [[ $n =~ ^[A-Za-z0-9_.-]{1,15}$ ]] || [ "$n" = . ] || [ "$n" = .. ]; then
		die "interface name '$n': 1-15 of A-Z a-z 0-9 _ . -"
	fi
done
if [ "$wired" = "$wifi" ] || [ "$wired" = "$master" ] || [ "$wifi" = "$master" ]; then
	die "WIRED, WIFI and MASTER must be three different names"
fi

# The file is written with the article's names (bench/seed/names.sh replaces them).
# shellcheck source=../seed/names.sh
. "$here/../seed/names.sh"
out=""
while IFS= read -r line || [ -n "$line" ]; do
	article_names "$line"
	out+=$renamed$'\n'
done <"$here/interfaces"

dir=$root/etc/network
install -d -m 0755 "$dir" "$dir/interfaces.d"
if [ -e "$dir/interfaces" ] && [ ! -e "$dir/interfaces.before-bench" ] &&
	! grep -q '^# BASELINE for benchmarks' "$dir/interfaces"; then
	cp -p "$dir/interfaces" "$dir/interfaces.before-bench"
fi
tmp=$(mktemp "$dir/.interfaces.XXXXXX")
printf '%s' "$out" >"$tmp"
chmod 0644 "$tmp"
mv -f "$tmp" "$dir/interfaces"

for p in /usr/sbin/ifup /usr/sbin/dhclient /usr/sbin/wpa_supplicant /etc/network/if-pre-up.d/ifenslave; do
	[ -e "$root$p" ] || [ -L "$root$p" ] ||
		echo "ifupdown/install.sh: warning: $p is not in $root (install ifupdown ifenslave wpasupplicant isc-dhcp-client in the image)" >&2
done
echo "ifupdown/install.sh: installed /etc/network/interfaces for $master (wired $wired, Wi-Fi $wifi) into $root"
