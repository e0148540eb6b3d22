#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Build (or reuse) the lab's Debian bookworm guest: a raw ext4 root disk, an
# uncompressed vmlinux and an initrd, in a cache directory outside the repo keyed
# by the sha256 of this script, packages.txt and the rootfs/ overlay.
#
#   lab/image/build.sh            ensure the image; print its directory on stdout
#   lab/image/build.sh --force    rebuild even if the cache is complete
#   lab/image/build.sh --key      print the cache key and exit
#
# Environment: LAB_CACHE (default /var/cache/bond-hotplug-lab), LAB_MIRROR (default:
# read from this machine's apt configuration; no mirror name is written in the repo).
# Progress goes to stderr, the image directory alone to stdout.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${LAB_CACHE:-/var/cache/bond-hotplug-lab}
suite=bookworm

log() { printf '[image %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

force=0
case "${1:-}" in
--force) force=1 ;;
--key) ;;
"") ;;
*) die "usage: $0 [--force|--key]" ;;
esac

# The key covers every input of the build, by path and content.
key() {
	(
		cd "$here"
		printf 'suite %s\n' "$suite"
		find build.sh packages.txt initrd-init rootfs -type f -print0 | LC_ALL=C sort -z |
			xargs -0 sha256sum
		# modes matter too (hooks must be executable)
		find rootfs -print0 | LC_ALL=C sort -z | xargs -0 stat -c '%a %n'
	) | sha256sum | cut -c1-16
}
k=$(key)
if [ "${1:-}" = --key ]; then
	echo "$k"
	exit 0
fi
out=$cache/$k

complete() { [ -f "$1/done" ] && [ -f "$1/rootfs.img" ] && [ -f "$1/vmlinux" ] && [ -f "$1/initrd.img" ]; }

if [ "$force" = 0 ] && complete "$out"; then
	log "reusing $out"
	touch "$out/last-used"
	echo "$out"
	exit 0
fi

[ "$(id -u)" = 0 ] || die "building the image needs root (debootstrap, chroot, mkfs.ext4 -d)"
for tool in debootstrap mkfs.ext4 chroot unshare flock; do
	command -v "$tool" >/dev/null || die "$tool not found (apt-get install debootstrap e2fsprogs util-linux)"
done

mkdir -p "$cache"
exec 9>"$cache/.lock"
if ! flock -n 9; then
	log "another build holds $cache/.lock; waiting"
	flock 9
fi
if [ "$force" = 0 ] && complete "$out"; then
	log "built meanwhile by another run: $out"
	echo "$out"
	exit 0
fi

# The Debian mirror, from this machine's apt configuration (deb822 or one-line).
mirror() {
	if [ -n "${LAB_MIRROR:-}" ]; then
		echo "$LAB_MIRROR"
		return
	fi
	local f u
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		u=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) print $i }' "$f" | grep -v -- '-security' | head -n1 || true)
		if [ -n "$u" ]; then
			echo "$u"
			return
		fi
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		u=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; break } }' "$f" |
			grep -v -- '-security' | head -n1 || true)
		if [ -n "$u" ]; then
			echo "$u"
			return
		fi
	done
	return 1
}
m=$(mirror) || die "no Debian mirror in /etc/apt/sources.list{,.d/} (set LAB_MIRROR)"

start=$(date +%s.%N)
elapsed() { awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }'; }
work=$(mktemp -d "$cache/build.XXXXXX")
root=$work/root
cleanup() {
	# the chroot's mounts live in a private mount namespace (unshare): nothing to unmount
	rm -rf "$work"
}
trap cleanup EXIT

mapfile -t pkgs < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$here/packages.txt")
debs=$cache/debs
mkdir -p "$debs"

log "debootstrap $suite (minbase) from the apt-configured mirror into $root"
debootstrap --variant=minbase --cache-dir="$debs" "$suite" "$root" "$m" >"$work/debootstrap.log" 2>&1 ||
	{ tail -n 30 "$work/debootstrap.log" >&2; die "debootstrap failed"; }
log "debootstrap done ($(elapsed) s)"

# Keep the image small: no docs, man pages or locales.
cat >"$root/etc/dpkg/dpkg.cfg.d/01-lab-nodoc" <<'EOF'
path-exclude=/usr/share/doc/*
path-exclude=/usr/share/man/*
path-exclude=/usr/share/info/*
path-exclude=/usr/share/locale/*
path-include=/usr/share/locale/locale.alias
EOF
cp /etc/resolv.conf "$root/etc/resolv.conf"
mkdir -p "$root/var/cache/apt/archives"

log "installing ${#pkgs[@]} packages"
# A private mount namespace: proc, sys, dev and the package cache are unmounted
# by the kernel when it ends, whatever happens.
# shellcheck disable=SC2016 # expanded by the inner shell
unshare --mount --propagation private /bin/bash -euo pipefail -c '
	root=$1; debs=$2; shift 2
	mount -t proc proc "$root/proc"
	mount -t sysfs sys "$root/sys"
	mount --rbind /dev "$root/dev"
	mount --bind "$debs" "$root/var/cache/apt/archives"
	# INITRD=No: the kernel package builds no initrd; we make our own, smaller one.
	export DEBIAN_FRONTEND=noninteractive LC_ALL=C INITRD=No
	# wide-dhcpv6-client asks which interfaces to serve: none (the product runs it).
	echo "wide-dhcpv6-client wide-dhcpv6-client/interfaces string" | chroot "$root" debconf-set-selections
	chroot "$root" apt-get update -q
	chroot "$root" apt-get install -y -q --no-install-recommends \
		-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@"
	# resolvconf is kept, not installed: installed, it makes /etc/resolv.conf its link
	# for every scenario. The corpus scenario (43) installs it, as a user does.
	mkdir -p "$root/usr/local/share/lab/debs"
	chroot "$root" /bin/sh -c "cd /usr/local/share/lab/debs && apt-get download -q resolvconf lsb-base"
	# The DNS scenario (90) installs each resolver manager in turn, as a user does;
	# they conflict with each other and with resolvconf: a directory each.
	mkdir -p "$root/usr/local/share/lab/debs-openresolv" "$root/usr/local/share/lab/debs-resolved"
	chroot "$root" /bin/sh -c "cd /usr/local/share/lab/debs-openresolv && apt-get download -q openresolv"
	chroot "$root" /bin/sh -c "cd /usr/local/share/lab/debs-resolved && apt-get download -q systemd-resolved"
' lab-image "$root" "$debs" "${pkgs[@]}" >"$work/apt.log" 2>&1 ||
	{ tail -n 40 "$work/apt.log" >&2; die "package installation failed (log above)"; }
log "packages done ($(elapsed) s)"

log "configuring the guest"
# Debian's own dhclient.conf, as the isc-dhcp-client package installed it, kept for
# the corpus scenario (43) before rootfs/ lays the seed's file over it.
mkdir -p "$root/usr/local/share/lab/debian"
cp "$root/etc/dhcp/dhclient.conf" "$root/usr/local/share/lab/debian/dhclient.conf"
cp -a "$here/rootfs/." "$root/"
# The groups users give the supplicant's control interface: the seed's (Arch's)
# wheel, which Debian lacks, and Debian's netdev; a member of each, to use wpa_cli
# through the control socket as a user does (scenario 42).
chroot "$root" groupadd -f -r wheel
chroot "$root" groupadd -f -r netdev
chroot "$root" useradd -M -N -g users -G wheel wheeluser
chroot "$root" useradd -M -N -g users -G netdev netdevuser
chown -R root:root "$root/etc" "$root/usr/local"
echo bondlab >"$root/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tbondlab\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
# /lab (9p) is mounted by lab-early.service itself, before udev: not in fstab.
printf '/dev/vda\t/\text4\trw,noatime\t0\t0\n' >"$root/etc/fstab"
mkdir -p "$root/lab" "$root/etc/conf.d"
: >"$root/etc/resolv.conf"
# A fixed machine id: no first-boot work on every -snapshot boot.
echo 6c6162626f6e64686f74706c75670001 >"$root/etc/machine-id"
chroot "$root" passwd -d root >/dev/null
rm -rf "$root/var/lib/apt/lists/"*
# Nothing else may manage the network; no timers; no login prompt on the console.
chroot "$root" systemctl enable lab-early.service lab-lan.service lab-run.service >/dev/null 2>&1
for u in systemd-networkd.service systemd-networkd.socket systemd-networkd-wait-online.service \
	NetworkManager.service NetworkManager-wait-online.service NetworkManager-dispatcher.service \
	systemd-resolved.service wpa_supplicant.service hostapd.service wide-dhcpv6-client.service \
	isc-dhcp-server.service isc-dhcp-server6.service \
	serial-getty@ttyS0.service serial-getty@ttyS1.service getty@tty1.service getty-static.service \
	apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service fstrim.timer \
	man-db.timer dpkg-db-backup.timer systemd-timesyncd.service systemd-logind.service \
	systemd-rfkill.service systemd-rfkill.socket modprobe@dm_mod.service modprobe@fuse.service \
	modprobe@loop.service modprobe@drm.service modprobe@efi_pstore.service; do
	chroot "$root" systemctl mask "$u" >/dev/null 2>&1
done
chroot "$root" systemctl set-default multi-user.target >/dev/null 2>&1
# Generators the lab never needs: each is a process spawned before any unit starts.
mkdir -p "$root/etc/systemd/system-generators"
for g in systemd-gpt-auto-generator systemd-sysv-generator systemd-bless-boot-generator \
	systemd-hibernate-resume-generator systemd-system-update-generator systemd-veritysetup-generator \
	systemd-integritysetup-generator systemd-cryptsetup-generator systemd-debug-generator \
	systemd-run-generator systemd-getty-generator; do
	ln -sf /dev/null "$root/etc/systemd/system-generators/$g"
done
for b in wpa_supplicant dhclient dhcp6c hostapd dnsmasq; do
	[ -x "$root/usr/sbin/$b" ] || die "$b missing in the image"
done

kver=$(find "$root/lib/modules" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort | tail -n1)
vmlinuz=$root/boot/vmlinuz-$kver
[ -f "$vmlinuz" ] || die "kernel $kver missing in the image"
[ -f "$root/lib/modules/$kver/kernel/drivers/net/bonding/bonding.ko" ] || die "bonding.ko missing"
[ -f "$root/lib/modules/$kver/kernel/drivers/net/wireless/virtual/mac80211_hwsim.ko" ] ||
	[ -f "$root/lib/modules/$kver/kernel/drivers/net/wireless/mac80211_hwsim.ko" ] || die "mac80211_hwsim.ko missing"

# An uncompressed kernel boots much faster under TCG: find the compressed payload
# inside the bzImage and unpack it (the first magic that yields an ELF file wins).
extract_vmlinux() {
	local img=$1 dst=$2 magic tool off
	for pair in '\x28\xb5\x2f\xfd:zstd -dcq' '\xfd\x37\x7a\x58\x5a\x00:xz -dcq' \
		'\x1f\x8b\x08:gzip -dcq' '\x02\x21\x4c\x18:lz4 -dcq'; do
		magic=${pair%%:*}
		tool=${pair#*:}
		command -v "${tool%% *}" >/dev/null || continue
		for off in $(LC_ALL=C grep -obUaP "$magic" "$img" | cut -d: -f1 | head -n 5); do
			tail -c +"$((off + 1))" "$img" | $tool >"$dst" 2>/dev/null || true
			if [ "$(head -c 4 "$dst" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ]; then
				return 0
			fi
		done
	done
	return 1
}
stage=$work/out
mkdir -p "$stage"
extract_vmlinux "$vmlinuz" "$stage/vmlinux" || die "could not extract vmlinux from $vmlinuz"
# The initrd: static busybox, the modules for virtio-pci, virtio-blk and ext4 in
# dependency order, and initrd-init. Uncompressed: unpacking is the cheapest.
ird=$root/tmp/lab-initrd
mkdir -p "$ird/bin" "$ird/modules" "$ird/dev" "$ird/proc"
cp "$root/bin/busybox" "$ird/bin/busybox"
cp "$here/initrd-init" "$ird/init"
: >"$ird/modules/order"
for m in virtio_pci virtio_blk ext4; do
	chroot "$root" modprobe -S "$kver" --show-depends "$m" | awk '$1 == "insmod" { print $2 }'
done | awk '!seen[$0]++' | while read -r ko; do
	cp "$root$ko" "$ird/modules/"
	basename "$ko" >>"$ird/modules/order"
done
[ -s "$ird/modules/order" ] || die "no modules for the initrd"
chroot "$root" /bin/sh -c 'cd /tmp/lab-initrd && find . | cpio -o -H newc --quiet' >"$stage/initrd.img"
rm -rf "$ird"
echo "$kver" >"$stage/kernel-version"

size_mb=$(($(du -sm "$root" | cut -f1) * 13 / 10 + 384))
log "mkfs.ext4 -d ($size_mb MiB, sparse)"
truncate -s "${size_mb}M" "$stage/rootfs.img"
mkfs.ext4 -q -F -L labroot -m 0 -E lazy_itable_init=0,lazy_journal_init=0 -d "$root" "$stage/rootfs.img" ||
	die "mkfs.ext4 -d failed"
cp "$work/debootstrap.log" "$work/apt.log" "$stage/"

# Publish atomically. Drop images of other keys unused for a day (another
# checkout may still be running scenarios on its own key).
for old in "$cache"/*/; do
	old=${old%/}
	case "$(basename "$old")" in debs | build.*) continue ;; esac
	if [ "$old" != "$out" ] && [ -z "$(find "$old" -maxdepth 1 -name last-used -mmin -1440)" ]; then
		rm -rf "$old"
	fi
done
rm -rf "$out"
took=$(elapsed)
printf 'key %s\nkernel %s\nbuilt %s\nseconds %s\n' "$k" "$kver" "$(date -u +%FT%TZ)" "$took" >"$stage/done"
touch "$stage/last-used"
mv "$stage" "$out"
log "image ready in $out ($took s; kernel $kver)"
echo "$out"
