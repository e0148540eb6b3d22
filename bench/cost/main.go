// SPDX-License-Identifier: Apache-2.0

// Command cost is measure 4 of the benchmarks (docs/BENCHMARKS.md): what one run of
// bond-hotplug costs on the host, next to the bare kernel operation it wraps.
//
// It builds the binaries as install.sh does (and stripped, for the sizes), creates a
// throw-away network namespace (`ip netns add bhbench-PID`, deleted on exit), and
// re-executes itself inside it with `ip netns exec`, so that the measured programs are
// started directly by this process (no `ip netns exec` in the timed region) and see the
// namespace's own sysfs. Inside, a bridge br0 stands in for a bond (this host has no
// bonding driver) and, -n times each, interleaved round by round:
//
//	(a)  bond-hotplug add fx0   a veth that belongs to no master: the fast exit
//	(b)  bond-hotplug add bv0   a fresh veth that gets enslaved to br0
//	     floor: ip link set bv0 master br0, the kernel operation alone, via iproute2
//	     seed:  the seed's slave@ ExecStart, its four ip commands (down, flush,
//	            master, up), run one after the other
//	(c)  bond-up br0            converged: checked with `bond-up -n` to be a no-op
//	     context: an empty Go program built the same way (pure Go, PIE), the floor of any Go run
//
// For each: wall time (median, p10, p90), user+sys CPU from wait4's rusage, and peak
// RSS. bv0 is deleted and created again between runs, outside the timed region.
//
// Peak RSS is measured in a second pass: wait4's ru_maxrss is not the child's own when
// the parent is a Go program (os/exec starts children with vfork, and the kernel folds
// the parent's peak RSS into the child's ru_maxrss at execve), so that pass traces each
// child with ptrace and reads VmHWM from /proc at its exit stop. ru_maxrss is reported
// too, with the spawner's own peak, for comparison.
//
// The program prints; it never fails on slow results, only on wrong ones (a veth not
// enslaved after (b), a converged run that is not a no-op, a run that exits non-zero):
// exit 1. Exit 2 for bad usage or a host that cannot run it (not root, no netns).
//
// Usage (as root, from the repository root; bench/run.sh does this, building it first
// because `go run` does not pass the exit status on):
//
//	go build -o /tmp/cost ./bench/cost && /tmp/cost [-n RUNS] [-format text|markdown] [-json FILE]
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
)

const (
	exitWrong = 1 // a wrong result, or a step that should work failed
	exitUsage = 2 // bad usage, or this host cannot run the benchmark
)

// failure carries an exit status up to main.
type failure struct {
	code int
	msg  string
}

func (f *failure) Error() string { return f.msg }

func wrongf(format string, args ...any) error {
	return &failure{code: exitWrong, msg: fmt.Sprintf(format, args...)}
}

func usagef(format string, args ...any) error {
	return &failure{code: exitUsage, msg: fmt.Sprintf(format, args...)}
}

func main() {
	var (
		runs     = flag.Int("n", 50, "runs per case (at least 5)")
		format   = flag.String("format", "text", "output: text or markdown")
		jsonOut  = flag.String("json", "", "also write the raw samples to this file")
		repo     = flag.String("repo", ".", "repository root (where go.mod is)")
		innerDir = flag.String("inner", "", "internal: run the measurements in this work directory (inside the namespace)")
	)
	flag.Parse()
	if flag.NArg() != 0 {
		fail(usagef("unexpected arguments %q (see -h)", flag.Args()))
	}
	if *innerDir != "" {
		fail(inner(*innerDir, *runs))
		return
	}
	if *runs < 5 {
		fail(usagef("-n %d: at least 5 runs per case", *runs))
	}
	if *format != "text" && *format != "markdown" {
		fail(usagef("-format %q: text or markdown", *format))
	}
	fail(outer(*repo, *runs, *format, *jsonOut))
}

// fail exits with err's status (0 for nil).
func fail(err error) {
	if err == nil {
		return
	}
	fmt.Fprintf(os.Stderr, "bench/cost: %v\n", err)
	var f *failure
	if errors.As(err, &f) {
		os.Exit(f.code)
	}
	os.Exit(exitWrong)
}

// outer builds, creates the namespace, runs the inner half in it and prints.
func outer(repo string, runs int, format, jsonOut string) error {
	if os.Geteuid() != 0 {
		return usagef("needs root: it creates a network namespace")
	}
	for _, tool := range []string{"ip"} {
		if _, err := exec.LookPath(tool); err != nil {
			return usagef("%s not found in $PATH", tool)
		}
	}
	if _, err := os.Stat(filepath.Join(repo, "go.mod")); err != nil {
		return usagef("-repo %s: no go.mod there (run from the repository root)", repo)
	}
	self, err := os.Executable()
	if err != nil {
		return usagef("find this program's executable: %v", err)
	}
	work, err := os.MkdirTemp("", "bond-hotplug-bench-")
	if err != nil {
		return err
	}
	ns := fmt.Sprintf("bhbench-%d", os.Getpid())
	var (
		mu      sync.Mutex // guards nsMade and cleaned
		nsMade  bool
		cleaned bool
	)
	cleanup := func() {
		mu.Lock()
		defer mu.Unlock()
		if cleaned {
			return
		}
		cleaned = true
		if nsMade {
			if out, err := exec.Command("ip", "netns", "del", ns).CombinedOutput(); err != nil {
				fmt.Fprintf(os.Stderr, "bench/cost: ip netns del %s: %v: %s\n", ns, err, out)
			}
		}
		os.RemoveAll(work)
	}
	defer cleanup()
	// On a signal: stop the inner half, delete the namespace and the work directory,
	// exit. The main goroutine then only waits for that.
	var innerProc atomic.Pointer[os.Process]
	var stopping atomic.Bool
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		s := <-sigs
		stopping.Store(true)
		if p := innerProc.Load(); p != nil {
			p.Kill()
		}
		cleanup()
		fmt.Fprintf(os.Stderr, "bench/cost: %v: stopped\n", s)
		os.Exit(128 + int(s.(syscall.Signal)))
	}()
	stopped := func() {
		if stopping.Load() {
			select {} // the signal handler exits
		}
	}

	progress("building the binaries (scripts/build, as install.sh does; and stripped: STRIP=1)")
	sizes, err := buildAll(repo, work)
	stopped()
	if err != nil {
		return err
	}
	if err := writeConfig(filepath.Join(work, "network.conf")); err != nil {
		return err
	}
	mu.Lock()
	if cleaned { // a signal came: do not make what nobody would delete
		mu.Unlock()
		stopped()
	}
	out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput()
	nsMade = err == nil
	mu.Unlock()
	if err != nil {
		return usagef("ip netns add %s: %v: %s", ns, err, strings.TrimSpace(string(out)))
	}
	progress("measuring in network namespace %s: %d runs per case, interleaved", ns, runs)
	cmd := exec.Command("ip", "netns", "exec", ns, self, "-inner", work, "-n", fmt.Sprint(runs))
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	err = cmd.Start()
	if err == nil {
		innerProc.Store(cmd.Process)
		err = cmd.Wait()
	}
	stopped()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ExitCode() == exitUsage {
			return usagef("the measurement could not run (see above)")
		}
		return wrongf("the measurement failed (see above): %v", err)
	}
	b, err := os.ReadFile(filepath.Join(work, resultsFile))
	if err != nil {
		return wrongf("read the results: %v", err)
	}
	var res results
	if err := json.Unmarshal(b, &res); err != nil {
		return wrongf("decode the results: %v", err)
	}
	res.Sizes = sizes
	res.Host = hostInfo()
	res.Command = fmt.Sprintf("bench/cost -n %d (bench/run.sh)", runs)
	if jsonOut != "" {
		out, _ := json.MarshalIndent(res, "", "  ")
		if err := os.WriteFile(jsonOut, append(out, '\n'), 0o644); err != nil {
			return err
		}
	}
	report(os.Stdout, &res, format)
	return nil
}

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench/cost: "+format+"\n", args...)
}

// writeConfig writes the bridge's configuration, root-owned and 0644 as the binaries
// require. bv* are br0's slaves; fx0 matches no master.
func writeConfig(path string) error {
	const conf = `# bench/cost: a bridge stands in for a bond (no bonding driver on this host).
br0SLAVES='bv*'
br0ADDRS='10.99.0.1/24'
br0DHCP=no
br0DHCP6=no
`
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		return err
	}
	if err := os.Chmod(path, 0o644); err != nil { // whatever the umask
		return err
	}
	return os.Chown(path, 0, 0)
}

// buildAll builds the three binaries into WORK/bin as install.sh does and into
// WORK/stripped with the symbol tables left out, and returns the sizes.
func buildAll(repo, work string) ([]binSize, error) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		if _, serr := os.Stat("/usr/local/go/bin/go"); serr != nil {
			return nil, usagef("the go command is not in $PATH")
		}
		goBin = "/usr/local/go/bin/go"
	}
	// scripts/build, the build of install.sh and the packages, into dir.
	build := func(dir string, env ...string) error {
		cmd := exec.Command(filepath.Join(repo, "scripts/build"))
		cmd.Env = append(os.Environ(), append([]string{"GO=" + goBin, "OUT=" + dir}, env...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			return wrongf("scripts/build %s: %v\n%s", strings.Join(env, " "), err, out)
		}
		return nil
	}
	bin, stripped := filepath.Join(work, "bin"), filepath.Join(work, "stripped")
	// The timed binaries talk to the file-backed fake of systemd, a hook compiled in
	// only with this tag (an installed binary has none; the stripped sizes are of
	// that build).
	if err := build(bin, "TAGS=bondhotplug_testhooks"); err != nil {
		return nil, err
	}
	if err := build(stripped, "STRIP=1"); err != nil {
		return nil, err
	}
	var out []binSize
	for _, name := range []string{"bond-hotplug", "bond-up", "bond-down"} {
		a, err := os.Stat(filepath.Join(bin, name))
		if err != nil {
			return nil, wrongf("built binary: %v", err)
		}
		s, err := os.Stat(filepath.Join(stripped, name))
		if err != nil {
			return nil, wrongf("built binary: %v", err)
		}
		out = append(out, binSize{Name: name, Bytes: a.Size(), Stripped: s.Size()})
	}
	// Context: a Go program that does nothing, built the same way (pure Go, PIE: the
	// dynamic loader relocates it): the floor of any run of a Go binary.
	empty := filepath.Join(work, "empty")
	if err := os.MkdirAll(empty, 0o755); err != nil {
		return nil, err
	}
	const src = "// An empty Go program: the start-up cost of a Go binary linked like ours.\npackage main\n\nfunc main() {}\n"
	if err := os.WriteFile(filepath.Join(empty, "main.go"), []byte(src), 0o644); err != nil {
		return nil, err
	}
	cmd := exec.Command(goBin, "build", "-buildmode=pie", "-trimpath", "-ldflags=-bindnow", "-o", filepath.Join(bin, "empty-go"), "main.go")
	cmd.Dir = empty
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GO111MODULE=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, wrongf("build the empty Go program: %v\n%s", err, out)
	}
	if p, err := exec.LookPath("ip"); err == nil {
		if st, err := os.Stat(p); err == nil {
			out = append(out, binSize{Name: p + " (iproute2, for context)", Bytes: st.Size()})
		}
	}
	return out, nil
}
