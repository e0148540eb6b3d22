// SPDX-License-Identifier: Apache-2.0

//go:build bondhotplug_trace

package trace

import (
	"fmt"
	"regexp"
	"testing"
	"time"
)

func TestLineShowsTheStampsInOrderAfterTheProcessStarted(t *testing.T) {
	t.Setenv("USEC_INITIALIZED", "1500000")
	Mark("first")
	time.Sleep(5 * time.Millisecond)
	Mark("second")
	l := Line()
	re := regexp.MustCompile(`^udev=1\.500 exec=([0-9.]+) init=([0-9.]+) first@([0-9.]+) second@([0-9.]+) total=[0-9.]+ms$`)
	m := re.FindStringSubmatch(l)
	if m == nil {
		t.Fatalf("Line() = %q, want udev, exec, init, the two stamps and the total", l)
	}
	if atof(t, m[1]) > atof(t, m[2]) {
		t.Errorf("the process started (%s s) after its Go code ran (%s s): %q", m[1], m[2], l)
	}
	first, second := atof(t, m[3]), atof(t, m[4])
	if second-first < 5 {
		t.Errorf("stamps 5 ms apart read %.1f ms apart: %q", second-first, l)
	}
}

func atof(t *testing.T, s string) float64 {
	t.Helper()
	var f float64
	if _, err := fmt.Sscan(s, &f); err != nil {
		t.Fatal(err)
	}
	return f
}
