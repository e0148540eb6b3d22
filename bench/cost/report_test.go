// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

func TestQuantile(t *testing.T) {
	xs := []float64{5, 1, 4, 2, 3} // unsorted on purpose
	for _, c := range []struct{ q, want float64 }{
		{0, 1}, {0.5, 3}, {1, 5}, {0.1, 1.4}, {0.9, 4.6},
	} {
		if got := quantile(xs, c.q); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("quantile(%v, %v) = %v, want %v", xs, c.q, got, c.want)
		}
	}
	if xs[0] != 5 {
		t.Errorf("quantile sorted its argument: %v", xs)
	}
	if got := median([]float64{1, 2, 3, 10}); got != 2.5 {
		t.Errorf("median = %v, want 2.5", got)
	}
	if !math.IsNaN(median(nil)) {
		t.Error("median(nil) is not NaN")
	}
}

func TestPairedRatio(t *testing.T) {
	// Round by round ratios 2, 3, 4: a slow round (x10 for both) changes nothing.
	if got := pairedRatio([]float64{2, 30, 4}, []float64{1, 10, 1}); got != "3.0×" {
		t.Errorf("pairedRatio = %q, want 3.0×", got)
	}
	if got := pairedRatio([]float64{1}, []float64{1, 2}); got != "-" {
		t.Errorf("pairedRatio of unequal lengths = %q, want -", got)
	}
	if got := pairedRatio([]float64{1}, []float64{0}); got != "-" {
		t.Errorf("pairedRatio over a zero floor = %q, want -", got)
	}
}

func TestReportMarkdown(t *testing.T) {
	r := &results{Runs: 2, Date: "D", Cases: []caseResult{
		{ID: "floor", Label: "floor", WallMs: []float64{1, 1}, CPUMs: []float64{1, 1}, PeakKB: []float64{2048, 2048}, MaxRSSKB: []float64{4096, 4096}},
		{ID: "seed", Label: "seed", WallMs: []float64{4, 4}, CPUMs: []float64{4, 4}, PeakKB: []float64{2048, 2048}, MaxRSSKB: []float64{4096, 4096}},
		{ID: "b", Label: "a|b", WallMs: []float64{3, 3}, CPUMs: []float64{2, 2}, PeakKB: []float64{7168, 7168}, MaxRSSKB: []float64{7168, 7168}},
	}, Sizes: []binSize{{Name: "bond-hotplug", Bytes: 1 << 20, Stripped: 1 << 19}}}
	var b bytes.Buffer
	report(&b, r, "markdown")
	out := b.String()
	for _, want := range []string{
		"| a\\|b | 3.00 | 3.00 | 3.00 | 2.00 | 7.0 | 3.0× | 2.0× |",
		"| bond-hotplug | 1.00 | 0.50 | 1048576 | 524288 |",
		"wall 0.8×, CPU 0.5×",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}
