#!/bin/bash
# Benchmarks (docs/BENCHMARKS.md), contender ours, part burst. Started by bench/lab
# (bench/run.sh --lab); not a test scenario.
# lab-devices: eth0
# (a NIC at boot: bond-hotplug's boot unit with no slave at all holds network.target, see docs/BENCHMARKS.md; the bench starts by removing it)
# lab-config: bench.conf
export CONTENDER=ours
# shellcheck source-path=SCRIPTDIR source=../guest.sh
. /lab/bench/guest.sh
bench_main burst
