#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Package post-remove: forget the rule and unit (udev and systemd reload) and the
# runtime drop-in preremove wrote. On an upgrade (Debian "upgrade", RPM $1 >= 1,
# pacman never calls this on upgrade) nothing is done here.
case "${1:-}" in
upgrade | failed-upgrade) exit 0 ;;
'' | *[!0-9]*) ;;
0) ;;
*) exit 0 ;;
esac
rm -f /run/systemd/system/bond-up@.service.d/50-package-removed.conf
rmdir /run/systemd/system/bond-up@.service.d 2>/dev/null
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload || true
fi
if command -v udevadm >/dev/null 2>&1 && [ -S /run/udev/control ]; then
	udevadm control --reload || true
fi
exit 0
