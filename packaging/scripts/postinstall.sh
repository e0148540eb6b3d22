#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Package post-install and post-upgrade: make udev and systemd read the new rule and
# unit. Nothing is enabled or started: the configuration needs editing first.
# Runs on Debian (postinst configure), Fedora (%post) and Arch (post_install,
# post_upgrade); no bashisms.
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload || true
fi
if command -v udevadm >/dev/null 2>&1 && [ -S /run/udev/control ]; then
	udevadm control --reload || true
fi
exit 0
