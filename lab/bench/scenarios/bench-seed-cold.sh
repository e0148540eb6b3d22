#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Benchmarks (docs/BENCHMARKS.md), contender seed, part cold. Started by bench/lab
# (bench/run.sh --lab); not a test scenario.
# lab-timeout: 900
# lab-devices: eth0
# (a NIC at boot, the same for every contender; the bench starts by removing it)
export CONTENDER=seed
# shellcheck source-path=SCRIPTDIR source=../guest.sh
. /lab/bench/guest.sh
bench_main cold
