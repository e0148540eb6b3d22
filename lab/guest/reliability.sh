# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# Helpers of the reliability scenarios (lab/scenarios/1N-*.sh): bursts of
# concurrent bond-hotplug runs, a lock held by a process that is then killed,
# a fast ping counted by sequence number, address-deletion watch, DHCP unit
# identity, the lan's DHCP server stopped and started. Like lib.sh, they drive
# the kernel, udev and systemd and run only the installed product binaries.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /lab/guest/lib.sh

LOCK_DIR=/run/bond-hotplug/lock
HOTPLUG=/usr/local/bin/bond-hotplug

# Figures worth keeping are printed as TIME lines; counts go into the name.
# figure TEXT SECONDS
figure() { measure "$1" "$2"; }

## Slaves as the kernel reports them.

# slaves_of MASTER: the slave names, sorted, one line, space separated.
slaves_of() { tr ' ' '\n' <"/sys/class/net/${1:-bond0}/bonding/slaves" 2>/dev/null | sed '/^$/d' | sort | tr '\n' ' '; }
# present_matching GLOB...: the present devices of the root namespace whose
# names match one of the globs, sorted like slaves_of.
present_matching() {
	local d n g
	for d in /sys/class/net/*; do
		n=${d##*/}
		for g in "$@"; do
			# shellcheck disable=SC2254
			case "$n" in $g) echo "$n"; break ;; esac
		done
	done | sort | tr '\n' ' '
}
# slaves_are MASTER GLOB...: the master's slaves are exactly the present
# devices matching the globs.
slaves_are() {
	local m=$1 got want
	shift
	got=$(slaves_of "$m")
	want=$(present_matching "$@")
	[ "$got" = "$want" ] || { echo "slaves of $m: [$got] want [$want]"; return 1; }
}

## The product's own view.

# lock_free MASTER: nobody holds the master's lock, and the lock directory holds
# only lock files of configured masters (no stray files).
lock_free() {
	local f=$LOCK_DIR/$1.lock
	[ ! -e "$f" ] || flock -n "$f" true || { echo "lock $f is held"; return 1; }
}
lock_dir_clean() {
	local extra
	extra=$(find "$LOCK_DIR" -mindepth 1 ! -name '*.lock' 2>/dev/null | tr '\n' ' ')
	[ -z "$extra" ] || { echo "stray files in $LOCK_DIR: $extra"; return 1; }
}
# hold_lock MASTER: a single process (no child) takes the master's lock and
# sleeps; prints its pid. SIGKILL on that pid is "killed while holding the lock".
hold_lock() {
	[ -d "$LOCK_DIR" ] || mkdir -p -m 0700 "$LOCK_DIR"
	(
		exec 9>>"$LOCK_DIR/$1.lock"
		flock 9
		exec sleep 300
	) >/dev/null 2>&1 &
	echo $!
}
lock_held() { ! flock -n "$LOCK_DIR/$1.lock" true; }

# udev_failures: how many RUN programs udev reported as failed this boot.
udev_failures() { journalctl -b --no-pager -o cat -u systemd-udevd 2>/dev/null | grep -c "failed with exit code" || true; }
no_udev_failures() {
	local e
	e=$(journalctl -b --no-pager -o cat -u systemd-udevd 2>/dev/null | grep "failed with exit code")
	[ -z "$e" ] || { echo "$(echo "$e" | wc -l) failed: $(echo "$e" | head -n 3 | tr '\n' ' ')"; return 1; }
}
# product_errors: error-priority lines the product logged this boot.
product_errors() { journalctl -b --no-pager -o cat -p err -t bond-hotplug -t bond-up -t bond-down 2>/dev/null | grep -c . || true; }
# no_product_errors: nothing at error priority from the product this boot.
no_product_errors() {
	local e
	e=$(journalctl -b --no-pager -o cat -p err -t bond-hotplug -t bond-up -t bond-down 2>/dev/null)
	[ -z "$e" ] || { echo "$(echo "$e" | wc -l) error lines, e.g.: $(echo "$e" | sort | uniq -c | sort -rn | head -n 3 | tr '\n' ' ')"; return 1; }
}
# unit_stops UNIT: how many times systemd logged stopping UNIT this boot.
unit_stops() { journalctl --sync 2>/dev/null; journalctl -b --no-pager -o cat -u "$1" 2>/dev/null | grep -c '^Stopping ' || true; }

## Bursts: N bond-hotplug runs released at the same instant.

# burst DIR EVENT...: EVENT is ACTION:INTERFACE. Every run is a subshell that
# waits on a shared lock (the barrier) and then execs the installed
# bond-hotplug with udev's ACTION and INTERFACE in its environment. Writes
# DIR/N.{out,err,rc,time} (time: start and end, epoch s) and DIR/fails (one line per non-zero exit); returns the
# number of failed runs (capped at 255), 0 when all exited 0.
# BURST_DURING, when set, is a command run in the background as the burst is
# released (device changes racing the runs); burst waits for it too.
burst() {
	local dir=$1 i=0 ev pids=() rc fails=0 barrier during=""
	shift
	mkdir -p "$dir"
	barrier=$dir/barrier
	: >"$barrier"
	exec 7>"$barrier"
	flock 7
	for ev in "$@"; do
		(
			flock -s 9
			exec 9<&-
			s=$EPOCHREALTIME
			rc=0
			ACTION=${ev%%:*} INTERFACE=${ev#*:} "$HOTPLUG" >"$dir/$i.out" 2>"$dir/$i.err" || rc=$?
			echo "$s $EPOCHREALTIME" >"$dir/$i.time"
			exit "$rc"
		) 9<"$barrier" 7>&- &
		pids+=($!)
		i=$((i + 1))
	done
	flock -u 7
	exec 7>&-
	if [ -n "${BURST_DURING:-}" ]; then
		$BURST_DURING &
		during=$!
	fi
	: >"$dir/fails"
	i=0
	for ev in "$@"; do
		rc=0
		wait "${pids[$i]}" || rc=$?
		echo "$rc" >"$dir/$i.rc"
		if [ "$rc" != 0 ]; then
			fails=$((fails + 1))
			echo "$ev exit $rc: $(tr '\n' ' ' <"$dir/$i.err" | cut -c1-300)" >>"$dir/fails"
		fi
		i=$((i + 1))
	done
	if [ -n "$during" ]; then
		wait "$during" || true
	fi
	return $((fails > 255 ? 255 : fails))
}

# burst_longest DIR: the longest run of the last burst in DIR (s).
burst_longest() { cat "$1"/*.time | awk '{ d = $2 - $1; if (d > m) m = d } END { printf "%.2f", m }'; }

## Traffic: a fast ping counted by icmp_seq.

# fastping_start ADDR INTERVAL: ping ADDR every INTERVAL s with timestamps.
fastping_start() {
	ping -D -n -i "$2" -W 1 "$1" >"$LAB_OUT/fastping-$1.log" 2>&1 &
	echo $! >"$LAB_RUN/fastping-$1.pid"
}
fastping_stop() { kill -INT "$(cat "$LAB_RUN/fastping-$1.pid")" 2>/dev/null || true; sleep 0.3; }
# fastping_seq ADDR: the highest icmp_seq answered so far.
fastping_seq() { grep -o 'icmp_seq=[0-9]*' "$LAB_OUT/fastping-$1.log" | tail -n 1 | cut -d= -f2; }
# fastping_lost ADDR FROM TO: requests with icmp_seq in [FROM, TO] that got no
# reply (TO is a sequence number already answered, so nothing is in flight).
fastping_lost() {
	grep -o 'icmp_seq=[0-9]*' "$LAB_OUT/fastping-$1.log" | cut -d= -f2 |
		awk -v f="$2" -v t="$3" '$1 >= f && $1 <= t { seen[$1] = 1 } END { n = 0; for (s = f; s <= t; s++) if (!(s in seen)) n++; print n }'
}
# fastping_gap ADDR FROM TO: the longest time (s) between two consecutive
# replies with icmp_seq in [FROM, TO].
fastping_gap() {
	grep '^\[[0-9.]*\] .* icmp_seq=' "$LAB_OUT/fastping-$1.log" | sed 's/^\[\([0-9.]*\)\].*icmp_seq=\([0-9]*\).*/\1 \2/' |
		awk -v f="$2" -v t="$3" '$2 >= f && $2 <= t { if (p != "" && $1 - p > g) g = $1 - p; p = $1 } END { printf "%.3f", g }'
}

## Addresses: every deletion on a device, as the kernel announces it.

# addr_watch_start DEV: record the kernel's address notifications.
addr_watch_start() {
	ip -ts monitor address >"$LAB_OUT/addr-monitor.log" 2>&1 &
	echo $! >"$LAB_RUN/addr-monitor.pid"
	sleep 0.3
}
addr_watch_stop() { kill "$(cat "$LAB_RUN/addr-monitor.pid")" 2>/dev/null || true; }
# addr_deleted DEV FAMILY: the Deleted notifications for DEV's FAMILY (inet,
# inet6) addresses so far.
addr_deleted() { grep -E "Deleted [0-9]+: $1 +$2 " "$LAB_OUT/addr-monitor.log" 2>/dev/null || true; }

## Units: identity of a running unit (a restart changes it).

unit_identity() { systemctl show -p InvocationID -p NRestarts -p MainPID -p ActiveState "$1" 2>/dev/null | sort | tr '\n' ' '; }
unit_healthy() {
	local s
	s=$(systemctl show -p ActiveState -p NRestarts "$1" 2>/dev/null | sort | tr '\n' ' ')
	[ "$s" = "ActiveState=active NRestarts=0 " ] || { echo "$1: $s"; return 1; }
}
no_failed_units() {
	local f
	f=$(systemctl list-units --failed --plain --no-legend 'bond*' 2>/dev/null | awk '{ print $1 }' | tr '\n' ' ')
	[ -z "$f" ] || { echo "failed: $f"; return 1; }
}

## The lan's DHCP server (started by lan.sh), stopped and started again with the
## same command line.

dnsmasq_pid() { cat "$LAB_RUN/dnsmasq.pid" 2>/dev/null; }
dnsmasq_running() { local p; p=$(dnsmasq_pid) && [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }
dnsmasq_stop() {
	local p
	p=$(dnsmasq_pid)
	kill "$p"
	wait_for 10 bash -c "! kill -0 $p"
	rm -f "$LAB_RUN/dnsmasq.pid"
}
dnsmasq_start() {
	ip netns exec "$LAN_NS" dnsmasq --conf-file="$(dnsmasq_conf lan)" --pid-file="$LAB_RUN/dnsmasq.pid" \
		--dhcp-leasefile="$LAB_RUN/dnsmasq.leases" --log-facility="$LAB_OUT/dnsmasq.log"
	wait_for 10 dnsmasq_running
}
# lease_has IP: dnsmasq's lease file lists IP (an IPv4 address without /len).
lease_has() { grep -q " $1 " "$LAB_RUN/dnsmasq.leases" 2>/dev/null || { echo "no lease for $1 in:"; cat "$LAB_RUN/dnsmasq.leases"; return 1; }; }
lease_gone() { ! grep -q " $1 " "$LAB_RUN/dnsmasq.leases" 2>/dev/null || { grep " $1 " "$LAB_RUN/dnsmasq.leases"; return 1; }; }
