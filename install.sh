#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Build and install bond-hotplug.
#   ./install.sh                 build, install under PREFIX (/usr/local), reload udev and systemd
#   DESTDIR=/tmp/pkg ./install.sh   stage into DESTDIR: touches nothing outside it, reloads nothing
#   ./install.sh --uninstall     remove exactly what the install put there (never the configuration)
# Environment: PREFIX (default /usr/local), DESTDIR (default none), GO (default go),
#   SYSCONFDIR (default /etc), NO_BUILD=1 to install binaries already in ./build,
#   VERSION (a package's version, shown by --version), STRIP=1 (no symbol tables).
#   PREFIX=/usr (a distribution package) puts the rule, unit and modprobe file in the
#   vendor directories under /usr/lib; any other PREFIX in SYSCONFDIR (udev and systemd
#   do not read /usr/local/lib). Man pages go to PREFIX/share/man (scdoc renders them).
#   A real install (no DESTDIR) lists what it installed in MANIFEST (default
#   /var/lib/bond-hotplug/install.manifest), which --uninstall removes, whatever PREFIX.
set -euo pipefail

# usage: the comment block above (but the licence line), without its "# ".
usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 && !/SPDX-License-Identifier/' "$0" | sed 's/^# \{0,1\}//'; }

uninstall=0
for a in "$@"; do
	case "$a" in
	--uninstall) uninstall=1 ;;
	-h|--help) usage; exit 0 ;;
	*) echo "install.sh: unknown argument: $a" >&2; usage >&2; exit 2 ;;
	esac
done

here=$(cd "$(dirname "$0")" && pwd)
PREFIX=${PREFIX:-/usr/local}
DESTDIR=${DESTDIR:-}
SYSCONFDIR=${SYSCONFDIR:-/etc}
GO=${GO:-go}
bindir=$PREFIX/bin
bins=(bond-up bond-down bond-hotplug)
if [ "$PREFIX" = /usr ]; then libdir=/usr/lib; else libdir=$SYSCONFDIR; fi
rules=$libdir/udev/rules.d/90-bond-hotplug.rules
unit=$libdir/systemd/system/bond-up@.service
online=$libdir/systemd/system/bond-wait-online.service
modprobe=$libdir/modprobe.d/bond-hotplug.conf
conf=$SYSCONFDIR/conf.d/network.conf
# dhclient-script reads its hooks from /etc only, whatever PREFIX (bond-hotplug(8), DNS).
dhcphook=$SYSCONFDIR/dhcp/dhclient-enter-hooks.d/zz-bond-hotplug
# dhcpcd-run-hooks reads its hooks from the directory dhcpcd was built with (Debian's
# and Arch's: /usr/lib/dhcpcd/dhcpcd-hooks), whatever PREFIX.
dhcpcdhook=${DHCPCD_HOOKDIR:-/usr/lib/dhcpcd/dhcpcd-hooks}/21-bond-hotplug
mandir=$PREFIX/share/man
pages=(bond-up.8 bond-down.8 bond-hotplug.8 bond-hotplug.conf.5)
# The documents the pages and --help refer to (README, docs/), and the release notes.
docdir=$PREFIX/share/doc/bond-hotplug
docs=(README.md CHANGELOG.md docs/RELIABILITY.md docs/BENCHMARKS.md)
docfiles=()
for f in "${docs[@]}"; do docfiles+=("$docdir/$(basename "$f")"); done
MANIFEST=${MANIFEST:-/var/lib/bond-hotplug/install.manifest}

case "$PREFIX" in /*) ;; *) echo "install.sh: PREFIX must be absolute: $PREFIX" >&2; exit 2 ;; esac

reload() {
	# Only a real install reloads: a DESTDIR stage feeds a package or an image.
	[ -z "$DESTDIR" ] || return 0
	if command -v udevadm >/dev/null && [ -S /run/udev/control ]; then udevadm control --reload; fi
	if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
}

# warn_enabled: enabled bond-up@ instances keep a link to the unit file (systemd then
# warns at each boot about a missing unit); say how to drop them.
warn_enabled() {
	local l
	for l in "$DESTDIR$SYSCONFDIR"/systemd/system/*.wants/bond-up@*.service; do
		[ -L "$l" ] || continue
		echo "install.sh: warning: $(basename "$l") is still enabled ($l): systemctl disable $(basename "$l")" >&2
	done
}

if [ "$uninstall" = 1 ]; then
	if [ -z "$DESTDIR" ] && [ -f "$MANIFEST" ]; then
		# Exactly what the install wrote, wherever its PREFIX was.
		n=0
		while IFS= read -r f; do
			case "$f" in /*) ;; *) continue ;; esac
			if [ -e "$f" ] || [ -L "$f" ]; then rm -f "$f" && n=$((n + 1)); fi
		done < "$MANIFEST"
		while IFS= read -r f; do
			case "$f" in /*/bond-hotplug) rmdir "$f" 2>/dev/null || true ;; esac
		done < <(sed -n 's|/[^/]*$||p' "$MANIFEST" | sort -u)
		rm -f "$MANIFEST"
		rmdir "$(dirname "$MANIFEST")" 2>/dev/null || true
		reload
		echo "removed bond-hotplug: $n file(s) listed in $MANIFEST (kept $conf)"
		warn_enabled
		exit 0
	fi
	# No manifest (a DESTDIR stage, or an install by an older install.sh): the files
	# this PREFIX would have; finding none is an error, not a success.
	n=0
	for f in "${bins[@]/#/$bindir/}" "$rules" "$unit" "$online" "$modprobe" "$dhcphook" "$dhcpcdhook" "${docfiles[@]}"; do
		if [ -e "$DESTDIR$f" ]; then rm -f "$DESTDIR$f" && n=$((n + 1)); fi
	done
	for p in "${pages[@]}"; do
		f=$DESTDIR$mandir/man${p##*.}/$p.gz
		if [ -e "$f" ]; then rm -f "$f" && n=$((n + 1)); fi
	done
	rmdir "$DESTDIR$docdir" 2>/dev/null || true
	if [ "$n" = 0 ]; then
		echo "install.sh: nothing of bond-hotplug under PREFIX=$PREFIX in ${DESTDIR:-/} and no $MANIFEST: installed with another PREFIX?" >&2
		exit 1
	fi
	reload
	echo "removed $n file(s) of bond-hotplug from ${DESTDIR:-/} under PREFIX=$PREFIX (kept $conf)"
	warn_enabled
	exit 0
fi

# scripts/build: how the binaries are built and hardened (GO, VERSION, STRIP).
if [ "${NO_BUILD:-0}" != 1 ]; then
	GO=$GO "$here/scripts/build"
fi
"$here/man/render" "$here/build/man"

subst() { sed "s|@BINDIR@|$bindir|g" "$1"; }

install -d -m 0755 "$DESTDIR$bindir" "$DESTDIR$(dirname "$rules")" "$DESTDIR$(dirname "$unit")" \
	"$DESTDIR$(dirname "$modprobe")" "$DESTDIR$(dirname "$conf")"
for b in "${bins[@]}"; do install -m 0755 "$here/build/$b" "$DESTDIR$bindir/$b"; done
subst "$here/rules/90-bond-hotplug.rules" > "$DESTDIR$rules.tmp" && chmod 0644 "$DESTDIR$rules.tmp" && mv "$DESTDIR$rules.tmp" "$DESTDIR$rules"
subst "$here/systemd/bond-up@.service" > "$DESTDIR$unit.tmp" && chmod 0644 "$DESTDIR$unit.tmp" && mv "$DESTDIR$unit.tmp" "$DESTDIR$unit"
subst "$here/systemd/bond-wait-online.service" > "$DESTDIR$online.tmp" && chmod 0644 "$DESTDIR$online.tmp" && mv "$DESTDIR$online.tmp" "$DESTDIR$online"
install -m 0644 "$here/modprobe.d/bond-hotplug.conf" "$DESTDIR$modprobe"
install -d -m 0755 "$DESTDIR$(dirname "$dhcphook")"
subst "$here/dhcp/dhclient-enter-hook" > "$DESTDIR$dhcphook.tmp" && chmod 0644 "$DESTDIR$dhcphook.tmp" && mv "$DESTDIR$dhcphook.tmp" "$DESTDIR$dhcphook"
install -d -m 0755 "$DESTDIR$(dirname "$dhcpcdhook")"
subst "$here/dhcp/dhcpcd-hook" > "$DESTDIR$dhcpcdhook.tmp" && chmod 0644 "$DESTDIR$dhcpcdhook.tmp" && mv "$DESTDIR$dhcpcdhook.tmp" "$DESTDIR$dhcpcdhook"
for p in "${pages[@]}"; do
	d=$DESTDIR$mandir/man${p##*.}
	install -d -m 0755 "$d"
	# -n: no name or time stamp in the gzip header, so that builds are reproducible.
	gzip -9n < "$here/build/man/$p" > "$d/$p.gz.tmp" && chmod 0644 "$d/$p.gz.tmp" && mv "$d/$p.gz.tmp" "$d/$p.gz"
done
install -d -m 0755 "$DESTDIR$docdir"
for f in "${docs[@]}"; do install -m 0644 "$here/$f" "$DESTDIR$docdir/$(basename "$f")"; done
if [ -e "$DESTDIR$conf" ]; then
	echo "kept existing $DESTDIR$conf"
else
	install -m 0644 "$here/env/network.conf" "$DESTDIR$conf"
fi
if [ -z "$DESTDIR" ]; then
	# The manifest: every file installed but the configuration (the user's), and
	# those of an earlier install (another PREFIX) that are still there.
	install -d -m 0755 "$(dirname "$MANIFEST")"
	{
		printf '# bond-hotplug install.sh: files --uninstall removes\n'
		{
			printf '%s\n' "${bins[@]/#/$bindir/}" "$rules" "$unit" "$online" "$modprobe" "$dhcphook" "$dhcpcdhook"
			for p in "${pages[@]}"; do printf '%s\n' "$mandir/man${p##*.}/$p.gz"; done
			printf '%s\n' "${docfiles[@]}"
			if [ -f "$MANIFEST" ]; then
				while IFS= read -r f; do
					case "$f" in /*) if [ -e "$f" ]; then printf '%s\n' "$f"; fi ;; esac
				done < "$MANIFEST"
			fi
		} | LC_ALL=C sort -u
	} > "$MANIFEST.tmp" && mv "$MANIFEST.tmp" "$MANIFEST"
fi
reload
echo "installed bond-hotplug into ${DESTDIR:-/} (binaries in $bindir)"
if [ -z "$DESTDIR" ]; then
	echo "manifest: $MANIFEST (./install.sh --uninstall removes what it lists)"
	echo "next: edit $conf, then: systemctl enable --now bond-up@bond0.service"
fi
