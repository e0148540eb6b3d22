#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Install, from Debian's packages, what the VM lab needs on the host and is
# missing: qemu (TCG, no KVM needed), debootstrap, mkfs.ext4 -d, the
# decompressors for vmlinux. Idempotent. Sourced or run by run.sh and demo.sh.
set -euo pipefail

need=(qemu-system-x86 qemu-utils debootstrap e2fsprogs util-linux xz-utils zstd gzip)
missing=()
for p in "${need[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
	echo "lab: installing ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if ! command -v go >/dev/null; then
	if [ -x /usr/local/go/bin/go ]; then
		export PATH=$PATH:/usr/local/go/bin
	else
		echo "lab: no Go toolchain (the lab builds hwsimctl and the product with go)" >&2
		exit 1
	fi
fi
