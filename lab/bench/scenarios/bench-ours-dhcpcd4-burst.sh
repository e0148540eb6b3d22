#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Benchmarks (docs/BENCHMARKS.md), contender ours-dhcpcd4 (bond-hotplug installed as for
# "ours", with dhcpcd for DHCPv4 and dhcp6c for DHCPv6: conf/bench-dhcpcd4.conf), part burst. Started
# by bench/lab (bench/run.sh --lab); not a test scenario.
# lab-devices: eth0
# (a NIC at boot, the same for every contender; the bench starts by removing it)
# lab-timeout: 900
# lab-config: bench-dhcpcd4.conf
# The guest side is ours' (CONTENDER=ours); BENCH_AS names the contender in its notes.
export CONTENDER=ours BENCH_AS=ours-dhcpcd4
# shellcheck source-path=SCRIPTDIR source=../guest.sh
. /lab/bench/guest.sh
bench_main burst
