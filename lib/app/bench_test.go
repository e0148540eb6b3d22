// SPDX-License-Identifier: Apache-2.0

package app

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
)

// manyMasters is a file of n bridges, each with one slave (about 21 bytes a master,
// as in issue 19 item 11), and a kernel holding the slaves of the first ten.
func manyMasters(b *testing.B, n int) *Env {
	var conf strings.Builder
	for i := range n {
		fmt.Fprintf(&conf, "br%dSLAVES='veth%d'\n", i, i)
	}
	e, k, _, _ := fakeEnv(b, conf.String())
	for i := range 10 {
		k.AddLink(fmt.Sprintf("veth%d", i), "veth")
	}
	e.DryRun = true
	return e
}

// BenchmarkPlanMasters reports the time `bond-up -n` takes to read the file and plan
// every master of a file of 100 and of 1000 masters (Fake kernel and units: the
// planning, not netlink). Issue 19 item 11: 1000 masters must plan in well under a
// second, and 10 times the masters must cost about 10 times the time, not 100.
func BenchmarkPlanMasters(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprintf("masters=%d", n), func(b *testing.B) {
			e := manyMasters(b, n)
			b.ResetTimer()
			for range b.N {
				e.Out = &bytes.Buffer{}
				if err := e.Up(context.Background(), nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/plan")
		})
	}
}
