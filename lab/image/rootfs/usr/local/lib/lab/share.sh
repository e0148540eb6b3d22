#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Lab guest entry point: mount the host share (9p, tag "lab") at /lab if needed,
# then run /lab/guest/STEP.sh. The image only knows this file; everything a
# scenario does lives on the share, so editing a scenario never rebuilds the image.
set -eu
step=$1
if ! mountpoint -q /lab; then
	modprobe 9pnet_virtio
	modprobe 9p
	mkdir -p /lab
	mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 lab /lab
fi
if [ ! -f "/lab/guest/$step.sh" ]; then
	echo "lab: /lab/guest/$step.sh missing; nothing to do" >&2
	exit 0
fi
exec /bin/bash "/lab/guest/$step.sh"
