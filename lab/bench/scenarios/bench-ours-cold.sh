#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Benchmarks (docs/BENCHMARKS.md), contender ours, part cold. Started by bench/lab
# (bench/run.sh --lab); not a test scenario.
# lab-devices: eth0
# (a NIC at boot, the same for every contender; the bench starts by removing it)
# lab-timeout: 900
# lab-config: bench.conf
export CONTENDER=ours
# shellcheck source-path=SCRIPTDIR source=../guest.sh
. /lab/bench/guest.sh
bench_main cold
