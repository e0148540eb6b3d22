#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# 72. "Online" for the rest of the system (issue 17.4): bond-wait-online.service
# before network-online.target, pulled in by a unit that wants the target
# (72-online.early queues it at boot). A boot with no NIC reaches the target after
# the timeout (15 s here) and no later; then, with the target stopped and wanted
# again before a NIC is plugged, the unit ordered after it starts only once bond0
# has an active slave and an address.
# lab-devices:
# lab-config: laptop-day.conf
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../guest/lib.sh
. /lab/guest/lib.sh

mono() { systemctl show -P "$2" "$1"; } # a monotonic timestamp property, in µs
probe_ran() { [ -s "$LAB_RUN/probe.uptime" ] || { echo "lab-online-probe has not run"; return 1; }; }

note "part 1: a boot with no NIC"
check "the probe (after network-online.target) ran" 60 probe_ran
check "network-online.target is active" 5 unit_active network-online.target
check "bond-wait-online failed at its timeout" 5 eval "systemctl is-failed --quiet bond-wait-online.service"
check "it names what is missing" 5 journal_has "not online after 15s: bond0 has no active slave"
start=$(mono bond-wait-online.service ExecMainStartTimestampMonotonic)
probe=$(awk '{ printf "%d", $1 * 1000000 }' "$LAB_RUN/probe.uptime")
waited=$(awk -v a="$start" -v b="$probe" 'BEGIN { printf "%.2f", (b - a) / 1e6 }')
measure "no NIC: bond-wait-online start -> probe start" "$waited"
if awk -v w="$waited" 'BEGIN { exit !(w >= 15 && w < 25) }'; then
	pass "no NIC: the target is reached after the timeout, and not held longer" "$waited"
else
	fail "no NIC: the target is reached after the timeout, and not held longer" "probe started $waited s after the wait began (timeout 15 s)"
fi

note "part 2: the target wanted again, then a NIC plugged"
systemctl stop lab-online-probe.service network-online.target
systemctl reset-failed bond-wait-online.service
cat >/run/systemd/system/bond-wait-online.service.d/lab.conf <<'UNIT'
[Service]
ExecStart=
ExecStart=/usr/local/bin/bond-up --wait-online --timeout 120s
UNIT
systemctl daemon-reload
rm -f "$LAB_RUN/probe.uptime" "$LAB_RUN/probe.addrs"
systemctl start --no-block lab-online-probe.service
check "bond-wait-online waits (activating)" 10 eval "[ \"\$(systemctl show -P ActiveState bond-wait-online.service)\" = activating ]"
sleep 2
check "the probe has not run without a NIC" 1 eval "! probe_ran"
t=$(now)
plug_wired eth0
check "the probe ran once bond0 was online" 90 probe_ran
measure "NIC plugged -> probe (after network-online.target) started" "$(since "$t")"
check "the probe saw a usable address on bond0" 1 eval "grep -qE ' inet 10\.77\.0\.| inet6 fd77::' $LAB_RUN/probe.addrs"
note "the probe saw: $(awk '{print $3, $4}' "$LAB_RUN/probe.addrs" | tr '\n' ' ')"
check "bond-wait-online succeeded" 5 unit_active bond-wait-online.service
check "it logged bond0 online with eth0 active" 5 journal_has "bond0 online after [0-9.]+ s: active slave eth0"
check "DHCPv4 lease on bond0" 60 has_dhcp4 bond0
