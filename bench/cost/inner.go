// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const resultsFile = "results.json"

// results is what the inner half measures and the outer half prints.
type results struct {
	Date    string       `json:"date"`
	Command string       `json:"command"`
	Host    host         `json:"host"`
	Runs    int          `json:"runs"`
	Cases   []caseResult `json:"cases"`
	Sizes   []binSize    `json:"sizes"`
	// SpawnerPeakKB is this program's own peak RSS during the timing pass: wait4's
	// ru_maxrss of a child is at least this much (see the package comment).
	SpawnerPeakKB int64  `json:"spawner_peak_kb"`
	RSSRetries    int    `json:"rss_retries"`
	LoadBefore    string `json:"load_before"`
	LoadAfter     string `json:"load_after"`
}

// caseResult holds one case's samples, one per run (a case of several commands sums
// their wall and CPU times and takes the largest RSS).
type caseResult struct {
	ID       string    `json:"id"`
	Label    string    `json:"label"`
	Command  string    `json:"command"`
	WallMs   []float64 `json:"wall_ms"`
	UserMs   []float64 `json:"user_ms"`
	SysMs    []float64 `json:"sys_ms"`
	CPUMs    []float64 `json:"cpu_ms"`
	MaxRSSKB []float64 `json:"ru_maxrss_kb"` // wait4's, inflated by the spawner
	PeakKB   []float64 `json:"peak_rss_kb"`  // VmHWM at the exit stop (ptrace pass)
}

type binSize struct {
	Name     string `json:"name"`
	Bytes    int64  `json:"bytes"`
	Stripped int64  `json:"stripped_bytes,omitempty"`
}

// bcase is one measured case: its commands, what to do before each run (outside the
// timed region) and what must be true after it.
type bcase struct {
	res     *caseResult
	argvs   [][]string
	prepare func() error
	check   func() error
}

// lab is the inner half's state, inside the namespace.
type lab struct {
	work, conf     string
	hotplug, up    string
	ip             string
	env            []string
	outPath        string
	cases          []*bcase
	convergedCheck []string
	rssRetries     int // traced runs repeated because the exit stop was missed
}

const (
	foreign = "fx0" // matches no master
	slave   = "bv0" // matches br0SLAVES='bv*'
	master  = "br0"
)

func inner(work string, runs int) error {
	// Keep this process's heap, hence its peak RSS, small: wait4's ru_maxrss of each
	// child is at least that peak (see the package comment).
	debug.SetGCPercent(10)
	ip, err := exec.LookPath("ip")
	if err != nil {
		return usagef("ip not found in $PATH")
	}
	l := &lab{
		work:    work,
		conf:    filepath.Join(work, "network.conf"),
		hotplug: filepath.Join(work, "bin", "bond-hotplug"),
		up:      filepath.Join(work, "bin", "bond-up"),
		ip:      ip,
		outPath: filepath.Join(work, "run.out"),
	}
	l.convergedCheck = []string{l.up, "-n", "-c", l.conf, master}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "BOND_HOTPLUG_") || k == "ACTION" || k == "INTERFACE" {
			continue
		}
		l.env = append(l.env, kv)
	}
	l.env = append(l.env,
		"BOND_HOTPLUG_LOCKDIR="+filepath.Join(work, "lock"),
		"BOND_HOTPLUG_STATEDIR="+filepath.Join(work, "state"),
		"BOND_HOTPLUG_UNITS=record:"+filepath.Join(work, "u.json"))
	if err := l.setup(); err != nil {
		return err
	}
	res := &results{Runs: runs, LoadBefore: loadavg()}
	l.defineCases(res)

	// Warm the page cache and the kernel's paths, then the timing pass, round by
	// round (all cases in each round, so that a change in the machine's load hits
	// every case alike), then the RSS pass.
	for i := 0; i < 3; i++ {
		if err := l.round(false, false); err != nil {
			return err
		}
	}
	start := time.Now()
	for i := 0; i < runs; i++ {
		if err := l.round(true, false); err != nil {
			return err
		}
	}
	res.SpawnerPeakKB = vmHWM("self")
	progress("timing pass: %d rounds in %.1f s; RSS pass (ptrace) next", runs, time.Since(start).Seconds())
	for i := 0; i < runs; i++ {
		if err := l.round(true, true); err != nil {
			return err
		}
	}
	if err := l.checkConverged(); err != nil {
		return err
	}
	res.RSSRetries = l.rssRetries
	res.LoadAfter = loadavg()
	res.Date = time.Now().UTC().Format("Mon Jan _2 15:04:05 MST 2006")
	b, err := json.Marshal(res)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(work, resultsFile), b, 0o644)
}

// setup makes the veths and the converged bridge, and checks that this process sees
// the namespace's sysfs (ip netns exec mounts it), which the binaries read.
func (l *lab) setup() error {
	for _, args := range [][]string{
		{"link", "add", foreign, "type", "veth", "peer", "name", "fp0"},
		{"link", "add", slave, "type", "veth", "peer", "name", "bp0"},
	} {
		if err := l.ipCmd(args...); err != nil {
			return usagef("%v (the kernel needs veth and bridge support)", err)
		}
	}
	if _, err := os.Stat("/sys/class/net/" + foreign); err != nil {
		return usagef("this process does not see the namespace's sysfs: %v", err)
	}
	if err := l.runOK(l.up, "-c", l.conf, master); err != nil {
		return err
	}
	if err := l.enslaved(slave); err != nil {
		return wrongf("after the first bond-up: %v", err)
	}
	return l.checkConverged()
}

func (l *lab) defineCases(res *results) {
	hot := func(dev string) []string { return []string{l.hotplug, "-c", l.conf, "add", dev} }
	newCase := func(id, label string, prepare, check func() error, argvs ...[]string) {
		var cmds []string
		for _, a := range argvs {
			cmds = append(cmds, displayArgv(a, l))
		}
		res.Cases = append(res.Cases, caseResult{ID: id, Label: label, Command: strings.Join(cmds, "; ")})
		l.cases = append(l.cases, &bcase{argvs: argvs, prepare: prepare, check: check})
	}
	enslavedUp := func() error { return l.enslaved(slave) }
	// The order of the cases within a round: the floors, (b), then (c) on the state
	// (b) left (checked converged first), then (a).
	newCase("floor", "floor: ip link set bv0 master br0", l.freshSlave,
		func() error { return l.masterIs(slave, master) },
		[]string{l.ip, "link", "set", slave, "master", master})
	newCase("seed", "seed's slave@ ExecStart: 4 ip commands", l.freshSlave, enslavedUp,
		[]string{l.ip, "link", "set", slave, "down"},
		[]string{l.ip, "address", "flush", "dev", slave},
		[]string{l.ip, "link", "set", slave, "master", master},
		[]string{l.ip, "link", "set", slave, "up"})
	newCase("b", "(b) bond-hotplug add bv0 (enslaved)", l.freshSlave, enslavedUp, hot(slave))
	newCase("c", "(c) bond-up br0 (converged)", l.checkConverged, enslavedUp,
		[]string{l.up, "-c", l.conf, master})
	newCase("a", "(a) bond-hotplug add fx0 (no master)", nil,
		func() error { return l.masterIs(foreign, "") }, hot(foreign))
	newCase("empty", "context: an empty Go program (pure Go, PIE)", nil, func() error { return nil },
		[]string{filepath.Join(l.work, "bin", "empty-go")})
	for i := range l.cases {
		l.cases[i].res = &res.Cases[i]
	}
}

func displayArgv(argv []string, l *lab) string {
	out := make([]string, len(argv))
	for i, a := range argv {
		switch {
		case a == l.conf:
			a = "CONF"
		case i == 0:
			a = filepath.Base(a)
		}
		out[i] = a
	}
	return strings.Join(out, " ")
}

// round runs every case once; record keeps the samples (timing pass) or the peak RSS
// (rss pass).
func (l *lab) round(record, rss bool) error {
	for _, c := range l.cases {
		if c.prepare != nil {
			if err := c.prepare(); err != nil {
				return err
			}
		}
		var wall, user, sys time.Duration
		var maxrss, peak int64
		for _, argv := range c.argvs {
			if rss {
				kb, err := l.peakRSS(argv)
				if err != nil {
					return err
				}
				peak = max(peak, kb)
				continue
			}
			s, err := l.timed(argv)
			if err != nil {
				return err
			}
			wall += s.wall
			user += s.user
			sys += s.sys
			maxrss = max(maxrss, s.maxrssKB)
		}
		if err := c.check(); err != nil {
			return wrongf("%s: %v", c.res.Label, err)
		}
		if !record {
			continue
		}
		r := c.res
		if rss {
			r.PeakKB = append(r.PeakKB, float64(peak))
			continue
		}
		r.WallMs = append(r.WallMs, ms(wall))
		r.UserMs = append(r.UserMs, ms(user))
		r.SysMs = append(r.SysMs, ms(sys))
		r.CPUMs = append(r.CPUMs, ms(user+sys))
		r.MaxRSSKB = append(r.MaxRSSKB, float64(maxrss))
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

type sample struct {
	wall, user, sys time.Duration
	maxrssKB        int64
}

// timed runs argv once, its output to a file (no copying goroutine in this process),
// and measures from just before the start to just after the wait.
func (l *lab) timed(argv []string) (sample, error) {
	out, err := os.Create(l.outPath)
	if err != nil {
		return sample{}, err
	}
	defer out.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env, cmd.Stdout, cmd.Stderr = l.env, out, out
	t0 := time.Now()
	err = cmd.Start()
	if err == nil {
		err = cmd.Wait()
	}
	wall := time.Since(t0)
	if err != nil {
		return sample{}, wrongf("%s: %v\n%s", strings.Join(argv, " "), err, l.output())
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return sample{}, wrongf("no rusage for %s", argv[0])
	}
	return sample{
		wall:     wall,
		user:     time.Duration(ru.Utime.Nano()),
		sys:      time.Duration(ru.Stime.Nano()),
		maxrssKB: ru.Maxrss,
	}, nil
}

func (l *lab) output() string {
	b, _ := os.ReadFile(l.outPath)
	return strings.TrimSpace(string(b))
}

// runOK runs a setup or check command (untimed) and requires exit 0.
func (l *lab) runOK(argv ...string) error {
	_, err := l.timed(argv)
	return err
}

func (l *lab) ipCmd(args ...string) error {
	cmd := exec.Command(l.ip, args...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return nil
}

// freshSlave deletes bv0 and creates it again, neither enslaved nor up.
func (l *lab) freshSlave() error {
	if _, err := os.Lstat("/sys/class/net/" + slave); err == nil {
		if err := l.ipCmd("link", "del", slave); err != nil {
			return wrongf("%v", err)
		}
	}
	if err := l.ipCmd("link", "add", slave, "type", "veth", "peer", "name", "bp0"); err != nil {
		return wrongf("%v", err)
	}
	if err := l.masterIs(slave, ""); err != nil {
		return wrongf("a new veth: %v", err)
	}
	return nil
}

// checkConverged requires `bond-up -n br0` to plan nothing.
func (l *lab) checkConverged() error {
	if err := l.runOK(l.convergedCheck...); err != nil {
		return err
	}
	if out := l.output(); out != master+": nothing to do" {
		return wrongf("the bridge is not converged: bond-up -n %s says:\n%s", master, out)
	}
	return nil
}

// masterIs checks dev's master in sysfs ("" for none).
func (l *lab) masterIs(dev, want string) error {
	got := ""
	if t, err := os.Readlink("/sys/class/net/" + dev + "/master"); err == nil {
		got = filepath.Base(t)
	} else if !os.IsNotExist(err) {
		return err
	}
	if got != want {
		return fmt.Errorf("%s's master is %q, want %q", dev, got, want)
	}
	return nil
}

// enslaved checks that dev is br0's port and administratively up, as both the seed and
// bond-hotplug leave it.
func (l *lab) enslaved(dev string) error {
	if err := l.masterIs(dev, master); err != nil {
		return err
	}
	b, err := os.ReadFile("/sys/class/net/" + dev + "/flags")
	if err != nil {
		return err
	}
	flags, err := strconv.ParseUint(strings.TrimSpace(strings.TrimPrefix(string(b), "0x")), 16, 32)
	if err != nil {
		return err
	}
	if flags&syscall.IFF_UP == 0 {
		return fmt.Errorf("%s is enslaved but not up", dev)
	}
	return nil
}

// vmHWM reads the peak resident set size (kB) of /proc/PID/status; 0 if unknown.
func vmHWM(pid string) int64 {
	b, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
