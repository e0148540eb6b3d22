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
# An upgrade from a build before 0.1.0 finds masters up but no runtime rule (bond-up
# writes it, and the new 90-bond-hotplug.rules runs bond-hotplug only for the devices
# it names): hot-plug would stay off until the next bond-up. A reload of every
# bond-up@ instance (the pattern matches the loaded ones; an inactive one refuses,
# harmlessly) runs the new bond-up, which writes the rule and changes nothing else on
# a master that is converged. On a fresh install no instance is loaded.
if [ -d /run/systemd/system ] && [ ! -e /run/udev/rules.d/89-bond-hotplug-up.rules ]; then
	systemctl reload 'bond-up@*.service' >/dev/null 2>&1 || true
fi
exit 0
