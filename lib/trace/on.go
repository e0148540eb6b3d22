// SPDX-License-Identifier: Apache-2.0

//go:build bondhotplug_trace

package trace

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

type stamp struct {
	name string
	at   time.Duration // since boot, on CLOCK_MONOTONIC
}

var (
	mu     sync.Mutex
	stamps []stamp
	// base is the monotonic clock read once, with the wall clock's reading of the same
	// moment: later stamps add time.Since (the vDSO) to it instead of a syscall each.
	base     time.Duration
	baseTime time.Time
)

func init() {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err == nil {
		base = time.Duration(ts.Nano())
	}
	baseTime = time.Now()
}

// Enabled says whether this build stamps (callers skip work only a stamp needs).
const Enabled = true

// Mark notes that the named phase ended now. Safe from any goroutine.
func Mark(name string) {
	at := base + time.Since(baseTime)
	mu.Lock()
	stamps = append(stamps, stamp{name, at})
	mu.Unlock()
}

// Line is the run's phases as one line: the event udev began with (USEC_INITIALIZED
// of the device, when udev passed it), the process's start (/proc/self/stat, in
// clock ticks: 10 ms steps) and the first stamp of Go code (init), in seconds since
// boot, then each stamp as "name@ms" since init (phases in the background, such as
// the D-Bus connection, interleave), and the total from the process's start to the
// last stamp.
func Line() string {
	mu.Lock()
	defer mu.Unlock()
	var b strings.Builder
	sec := func(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', 3, 64) }
	if v, err := strconv.ParseInt(os.Getenv("USEC_INITIALIZED"), 10, 64); err == nil && v > 0 {
		fmt.Fprintf(&b, "udev=%s ", sec(time.Duration(v)*time.Microsecond))
	}
	start, startOK := procStart()
	if startOK {
		fmt.Fprintf(&b, "exec=%s ", sec(start))
	}
	fmt.Fprintf(&b, "init=%s", sec(base))
	prev := base
	for _, s := range stamps {
		fmt.Fprintf(&b, " %s@%.1f", s.name, float64(s.at-base)/float64(time.Millisecond))
		prev = max(prev, s.at)
	}
	if startOK {
		fmt.Fprintf(&b, " total=%.1fms", float64(prev-start)/float64(time.Millisecond))
	}
	return b.String()
}

// procStart is when this process started, since boot: field 22 of /proc/self/stat,
// in clock ticks (USER_HZ, 100 on Linux).
func procStart() (time.Duration, bool) {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0, false
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 {
		return 0, false
	}
	ticks, err := strconv.ParseInt(f[19], 10, 64) // field 22; f[0] is field 3
	if err != nil {
		return 0, false
	}
	return time.Duration(ticks) * (time.Second / 100), true
}
