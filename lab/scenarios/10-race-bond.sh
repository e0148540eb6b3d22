#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# 10. Races on a bond: RACE_DEVICES veth devices vr0.. (far ends on the lan or
# in a "far" namespace). First one full-size burst: 64 bond-hotplug runs
# released at the same instant (adds and removes interleaved, shuffled) while
# RACE_FLIPS devices are deleted or created; then RACE_ROUNDS rounds of
# RACE_BURST runs (an add and a remove for RACE_BURST/2 random devices) with
# flips. The installed binary is run directly with udev's ACTION/INTERFACE; the
# device changes cause real udev runs too. After every burst: each run exited
# 0, bond0's slaves are exactly eth0 and the vr devices present, no lock is
# held, the lock directory is clean, `bond-up -n bond0` has nothing to do.
# Then a process SIGKILLed while holding bond0's lock does not block the next
# run.
# Sizes: a converged run costs ~0.5-0.7 s in this TCG guest and runs of one
# master are serialised by its lock, so the issue's 20 rounds of 64 runs for
# 32 devices (>= 11 minutes here) do not fit CI's budget of ~3 minutes per
# scenario; the sizes below do. Raise them at the top of this file to run the
# full size by hand.
# lab-devices: eth0
# lab-config: race.conf
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../guest/reliability.sh
. /lab/guest/reliability.sh

N=${RACE_DEVICES:-16}
FULL=${RACE_FULL_BURST:-64}
ROUNDS=${RACE_ROUNDS:-4}
BURST=${RACE_BURST:-16}
FLIPS=${RACE_FLIPS:-3}
RANDOM=1010 # the same "random" rounds every run

# plug_vr I: vrI, its far end on the lan (even I) or in "far" (odd I).
plug_vr() { if (($1 % 2 == 0)); then plug_wired "vr$1"; else plug_wired "vr$1" far; fi; }
# flip_devices I...: delete the present ones, create the absent ones.
flip_devices() {
	local i
	for i in "$@"; do
		if [ -e "/sys/class/net/vr$i" ]; then ip link del "vr$i"; else plug_vr "$i"; fi
	done
}
converged_race() { slaves_are bond0 'eth*' 'vr*' && is_active eth0; }
up_with_lease() { is_active eth0 && has_dhcp4 bond0; }

require "bond0 up on eth0 with a DHCPv4 lease" 90 up_with_lease
t=$(now)
for i in 1 2 3 4; do ACTION=add INTERFACE=eth0 "$HOTPLUG" >/dev/null 2>&1 || true; done
measure "one converged bond-hotplug run, alone (mean of 4)" "$(awk -v s="$(since "$t")" 'BEGIN { printf "%.2f", s / 4 }')"
ip netns add far
t=$(now)
for ((i = 0; i < N; i++)); do plug_vr "$i"; done
settle
check "udev alone enslaves the $N new vr devices" 60 converged_race
measure "$N devices created, udev-run bond-hotplug converged" "$(since "$t")"
check "bond-up -n bond0: nothing to do after the udev burst" 20 nothing_to_do bond0

ok_rounds=0
exit_ok=0
first_exit=""
bad_runs=0
total_runs=0
slowest=0
first_fail=""
udev0=$(udev_failures)
t_all=$(now)
# round R: burst of SIZE runs; round 0 is the full-size one.
round() {
	local r=$1 size=$2 i j e k nf=0 took why="" swhy="" out picked=()
	events=()
	if [ "$size" -ge $((2 * N)) ]; then
		for ((i = 0; i < size; i++)); do
			if ((i % 2 == 0)); then events+=("add:vr$(((i / 2) % N))"); else events+=("remove:vr$(((i / 2) % N))"); fi
		done
	else
		for ((i = 0; i < size / 2; i++)); do
			k=$((RANDOM % N))
			events+=("add:vr$k" "remove:vr$k")
		done
	fi
	# Shuffle (Fisher-Yates): adds and removes interleaved.
	for ((i = ${#events[@]} - 1; i > 0; i--)); do
		j=$((RANDOM % (i + 1)))
		e=${events[$i]}
		events[i]=${events[$j]}
		events[j]=$e
	done
	for ((k = 0; k < FLIPS; k++)); do picked+=($((RANDOM % N))); done
	# shellcheck disable=SC2034
	BURST_DURING="flip_devices ${picked[*]}"
	local tr0
	tr0=$(now)
	burst "$LAB_RUN/race/$r" "${events[@]}" || nf=$?
	settle
	took=$(since "$tr0")
	if [ "$nf" != 0 ]; then
		why="$nf of ${#events[@]} runs failed: $(sort "$LAB_RUN/race/$r/fails" | sed 's/^[a-z]*:vr[0-9]* //' | uniq -c | sort -rn | head -n 2 | tr '\n' ' ')"
		cp "$LAB_RUN/race/$r/fails" "$LAB_OUT/race-round-$r-fails.txt"
	fi
	if ! out=$(wait_for 10 converged_race; converged_race 2>&1); then swhy="$swhy state: $out"; fi
	if ! out=$(lock_free bond0 2>&1); then swhy="$swhy $out"; fi
	if ! out=$(lock_dir_clean 2>&1); then swhy="$swhy $out"; fi
	if ! out=$(nothing_to_do bond0 2>&1); then swhy="$swhy bond-up -n: $(echo "$out" | tr '\n' ' ')"; fi
	note "round $r: ${#events[@]} runs, flipped ${picked[*]}; $(slaves_of bond0 | wc -w) slaves; ${took} s, longest run $(burst_longest "$LAB_RUN/race/$r") s${why:+; RUNS FAILED: $why}${swhy:+; STATE: $swhy}"
	ROUND_WHY=$why
	ROUND_STATE_WHY=$swhy
	ROUND_FAILED=$nf
	ROUND_TOOK=$took
}

round 0 "$FULL"
if [ -z "$ROUND_STATE_WHY" ]; then
	pass "full burst of $FULL concurrent runs for $N devices ($FLIPS deleted/created meanwhile): state = config + present devices, no lock held, nothing to do" "$ROUND_TOOK"
else
	fail "full burst of $FULL concurrent runs for $N devices: state" "$ROUND_STATE_WHY"
fi
if [ -z "$ROUND_WHY" ]; then
	pass "full burst of $FULL concurrent runs: every run exited 0" "$ROUND_TOOK"
else
	fail "full burst of $FULL concurrent runs: every run exited 0" "$ROUND_WHY"
fi
measure "race: full burst of $FULL runs, $ROUND_FAILED failed, longest run $(burst_longest "$LAB_RUN/race/0") s; wall" "$ROUND_TOOK"
for ((r = 1; r <= ROUNDS; r++)); do
	round "$r" "$BURST"
	slowest=$(awk -v a="$slowest" -v b="$ROUND_TOOK" 'BEGIN { print (b > a) ? b : a }')
	total_runs=$((total_runs + BURST))
	bad_runs=$((bad_runs + ROUND_FAILED))
	if [ -z "$ROUND_STATE_WHY" ]; then
		ok_rounds=$((ok_rounds + 1))
	elif [ -z "$first_fail" ]; then
		first_fail="round $r: $ROUND_STATE_WHY"
	fi
	if [ -z "$ROUND_WHY" ]; then
		exit_ok=$((exit_ok + 1))
	elif [ -z "$first_exit" ]; then
		first_exit="round $r: $ROUND_WHY"
	fi
done
rounds_took=$(since "$t_all")
if [ "$ok_rounds" = "$ROUNDS" ]; then
	pass "$ROUNDS rounds of $BURST concurrent runs ($FLIPS devices deleted/created per round): state = config + present devices, no lock held, nothing to do" "$rounds_took"
else
	fail "$ROUNDS rounds of $BURST concurrent runs: state" "$ok_rounds of $ROUNDS rounds converged; first: $first_fail"
fi
if [ "$exit_ok" = "$ROUNDS" ]; then
	pass "$ROUNDS rounds of $BURST concurrent runs: every run exited 0" "$rounds_took"
else
	fail "$ROUNDS rounds of $BURST concurrent runs: every run exited 0" "$exit_ok of $ROUNDS rounds without a failed run, $bad_runs of $total_runs runs failed; first: $first_exit"
fi
expect_eq "no udev-run bond-hotplug failed during the rounds" "$(($(udev_failures) - udev0)) failed" "0 failed"
measure "race: $ok_rounds/$ROUNDS rounds converged, $exit_ok/$ROUNDS without a failed run, $total_runs runs, $bad_runs failed; slowest round" "$slowest"

# A run killed with SIGKILL while it holds the lock (a single process: flock(1)
# with a command would leave the command's process holding the lock).
pid=$(hold_lock bond0)
check "a process holds bond0's lock" 5 lock_held bond0
t=$(now)
ACTION=add INTERFACE=vr1 "$HOTPLUG" >"$LAB_RUN/after-kill.out" 2>&1 &
waiter=$!
sleep 1
if kill -0 "$waiter" 2>/dev/null; then
	pass "a run waits while the lock is held" "$(since "$t")"
else
	fail "a run waits while the lock is held" "it ended at once: $(tr '\n' ' ' <"$LAB_RUN/after-kill.out")"
fi
kill -9 "$pid"
tk=$(now)
rc=0
wait "$waiter" || rc=$?
expect_eq "the waiting run proceeds once the holder is SIGKILLed, and exits 0" "exit $rc" "exit 0"
measure "lock: SIGKILL of the holder to the waiting run's exit" "$(since "$tk")"
check "state = config + present devices after the kill" 10 converged_race
t=$(now)
rc=0
ACTION=add INTERFACE=eth0 "$HOTPLUG" >"$LAB_RUN/next.out" 2>&1 || rc=$?
expect_eq "the next run exits 0" "exit $rc" "exit 0"
measure "lock: the next run after the kill" "$(since "$t")"
check "no lock held at the end" 5 lock_free bond0
check "bond-up -n bond0: nothing to do at the end" 10 nothing_to_do bond0
check "bond0 still has its DHCPv4 lease" 10 has_dhcp4 bond0
check "no error logged by the product this boot" 1 no_product_errors
