// SPDX-License-Identifier: Apache-2.0

// Package lab drives the VM lab: a Debian bookworm guest under qemu (TCG) with
// the stock kernel (bonding, mac80211_hwsim), systemd, udev, hostapd and
// dnsmasq, in which bond-hotplug is installed the way a package would install
// it and the seed's laptop story is played as scenarios.
//
// The host side builds what the guest needs (the image through
// image/build.sh, hwsimctl, a DESTDIR install of the product), installs the
// product once per run into a qcow2 overlay, then boots that overlay with
// -snapshot once per scenario. Everything a scenario does happens inside the
// guest (guest/*.sh, scenarios/*.sh, shared over 9p); the host only reads the
// results, and keeps the guest's journal, console log and /proc/net/bonding
// when something fails.
package lab

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// DefaultRunRoot is where runs keep their files (not deleted on failure).
const DefaultRunRoot = "/var/tmp/bond-hotplug-lab"

// Config says where things are.
type Config struct {
	// Repo is the repository root (holds install.sh and lab/).
	Repo string
	// RunDir holds this run's files: the installed disk and one directory per
	// scenario (share, results, console log).
	RunDir string
	// Log receives progress lines.
	Log io.Writer
	// Memory in MiB and CPUs of the guest (defaults 1024 and 2).
	MemoryMiB int
	CPUs      int
	// ShareExtra maps a directory of the share (relative, e.g. "bench" or
	// "scenarios") to a host directory copied over it in every boot's share,
	// after the guest scripts and scenarios (used by bench/lab).
	ShareExtra map[string]string
}

// Lab is one run of the lab.
type Lab struct {
	cfg      Config
	image    string // directory with rootfs.img, vmlinux, initrd.img
	disk     string // what scenarios boot: the installed overlay or the bare image
	format   string
	hwsimctl string
	destdir  string
	pkgs     string // built .deb packages for scenarios marked "# lab-packages: deb"
}

// New returns a lab for cfg.
func New(cfg Config) *Lab {
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if cfg.MemoryMiB == 0 {
		cfg.MemoryMiB = 1024
	}
	if cfg.CPUs == 0 {
		cfg.CPUs = 2
	}
	return &Lab{cfg: cfg}
}

// keepRuns is how long run directories (and the evidence of failures in
// them) are kept before a later run removes them.
const keepRuns = 7 * 24 * time.Hour

// NewRunDir makes a fresh, uniquely named run directory under root, and
// removes the run directories older than a week.
func NewRunDir(root string) (string, error) {
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", err
	}
	if entries, err := os.ReadDir(root); err == nil {
		for _, e := range entries {
			if fi, err := e.Info(); err == nil && e.IsDir() && time.Since(fi.ModTime()) > keepRuns {
				_ = os.RemoveAll(filepath.Join(root, e.Name()))
			}
		}
	}
	return os.MkdirTemp(root, time.Now().Format("20060102-150405-"))
}

func (l *Lab) logf(format string, args ...any) {
	fmt.Fprintf(l.cfg.Log, "[lab %s] %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

// RunDir is where this run keeps its files.
func (l *Lab) RunDir() string { return l.cfg.RunDir }

// CheckHost reports what this machine lacks to run the lab.
func CheckHost() error {
	var missing []string
	if os.Geteuid() != 0 {
		missing = append(missing, "root (debootstrap, chroot and the guest's 9p share need it)")
	}
	for _, tool := range []string{"qemu-system-x86_64", "qemu-img", "debootstrap", "mkfs.ext4", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("cannot run the VM lab here, missing: %s (scripts/deps installs the tools)", strings.Join(missing, ", "))
	}
	return nil
}

// Prepare ensures the image and hwsimctl, and with product set builds the
// product into a DESTDIR and installs it into this run's disk.
func (l *Lab) Prepare(ctx context.Context, product bool) error {
	if err := l.EnsureImage(ctx); err != nil {
		return err
	}
	if err := l.BuildHwsimctl(ctx); err != nil {
		return err
	}
	if !product {
		l.disk, l.format = filepath.Join(l.image, "rootfs.img"), "raw"
		return nil
	}
	if err := l.BuildProduct(ctx); err != nil {
		return err
	}
	return l.Install(ctx)
}

// EnsureImage builds or reuses the cached guest image (image/build.sh).
func (l *Lab) EnsureImage(ctx context.Context) error {
	t := time.Now()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, filepath.Join(l.cfg.Repo, "lab/image/build.sh"))
	cmd.Stdout = &out
	cmd.Stderr = l.cfg.Log
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("lab image: lab/image/build.sh: %w", err)
	}
	lines := strings.Fields(out.String())
	if len(lines) == 0 {
		return errors.New("lab image: build.sh printed no image directory")
	}
	l.image = lines[len(lines)-1]
	for _, f := range []string{"rootfs.img", "vmlinux", "initrd.img"} {
		if _, err := os.Stat(filepath.Join(l.image, f)); err != nil {
			return fmt.Errorf("lab image: %w", err)
		}
	}
	l.logf("image %s ready (%.1f s)", l.image, time.Since(t).Seconds())
	return nil
}

// BuildHwsimctl builds the static radio tool that goes into the share.
func (l *Lab) BuildHwsimctl(ctx context.Context) error {
	l.hwsimctl = filepath.Join(l.cfg.RunDir, "bin", "hwsimctl")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", l.hwsimctl, "./lab/cmd/hwsimctl")
	cmd.Dir = l.cfg.Repo
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build hwsimctl: %w\n%s", err, out)
	}
	return nil
}

// BuildProduct stages the product with its own installer into a DESTDIR.
func (l *Lab) BuildProduct(ctx context.Context) error {
	t := time.Now()
	l.destdir = filepath.Join(l.cfg.RunDir, "destdir")
	if err := os.MkdirAll(l.destdir, 0o755); err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "./install.sh")
	cmd.Dir = l.cfg.Repo
	cmd.Env = append(os.Environ(), "DESTDIR="+l.destdir, "PREFIX=/usr/local")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("DESTDIR=%s PREFIX=/usr/local ./install.sh: %w\n%s", l.destdir, err, out)
	}
	l.logf("product staged in %s (%.1f s)", l.destdir, time.Since(t).Seconds())
	return nil
}

// Install boots the image once, without -snapshot, on a qcow2 overlay of this
// run, to install the DESTDIR tree and enable the boot unit inside the guest.
func (l *Lab) Install(ctx context.Context) error {
	t := time.Now()
	overlay := filepath.Join(l.cfg.RunDir, "installed.qcow2")
	_ = os.Remove(overlay)
	cmd := exec.CommandContext(ctx, "qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw",
		"-b", filepath.Join(l.image, "rootfs.img"), overlay)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("qemu-img create: %w\n%s", err, out)
	}
	l.disk, l.format = overlay, "qcow2"
	res, err := l.boot(ctx, "install", bootOptions{persist: true, timeout: 3 * time.Minute})
	if err != nil {
		return fmt.Errorf("install boot: %w (console log and journal in %s)", err, res.Dir)
	}
	if res.Failed() {
		return fmt.Errorf("install boot failed: %s (console log and journal in %s)", strings.Join(res.Failures(), "; "), res.Dir)
	}
	l.logf("product installed in the guest disk %s (%.1f s)", overlay, time.Since(t).Seconds())
	return nil
}

// Check is one line of a scenario's results.
type Check struct {
	Kind    string // PASS, FAIL or TIME
	Name    string
	Seconds float64 // PASS and TIME
	Reason  string  // FAIL
}

func (c Check) String() string {
	if c.Kind == "FAIL" {
		return fmt.Sprintf("FAIL %s: %s", c.Name, c.Reason)
	}
	return fmt.Sprintf("%s %s (%.2f s)", c.Kind, c.Name, c.Seconds)
}

// Result is what one boot produced.
type Result struct {
	Scenario string
	Dir      string // kept: share/out (results, journal, bonding), console.log
	Checks   []Check
	Done     bool          // the guest finished its script and saved its state
	Wall     time.Duration // qemu start to exit
}

// Failed tells whether the scenario failed (a FAIL line, or no DONE).
func (r *Result) Failed() bool { return len(r.Failures()) > 0 }

// Failures lists the reasons of failure.
func (r *Result) Failures() []string {
	var f []string
	for _, c := range r.Checks {
		if c.Kind == "FAIL" {
			f = append(f, c.Name+": "+c.Reason)
		}
	}
	if !r.Done {
		f = append(f, "the guest did not finish the scenario (no DONE in its results)")
	}
	return f
}

// Where tells where the evidence of this result was kept.
func (r *Result) Where() string {
	return fmt.Sprintf("guest journal %s, console log %s, /proc/net/bonding copies %s, dnsmasq log and leases in %s",
		filepath.Join(r.Dir, "share/out/journal.txt"), filepath.Join(r.Dir, "console.log"),
		filepath.Join(r.Dir, "share/out/proc-net-bonding/"), filepath.Join(r.Dir, "share/out/"))
}

// RunOptions tune one scenario boot.
type RunOptions struct {
	// Timeout bounds the boot (default 4 minutes).
	Timeout time.Duration
	// Live, when set, receives the guest's timeline lines as they are written.
	Live io.Writer
}

// Run boots the installed guest with -snapshot and plays one scenario.
func (l *Lab) Run(ctx context.Context, scenario string, opt RunOptions) (*Result, error) {
	if l.disk == "" {
		return nil, errors.New("lab not prepared")
	}
	if opt.Timeout == 0 {
		opt.Timeout = 4 * time.Minute
	}
	// A scenario that raises the guest's bound on its run ("# lab-timeout: N") gets
	// N s plus two minutes for the boot here too, never less than asked.
	if n := l.guestTimeout(scenario); n > 0 && n+2*time.Minute > opt.Timeout {
		opt.Timeout = n + 2*time.Minute
	}
	return l.boot(ctx, scenario, bootOptions{timeout: opt.Timeout, live: opt.Live})
}

type bootOptions struct {
	persist bool // boot the disk itself, not a snapshot of it
	timeout time.Duration
	live    io.Writer
}

var resultLine = regexp.MustCompile(`^(PASS|TIME) (.*) \(([0-9.]+) s\)$`)

// ParseResults reads the guest's results file.
func ParseResults(r io.Reader) (checks []Check, done bool) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "DONE":
			done = true
		case strings.HasPrefix(line, "FAIL "):
			name, reason, _ := strings.Cut(strings.TrimPrefix(line, "FAIL "), ": ")
			checks = append(checks, Check{Kind: "FAIL", Name: name, Reason: reason})
		default:
			if m := resultLine.FindStringSubmatch(line); m != nil {
				s, _ := strconv.ParseFloat(m[3], 64)
				checks = append(checks, Check{Kind: m[1], Name: m[2], Seconds: s})
			}
		}
	}
	return checks, done
}

func (l *Lab) boot(ctx context.Context, scenario string, opt bootOptions) (*Result, error) {
	dir := filepath.Join(l.cfg.RunDir, scenario)
	res := &Result{Scenario: scenario, Dir: dir}
	share := filepath.Join(dir, "share")
	if err := os.RemoveAll(dir); err != nil {
		return res, err
	}
	if err := l.buildPackages(ctx, scenario); err != nil {
		return res, err
	}
	if err := l.fillShare(share, scenario); err != nil {
		return res, fmt.Errorf("prepare the share: %w", err)
	}
	console := filepath.Join(dir, "console.log")
	args := []string{
		"-name", "bond-hotplug-lab-" + scenario,
		"-accel", "tcg", "-cpu", "qemu64",
		"-m", strconv.Itoa(l.cfg.MemoryMiB), "-smp", strconv.Itoa(l.cfg.CPUs),
		"-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
		"-nic", "none",
		"-kernel", filepath.Join(l.image, "vmlinux"),
		"-initrd", filepath.Join(l.image, "initrd.img"),
		"-append", "console=ttyS0 root=/dev/vda rw quiet mitigations=off panic=1 cryptomgr.notests",
		"-drive", "file=" + l.disk + ",if=virtio,format=" + l.format + ",cache=unsafe",
		"-virtfs", "local,path=" + share + ",mount_tag=lab,security_model=none,id=lab",
		"-serial", "file:" + console,
		"-device", "virtio-rng-pci",
	}
	if !opt.persist {
		args = append(args, "-snapshot")
	}
	delay := l.suspendDelay(scenario)
	qmpSock := filepath.Join(dir, "qmp.sock")
	if delay > 0 {
		args = append(args, suspendArgs(qmpSock, filepath.Join(dir, "firmware.log"))...)
	}
	bctx, cancel := context.WithTimeout(ctx, opt.timeout)
	defer cancel()
	if delay > 0 {
		go wakeOnSuspend(bctx, qmpSock, delay, filepath.Join(share, "out", "wakeups.log"))
	}
	cmd := exec.CommandContext(bctx, "qemu-system-x86_64", args...)
	var stderr bytes.Buffer
	cmd.Stdout = &stderr
	cmd.Stderr = &stderr
	t := time.Now()
	if err := cmd.Start(); err != nil {
		return res, fmt.Errorf("start qemu: %w", err)
	}
	stopLive := make(chan struct{})
	liveDone := make(chan struct{})
	if opt.live != nil {
		go func() {
			defer close(liveDone)
			follow(filepath.Join(share, "out", "timeline.log"), opt.live, stopLive)
		}()
	} else {
		close(liveDone)
	}
	err := cmd.Wait()
	close(stopLive)
	<-liveDone
	res.Wall = time.Since(t)
	if f, ferr := os.Open(filepath.Join(share, "out", "results")); ferr == nil {
		res.Checks, res.Done = ParseResults(f)
		f.Close()
	}
	_ = os.WriteFile(filepath.Join(dir, "qemu.log"), stderr.Bytes(), 0o644)
	switch {
	case bctx.Err() == context.DeadlineExceeded:
		return res, fmt.Errorf("the guest did not power off within %s (killed); last console lines:\n%s",
			opt.timeout, tail(console, 15))
	case err != nil && !res.Done:
		return res, fmt.Errorf("qemu: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	if !res.Done {
		return res, fmt.Errorf("the guest stopped before finishing %s; last console lines:\n%s", scenario, tail(console, 15))
	}
	// Drop what is large and rebuilt each run; keep the evidence.
	_ = os.RemoveAll(filepath.Join(share, "bin"))
	_ = os.RemoveAll(filepath.Join(share, "destdir"))
	_ = os.RemoveAll(filepath.Join(share, "pkgs"))
	return res, nil
}

var timeoutHeader = regexp.MustCompile(`(?m)^# lab-timeout: *([0-9]+)$`)

// guestTimeout is the "# lab-timeout: SECONDS" of a scenario in lab/scenarios, or 0.
func (l *Lab) guestTimeout(scenario string) time.Duration {
	b, err := os.ReadFile(filepath.Join(l.cfg.Repo, "lab", "scenarios", scenario+".sh"))
	if err != nil {
		return 0
	}
	m := timeoutHeader.FindSubmatch(b)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(string(m[1]))
	return time.Duration(n) * time.Second
}

// needsPackages tells whether a scenario's script asks for the packages.
func (l *Lab) needsPackages(scenario string) bool {
	b, err := os.ReadFile(filepath.Join(l.cfg.Repo, "lab", "scenarios", scenario+".sh"))
	return err == nil && bytes.Contains(b, []byte("\n# lab-packages: deb\n"))
}

// packageVersions are the two builds a package scenario installs, the second over
// the first (an upgrade); both from this tree, told apart by the package version.
var packageVersions = []string{"0.1.0", "0.1.1"}

// buildPackages builds the Debian package twice (scripts/package, FORMATS=deb) for a
// scenario whose script says "# lab-packages: deb", once per run; the share gets
// them as pkgs/VERSION/*.deb.
func (l *Lab) buildPackages(ctx context.Context, scenario string) error {
	if l.pkgs != "" || !l.needsPackages(scenario) {
		return nil
	}
	t := time.Now()
	dir := filepath.Join(l.cfg.RunDir, "pkgs")
	for _, v := range packageVersions {
		cmd := exec.CommandContext(ctx, "./scripts/package")
		cmd.Dir = l.cfg.Repo
		cmd.Env = append(os.Environ(), "VERSION="+v, "FORMATS=deb", "DIST="+filepath.Join(dir, v))
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("VERSION=%s FORMATS=deb scripts/package: %w\n%s", v, err, out)
		}
	}
	l.pkgs = dir
	l.logf("packages %v built in %s (%.1f s)", packageVersions, dir, time.Since(t).Seconds())
	return nil
}

// fillShare lays out what the guest reads over 9p: the guest scripts, the
// scenarios, the corpus of users' configuration files, hwsimctl, the scenario's
// name, (for "install") the DESTDIR tree, and an empty out/.
func (l *Lab) fillShare(share, scenario string) error {
	for _, d := range []string{"guest", "scenarios", "corpus"} {
		if err := copyTree(filepath.Join(l.cfg.Repo, "lab", d), filepath.Join(share, d)); err != nil {
			return err
		}
	}
	for d, src := range l.cfg.ShareExtra {
		if err := copyTree(src, filepath.Join(share, d)); err != nil {
			return err
		}
	}
	if err := copyFile(l.hwsimctl, filepath.Join(share, "bin", "hwsimctl"), 0o755); err != nil {
		return err
	}
	if scenario == "install" {
		if err := copyTree(l.destdir, filepath.Join(share, "destdir")); err != nil {
			return err
		}
	}
	if l.pkgs != "" && l.needsPackages(scenario) {
		if err := copyTree(l.pkgs, filepath.Join(share, "pkgs")); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(filepath.Join(share, "out"), 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(share, "scenario"), []byte(scenario+"\n"), 0o644)
}

// Scenarios lists the scenario names in lab/scenarios (NN-name.sh), in order.
func Scenarios(repo string) ([]string, error) {
	m, err := filepath.Glob(filepath.Join(repo, "lab", "scenarios", "[0-9][0-9]-*.sh"))
	if err != nil {
		return nil, err
	}
	var names []string
	for _, f := range m {
		names = append(names, strings.TrimSuffix(filepath.Base(f), ".sh"))
	}
	sort.Strings(names)
	return names, nil
}

func copyTree(src, dst string) error {
	return filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		switch {
		case fi.IsDir():
			return os.MkdirAll(target, fi.Mode().Perm()|0o700)
		case fi.Mode()&os.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		default:
			return copyFile(p, target, fi.Mode().Perm())
		}
	})
}

func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Chmod(dst, mode)
}

// follow copies lines appended to path to w until stop is closed, then
// drains what is left.
func follow(path string, w io.Writer, stop <-chan struct{}) {
	var off int64
	var partial []byte
	read := func() {
		f, err := os.Open(path)
		if err != nil {
			return
		}
		defer f.Close()
		if _, err := f.Seek(off, io.SeekStart); err != nil {
			return
		}
		b, _ := io.ReadAll(f)
		off += int64(len(b))
		partial = append(partial, b...)
		if i := bytes.LastIndexByte(partial, '\n'); i >= 0 {
			_, _ = w.Write(partial[:i+1])
			partial = append([]byte(nil), partial[i+1:]...)
		}
	}
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			read()
			if len(partial) > 0 {
				_, _ = w.Write(append(partial, '\n'))
			}
			return
		case <-tick.C:
			read()
		}
	}
}

func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(no console log: " + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
