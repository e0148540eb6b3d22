// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"sort"
	"strings"
	"text/tabwriter"

	"golang.org/x/sys/unix"
)

type host struct {
	CPU    string `json:"cpu"`
	CPUs   int    `json:"cpus"`
	Kernel string `json:"kernel"`
	Go     string `json:"go"`
}

func hostInfo() host {
	h := host{CPUs: runtime.NumCPU(), Go: runtime.Version(), CPU: "?", Kernel: "?"}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				h.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	var u unix.Utsname
	if unix.Uname(&u) == nil {
		h.Kernel = unix.ByteSliceToString(u.Release[:])
	}
	return h
}

// quantile is the q-quantile of xs by linear interpolation between order statistics
// (q=0.5: the median).
func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	pos := q * float64(len(s)-1)
	lo := int(math.Floor(pos))
	hi := int(math.Ceil(pos))
	return s[lo] + (s[hi]-s[lo])*(pos-float64(lo))
}

func median(xs []float64) float64 { return quantile(xs, 0.5) }

func (r *results) byID(id string) *caseResult {
	for i := range r.Cases {
		if r.Cases[i].ID == id {
			return &r.Cases[i]
		}
	}
	return nil
}

// table prints rows as aligned text or as a Markdown table.
type table struct {
	head []string
	rows [][]string
}

func (t *table) print(w io.Writer, format string) {
	if format == "markdown" {
		fmt.Fprintf(w, "| %s |\n", strings.Join(t.head, " | "))
		seps := make([]string, len(t.head))
		for i := range seps {
			seps[i] = "---"
			if i > 0 {
				seps[i] = "---:"
			}
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(seps, " | "))
		for _, r := range t.rows {
			fmt.Fprintf(w, "| %s |\n", strings.Join(r, " | "))
		}
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%s\t\n", strings.Join(t.head, "\t"))
	for _, r := range t.rows {
		fmt.Fprintf(tw, "%s\t\n", strings.Join(r, "\t"))
	}
	tw.Flush()
}

func mib(kb float64) string   { return fmt.Sprintf("%.1f", kb/1024) }
func f2(x float64) string     { return fmt.Sprintf("%.2f", x) }
func mibBytes(b int64) string { return fmt.Sprintf("%.2f", float64(b)/(1<<20)) }

// pairedRatio is the median over rounds of xs[i]/ys[i]: the cases of a round ran
// back to back, so a change in the machine's load cancels out of each ratio.
func pairedRatio(xs, ys []float64) string {
	if len(xs) != len(ys) || len(xs) == 0 {
		return "-"
	}
	var rs []float64
	for i := range xs {
		if ys[i] > 0 {
			rs = append(rs, xs[i]/ys[i])
		}
	}
	if len(rs) == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f×", median(rs))
}

// report prints the run's tables: the cost of one run, then the binary sizes.
func report(w io.Writer, r *results, format string) {
	h := "#### "
	if format != "markdown" {
		h = ""
	}
	fmt.Fprintf(w, "%sMeasure 4: the cost of one run (%d runs per case, interleaved; wall from start to reaped, CPU user+sys and RSS of the child)\n\n", h, r.Runs)
	fmt.Fprintf(w, "%s · %s, %d CPUs, Linux %s, %s · load %s before, %s after\n\n",
		r.Date, r.Host.CPU, r.Host.CPUs, r.Host.Kernel, r.Host.Go, r.LoadBefore, r.LoadAfter)

	floor := r.byID("floor")
	t := &table{head: []string{"case", "wall ms median", "p10", "p90", "CPU ms median", "peak RSS MiB", "wall ÷ floor", "CPU ÷ floor"}}
	var ruLo, ruHi float64 = math.Inf(1), 0
	for _, c := range r.Cases {
		wall, cpu := median(c.WallMs), median(c.CPUMs)
		label := c.Label
		if format == "markdown" {
			label = strings.ReplaceAll(label, "|", `\|`)
		}
		t.rows = append(t.rows, []string{
			label,
			f2(wall), f2(quantile(c.WallMs, 0.1)), f2(quantile(c.WallMs, 0.9)),
			f2(cpu), mib(median(c.PeakKB)),
			pairedRatio(c.WallMs, floor.WallMs), pairedRatio(c.CPUMs, floor.CPUMs),
		})
		ruLo, ruHi = math.Min(ruLo, median(c.MaxRSSKB)), math.Max(ruHi, median(c.MaxRSSKB))
	}
	t.print(w, format)
	fmt.Fprintln(w)
	fmt.Fprintf(w, "peak RSS: the child's own, median of VmHWM at its exit (ptrace pass). wait4's ru_maxrss for the same children: %s-%s MiB (medians), i.e. max(child, this spawner's peak, %s MiB): os/exec starts children with vfork.\n",
		mib(ruLo), mib(ruHi), mib(float64(r.SpawnerPeakKB)))
	if r.RSSRetries > 0 {
		fmt.Fprintf(w, "(%d traced runs were repeated: the main thread did not stop at exit.)\n", r.RSSRetries)
	}
	fmt.Fprintf(w, "floor = `ip link set bv0 master br0`; seed = its slave@ ExecStart: ip link set down, ip address flush, ip link set master, ip link set up.\n")
	fmt.Fprintf(w, "÷ floor: the median over the rounds of each round's ratio (the cases of a round run back to back, so the machine's load cancels out).\n")
	if b, seed := r.byID("b"), r.byID("seed"); b != nil && seed != nil {
		fmt.Fprintf(w, "(b) ÷ the seed's four commands, the same way: wall %s, CPU %s.\n",
			pairedRatio(b.WallMs, seed.WallMs), pairedRatio(b.CPUMs, seed.CPUMs))
	}
	fmt.Fprintln(w)

	fmt.Fprintf(w, "%sBinary sizes\n\n", h)
	st := &table{head: []string{"binary", "MiB as built (-trimpath)", "MiB stripped (-s -w)", "bytes", "stripped bytes"}}
	for _, s := range r.Sizes {
		stripped, strippedBytes := "-", "-"
		if s.Stripped > 0 {
			stripped, strippedBytes = mibBytes(s.Stripped), fmt.Sprint(s.Stripped)
		}
		st.rows = append(st.rows, []string{s.Name, mibBytes(s.Bytes), stripped, fmt.Sprint(s.Bytes), strippedBytes})
	}
	st.print(w, format)
}
