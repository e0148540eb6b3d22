#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Run VM lab scenarios by hand and print their results:
#   lab/run.sh                      all scenarios (lab/scenarios/NN-*.sh)
#   lab/run.sh 03-unplug-wired 05   some of them (name or number prefix)
#   lab/run.sh --no-product 00      the harness self-test on the bare image
# Needs root. Evidence of each run stays in /var/tmp/bond-hotplug-lab/<run>/.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "lab/run.sh: run as root (debootstrap, chroot, the guest's 9p share)" >&2; exit 1; }
# shellcheck source-path=SCRIPTDIR source=hostdeps.sh
. lab/hostdeps.sh

flags=()
names=()
for a in "$@"; do
	case "$a" in
	--no-product | -no-product) flags+=(-no-product) ;;
	-*) echo "lab/run.sh: unknown option $a" >&2; exit 2 ;;
	*)
		# a number prefix (03) or a name (03-unplug-wired or lab/scenarios/03-unplug-wired.sh)
		n=$(basename "${a%.sh}")
		m=$(find lab/scenarios -maxdepth 1 -name "$n*.sh" -printf '%f\n' | sort | head -n 1)
		[ -n "$m" ] || { echo "lab/run.sh: no scenario matches $a" >&2; exit 2; }
		names+=("${m%.sh}")
		;;
	esac
done
exec go run ./lab/cmd/lab "${flags[@]}" run "${names[@]}"
