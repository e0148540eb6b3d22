#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The demo (the README's first command, `make demo`): builds what it needs,
# boots the lab VM and plays the laptop story with a live timeline: boot on
# wired, pull the cable, Wi-Fi takes over, plug it back, unplug and replug the
# wired NIC, pull the Wi-Fi card, insert another, bond-down.
# Everything network happens inside the VM (qemu without a network device).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "demo: run as root (debootstrap, chroot, the guest's 9p share)" >&2; exit 1; }
# shellcheck source-path=SCRIPTDIR source=hostdeps.sh
. lab/hostdeps.sh
echo "demo: preparing (the first run builds a Debian image, a few minutes; later runs reuse it)" >&2
exec go run ./lab/cmd/lab demo
