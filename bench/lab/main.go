// SPDX-License-Identifier: Apache-2.0

// Command lab runs the benchmarks that need the VM lab (docs/BENCHMARKS.md,
// measures 1-3 and 5-10) and prints one table: bond-hotplug ("ours"), the seed's
// units and Debian's ifupdown + ifenslave, side by side, with ratios. The contender
// "ours-dhcpcd" is bond-hotplug installed exactly as "ours", configured with dhcpcd
// as its DHCPv4 and DHCPv6 client instead of dhclient and dhcp6c (its scripts,
// written by scenarios.go, differ from ours' only in their config,
// lab/bench/scenarios/conf/bench-dhcpcd.conf);
// "ours-dhcpcd4" is the same with dhcpcd for DHCPv4 only and dhcp6c for DHCPv6
// (conf/bench-dhcpcd4.conf); "ours-nov6" is ours without a DHCPv6 unit
// (conf/bench-nov6.conf: what the DHCPv6 unit's start costs the IPv4 lease).
//
// One contender is active per boot, from the same image: ours is installed the
// way the lab installs it (DESTDIR install, udev rule, bond-up@bond0 enabled);
// the baselines boot the bare image (no bond-hotplug at all) and install
// themselves at the start of the boot, inside the guest, with
// bench/seed/install.sh and bench/ifupdown/install.sh (ifupdown and ifenslave
// from .deb files given with -debs). Each contender runs three boots (parts):
// cold (measure 1), hot (2, 5, 6) and burst (3), each under the lab's 300 s
// per scenario. The guest side is lab/bench/guest.sh; it writes KEY<TAB>VALUE
// samples to out/bench.tsv, aggregated here.
//
// Exit status: 0, also when a baseline fails or everything is slow; 1 when
// bond-hotplug produced a wrong result (a FAIL line of its boots) or the lab
// could not run; 2 usage.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/bond-hotplug/bond-hotplug/lab"
)

func main() { os.Exit(run()) }

var contenders = []string{"ours", "ours-dhcpcd", "ours-dhcpcd4", "ours-nov6", "seed", "ifupdown"}

// label: a contender's column heading.
var label = map[string]string{
	"ours":         "ours (bond-hotplug)",
	"ours-dhcpcd":  "ours with dhcpcd",
	"ours-dhcpcd4": "ours, dhcpcd for v4 only",
	"ours-nov6":    "ours without DHCPv6 (experiment)",
	"seed":         "seed",
	"ifupdown":     "ifupdown",
}

// product: the contender is bond-hotplug (installed; a wrong result is a FAIL).
func product(c string) bool { return c == "ours" || strings.HasPrefix(c, "ours-") }

func run() int {
	repo := flag.String("repo", ".", "repository root")
	debs := flag.String("debs", "", "directory with the ifupdown, ifenslave (and adduser) .deb files for the guest")
	reps := flag.Int("reps", 5, "repetitions of each timing within a boot (at least 5 for the report)")
	only := flag.String("contenders", "ours,seed,ifupdown", "contenders to run: "+strings.Join(contenders, ", "))
	partsFlag := flag.String("parts", "hot,cold,burst", "parts to run: hot (2, 5, 6), cold (1), burst (3), plug (2 alone)")
	format := flag.String("format", "text", "text or markdown")
	timeout := flag.Duration("timeout", 12*time.Minute, "bound of one boot")
	fromDir := flag.String("from", "", "print the table from earlier run directories (comma-separated; for each contender and part the last directory that has it wins) instead of running")
	flag.Parse()
	root, err := filepath.Abs(*repo)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/lab:", err)
		return 2
	}
	parts := strings.Split(*partsFlag, ",")
	want := map[string]bool{}
	for _, c := range strings.Split(*only, ",") {
		if _, ok := label[c]; !ok {
			fmt.Fprintf(os.Stderr, "bench/lab: -contenders: unknown contender %q (%s)\n", c, strings.Join(contenders, ", "))
			return 2
		}
		want[c] = true
	}
	if *fromDir != "" {
		s, fails := collect(*fromDir, parts)
		fmt.Printf("VM lab measures, run directories %s\n", *fromDir)
		printTable(os.Stdout, s, fails, *format)
		return 0
	}
	if err := lab.CheckHost(); err != nil {
		fmt.Fprintln(os.Stderr, "bench/lab:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	runDir, err := lab.NewRunDir(lab.DefaultRunRoot)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/lab:", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "bench/lab: run directory %s\n", runDir)
	// What the guest reads besides the lab's own scripts: /lab/bench (guest.sh,
	// the baselines, the .debs, the repetitions) and the bench-* scenarios.
	share := filepath.Join(runDir, "bench-share")
	for _, d := range []string{"seed", "ifupdown"} {
		if err := copyDir(filepath.Join(root, "bench", d), filepath.Join(share, d)); err != nil {
			fmt.Fprintln(os.Stderr, "bench/lab:", err)
			return 1
		}
	}
	if err := copyDir(filepath.Join(root, "lab", "bench"), share); err != nil {
		fmt.Fprintln(os.Stderr, "bench/lab:", err)
		return 1
	}
	_ = os.RemoveAll(filepath.Join(share, "scenarios"))
	if *debs != "" {
		if err := copyDir(*debs, filepath.Join(share, "debs")); err != nil {
			fmt.Fprintln(os.Stderr, "bench/lab:", err)
			return 1
		}
	}
	if err := os.WriteFile(filepath.Join(share, "reps"), []byte(strconv.Itoa(*reps)+"\n"), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "bench/lab:", err)
		return 1
	}
	scenarios := filepath.Join(runDir, "bench-scenarios")
	if err := writeScenarios(root, scenarios); err != nil {
		fmt.Fprintln(os.Stderr, "bench/lab:", err)
		return 1
	}
	cfg := lab.Config{Repo: root, RunDir: runDir, Log: os.Stderr, ShareExtra: map[string]string{
		"bench":     share,
		"scenarios": scenarios,
	}}
	status := 0
	labs := map[bool]*lab.Lab{}
	// Ours (both DHCP clients) and the seed part by part (the rows that matter most
	// first), then ifupdown.
	type boot struct{ c, part string }
	var order []boot
	for _, part := range parts {
		for _, c := range contenders {
			if c != "ifupdown" {
				order = append(order, boot{c, part})
			}
		}
	}
	for _, part := range parts {
		order = append(order, boot{"ifupdown", part})
	}
	for _, b := range order {
		c, part := b.c, b.part
		{
			if !want[c] {
				continue
			}
			product := product(c)
			l := labs[product]
			if l == nil {
				l = lab.New(cfg)
				if err := l.Prepare(ctx, product); err != nil {
					fmt.Fprintf(os.Stderr, "bench/lab: %v\n", err)
					return 1
				}
				labs[product] = l
			}
			name := "bench-" + c + "-" + part
			t := time.Now()
			fmt.Fprintf(os.Stderr, "bench/lab: booting %s\n", name)
			res, err := l.Run(ctx, name, lab.RunOptions{Timeout: *timeout})
			failed := false
			for _, ch := range res.Checks {
				if ch.Kind == "FAIL" && ch.Reason != "timed out in the guest" {
					failed = true
					fmt.Fprintf(os.Stderr, "bench/lab: %s: %s\n", name, ch)
				}
			}
			if err != nil {
				fmt.Fprintf(os.Stderr, "bench/lab: %s: %v\n", name, err)
			}
			if (err != nil || failed || !res.Done) && product {
				status = 1
				fmt.Fprintf(os.Stderr, "bench/lab: kept: %s\n", res.Where())
			}
			fmt.Fprintf(os.Stderr, "bench/lab: %s done in %.0f s\n", name, time.Since(t).Seconds())
			if ctx.Err() != nil {
				return 1
			}
		}
	}
	s, fails := collect(runDir, parts)
	fmt.Printf("\nVM lab measures, run directory %s\n", runDir)
	printTable(os.Stdout, s, fails, *format)
	return status
}

// samples[contender][key] = values
type samples map[string]map[string][]float64

func collect(runDirs string, parts []string) (samples, map[string][]string) {
	s := samples{}
	fails := map[string][]string{}
	for _, c := range contenders {
		s[c] = map[string][]float64{}
		for _, part := range parts {
			dir := ""
			for _, runDir := range strings.Split(runDirs, ",") {
				d := filepath.Join(runDir, "bench-"+c+"-"+part, "share", "out")
				if _, err := os.Stat(filepath.Join(d, "bench.tsv")); err == nil {
					dir = d
				}
			}
			if dir == "" {
				continue
			}
			if f, err := os.Open(filepath.Join(dir, "bench.tsv")); err == nil {
				sc := bufio.NewScanner(f)
				for sc.Scan() {
					k, v, ok := strings.Cut(sc.Text(), "\t")
					if x, err := strconv.ParseFloat(strings.TrimSpace(v), 64); ok && err == nil {
						s[c][k] = append(s[c][k], x)
					}
				}
				f.Close()
			}
			if f, err := os.Open(filepath.Join(dir, "results")); err == nil {
				checks, done := lab.ParseResults(f)
				f.Close()
				for _, ch := range checks {
					// The lab's 300 s bound per scenario is for tests; guest.sh ignores it.
					if ch.Kind == "FAIL" && ch.Reason != "timed out in the guest" {
						fails[c] = append(fails[c], part+": "+ch.Name+": "+ch.Reason)
					}
				}
				if !done {
					fails[c] = append(fails[c], part+": the boot did not finish")
				}
			}
		}
	}
	return s, fails
}

func quantile(v []float64, q float64) float64 {
	x := append([]float64(nil), v...)
	sort.Float64s(x)
	if len(x) == 1 {
		return x[0]
	}
	p := q * float64(len(x)-1)
	i := int(math.Floor(p))
	if i+1 >= len(x) {
		return x[len(x)-1]
	}
	return x[i] + (p-float64(i))*(x[i+1]-x[i])
}

type row struct {
	label string
	key   string
	kind  string // "time" (median, min-max, ratio) or "count" (sum or last)
}

var rows = []row{
	{"1. cold start, Wi-Fi only: card appears -> IPv4 lease on bond0", "m1.wifi", "time"},
	{"1. cold start, wired only: NIC appears -> IPv4 lease on bond0", "m1.wired", "time"},
	{"1. the same, lease seen by the old 10 ms `ip` poll (busies a vCPU)", "m1.wired-poll", "time"},
	{"1. cold start, wired only: NIC appears -> DHCPv6 address on bond0", "m1.wired6", "time"},
	{"2. hot-plug: wired NIC appears -> enslaved", "m2.enslaved", "time"},
	{"2. hot-plug: wired NIC appears -> active slave", "m2.active", "time"},
	{"2. floor: ip link add + ip link set master, same moment", "m2.floor", "time"},
	{"2. enslaved ÷ floor, medians of the same boot (load cancels)", "m2.enslaved/m2.floor", "div"},
	{"2. floor of a udev design: NIC appears -> enslaved by a rule's RUN of one `ip`", "m2.floor.udev", "time"},
	{"2. enslaved ÷ udev floor, medians of the same boot", "m2.enslaved/m2.floor.udev", "div"},
	{"3. burst of 32 NICs: first created -> last enslaved", "m3.all", "time"},
	{"3. burst: NICs enslaved (of 32), worst run", "m3.enslaved", "min"},
	{"3. burst: journal errors (priority err), all runs", "m3.journal_errors", "sum"},
	{"5. failover: `ip link del` of the wired NIC (kernel, context)", "m5.out.del", "time"},
	{"5. failover: wired gone -> active slave is Wi-Fi", "m5.out.kernel", "time"},
	{"5. failover: wired gone -> first ping reply over Wi-Fi", "m5.out.ping", "time"},
	{"5. failover: longest ping gap across the unplug (ping every 50 ms)", "m5.out.gap", "time"},
	{"5. back: wired plugged -> longest ping gap", "m5.back.gap", "time"},
	{"6. 20 wired + 5 Wi-Fi cycles: IPv4 address losses", "m6.losses", "sum"},
	{"6. DHCP DISCOVERs (fresh acquisitions) during the cycles", "m6.discovers", "sum"},
	{"6. DHCP ACKs during the cycles", "m6.acks", "sum"},
	{"6. same IPv4 address at the end (1 yes)", "m6.same_address", "min"},
	{"6. wired cycles where eth0 was not active again within 30 s (of 20)", "m6.wired.fail", "fails"},
	{"6. Wi-Fi cycles where the new card was not enslaved and associated within 30 s (of 5)", "m6.wifi.fail", "fails"},
	{"7. cold start, Wi-Fi only: associated -> IPv4 lease", "m7.lease4", "time"},
	{"7. cold start, Wi-Fi only: associated -> DHCPv6 address", "m7.lease6", "time"},
	{"7. IPv4 lease -> DHCPv6 address", "m7.v6after4", "time"},
	{"7. DHCPDISCOVERs per acquisition (1: the first exchange counted), worst run", "m7.discovers", "max"},
	{"7. DHCPv4 exchanges per acquisition (DISCOVER or INIT-REBOOT REQUEST; 1: first try), worst run", "m7.exchanges", "max"},
	{"7. DHCPv4 client restarts (supervisor's journal), all runs", "m7.restarts", "sum"},
	{"8. new Wi-Fi card (wired active) -> enslaved", "m8.enslaved", "time"},
	{"8. new Wi-Fi card (wired active) -> associated", "m8.assoc", "time"},
	{"9. systemd-analyze security, master/boot unit (exposure, lower is safer)", "m9.up", "max"},
	{"9. systemd-analyze security, supplicant unit", "m9.wpa", "max"},
	{"9. systemd-analyze security, DHCPv4 unit", "m9.dhcp4", "max"},
	{"9. systemd-analyze security, DHCPv6 unit", "m9.dhcp6", "max"},
	{"9. systemd-analyze security, slave unit (seed only; ours has none)", "m9.slave", "max"},
	{"10. bond-down with leases: DHCPv4 leases released (DHCPRELEASE at the server)", "m10.release4", "ofn"},
	{"10. bond-down with leases: DHCPv6 leases released (DHCPRELEASE at the server)", "m10.release6", "ofn"},
	{"11. 32 foreign veth pairs added and deleted -> udev idle, our rules in place (bond0 up)", "m11.rule", "time"},
	{"11. the same, our rules moved away (no rule of ours at all), same boot", "m11.norule", "time"},
	{"11. our rules ÷ no rule, medians of the same boot (load cancels)", "m11.rule/m11.norule", "div"},
	{"11. foreign-device udev events per second, our rules in place", "m11.rate.rule", "rate"},
	{"11. foreign-device udev events per second, no rule of ours", "m11.rate.norule", "rate"},
}

func cell(v []float64, kind string) string {
	if len(v) == 0 {
		return "not measured"
	}
	switch kind {
	case "sum":
		t := 0.0
		for _, x := range v {
			t += x
		}
		return strconv.FormatFloat(t, 'f', -1, 64)
	case "min":
		return strconv.FormatFloat(quantile(v, 0), 'f', -1, 64)
	case "max":
		return strconv.FormatFloat(quantile(v, 1), 'f', -1, 64)
	case "rate":
		return fmt.Sprintf("%.1f/s (%.1f-%.1f, n=%d)", quantile(v, 0.5), quantile(v, 0), quantile(v, 1), len(v))
	case "ofn":
		// One sample per event: how many of the events had it (a count above 1
		// in one event, a release sent twice, still counts once).
		n := 0
		for _, x := range v {
			if x > 0 {
				n++
			}
		}
		return fmt.Sprintf("%d of %d", n, len(v))
	}
	return fmt.Sprintf("%.3f s (%.3f-%.3f, n=%d)", quantile(v, 0.5), quantile(v, 0), quantile(v, 1), len(v))
}

func ratio(a, b []float64) string {
	if len(a) == 0 || len(b) == 0 {
		return "-"
	}
	ma, mb := quantile(a, 0.5), quantile(b, 0.5)
	if ma <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f×", mb/ma)
}

// shown: the contenders with samples or failures (all when none has any), in the
// order of contenders.
func shown(s samples, fails map[string][]string) []string {
	var cs []string
	for _, c := range contenders {
		if len(s[c]) > 0 || len(fails[c]) > 0 {
			cs = append(cs, c)
		}
	}
	if len(cs) == 0 {
		return contenders
	}
	return cs
}

func printTable(w io.Writer, s samples, fails map[string][]string, format string) {
	cs := shown(s, fails)
	head := []string{"measure"}
	for _, c := range cs {
		head = append(head, label[c])
	}
	for _, c := range cs {
		if c != "ours" {
			head = append(head, c+" ÷ ours")
		}
	}
	var lines [][]string
	for _, r := range rows {
		line := []string{r.label}
		for _, c := range cs {
			v := s[c][r.key]
			cl := cell(v, r.kind)
			if r.kind == "div" {
				a, b, _ := strings.Cut(r.key, "/")
				cl = "not measured"
				if len(s[c][a]) > 0 && len(s[c][b]) > 0 {
					cl = fmt.Sprintf("%.2f×", quantile(s[c][a], 0.5)/quantile(s[c][b], 0.5))
				}
			}
			if r.kind == "fails" {
				// Counted per failure; zero when the part ran (m6.losses written).
				cl = "not measured"
				if len(s[c]["m6.losses"]) > 0 || len(v) > 0 {
					cl = strconv.Itoa(len(v))
				}
			} else if n := len(s[c][failKey(r.key)]); n > 0 {
				cl += fmt.Sprintf(" [%d failed]", n)
			}
			line = append(line, cl)
		}
		for _, c := range cs {
			if c == "ours" {
				continue
			}
			if r.kind == "time" {
				line = append(line, ratio(s["ours"][r.key], s[c][r.key]))
			} else {
				line = append(line, "")
			}
		}
		lines = append(lines, line)
	}
	if format == "markdown" {
		fmt.Fprintln(w, "| "+strings.Join(head, " | ")+" |")
		fmt.Fprintln(w, "| ---"+strings.Repeat(" | ---:", len(head)-1)+" |")
		for _, l := range lines {
			fmt.Fprintln(w, "| "+strings.Join(l, " | ")+" |")
		}
	} else {
		width := make([]int, len(head))
		for _, l := range append([][]string{head}, lines...) {
			for i, c := range l {
				if n := len([]rune(c)); n > width[i] {
					width[i] = n
				}
			}
		}
		for _, l := range append([][]string{head}, lines...) {
			for i, c := range l {
				fmt.Fprintf(w, "%-*s  ", width[i], c)
			}
			fmt.Fprintln(w)
		}
	}
	fmt.Fprintln(w, "times: median (min-max, n samples); ratios: median of the other contender ÷ median of ours (above 1: ours, with dhclient and dhcp6c, is faster)")
	for _, c := range contenders {
		for _, f := range fails[c] {
			fmt.Fprintf(w, "%s: FAIL %s\n", c, f)
		}
	}
}

// failKey: the guest counts a baseline's wrong result under the measure's prefix
// with ".fail" (guest.sh bad()).
func failKey(key string) string {
	p := strings.Split(key, ".")
	if len(p) >= 2 {
		return p[0] + "." + p[1] + ".fail"
	}
	return key + ".fail"
}

func copyDir(src, dst string) error {
	return filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		t := filepath.Join(dst, rel)
		if fi.IsDir() {
			return os.MkdirAll(t, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(t, b, fi.Mode().Perm())
	})
}
