// SPDX-License-Identifier: Apache-2.0

package netns_test

// The edges (issue 11): the built binaries where systemd is out of reach, run by an
// ordinary user, with a lock directory someone else made, and as installed (no test
// hooks).

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

const nobody = "65534"

// isolatedRun runs bin inside ns in a private mount namespace whose /run is an empty
// tmpfs: no systemd private socket, no system bus, no journal, no udev, and a /run
// that starts empty (as after boot). With asNobody it drops to uid/gid 65534 with no
// supplementary groups first. env is as for run; the fake systemd is off unless env
// sets BOND_HOTPLUG_UNITS again.
func isolatedRun(t *testing.T, ns *testNS, env map[string]string, asNobody bool, bin string, args ...string) (string, string, int) {
	t.Helper()
	script := `mount -t tmpfs -o mode=0755 bh-run /run || exit 97; exec "$@"`
	argv := []string{"--mount", "--propagation", "private", "sh", "-c", script, "sh"}
	if asNobody {
		argv = append(argv, "setpriv", "--reuid="+nobody, "--regid="+nobody, "--clear-groups")
	}
	argv = append(append(argv, bin), args...)
	full := map[string]string{"BOND_HOTPLUG_UNITS": ""}
	for k, v := range env {
		full[k] = v
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skipf("unshare(1) not available: %v", err)
	}
	return run(t, ns, full, unshare, argv...)
}

// publicDir is a root-owned directory everyone may read and traverse (t.TempDir is
// 0700), for files an unprivileged run must read.
func publicDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("", "bh-public-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	if err := os.Chmod(d, 0o755); err != nil {
		t.Fatal(err)
	}
	return d
}

func writePublic(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func noPanic(t *testing.T, what, stderr string) {
	t.Helper()
	if strings.Contains(stderr, "panic:") || strings.Contains(stderr, "goroutine ") {
		t.Fatalf("%s panicked:\n%s", what, stderr)
	}
}

// Issue 11.1: with systemd out of reach, every binary reports it and exits 1 after
// configuring the network (no panic, no exit 2 "nothing was changed"); --status and
// -n show the units as unknown, with the reason (--status exits 1: not converged).
func TestWithoutSystemdNoBinaryPanicsAndStatusShowsUnitsUnknown(t *testing.T) {
	t.Parallel()
	ns := newNS(t)
	mustVeth(t, ns, "veth0", "peer0")
	conf := writeConfig(t, ns, brConf)

	out, errOut, code := isolatedRun(t, ns, nil, false, upBin, "--status", "-c", conf, "br0")
	noPanic(t, "bond-up --status", errOut)
	if code != 1 || !strings.Contains(out, "units:     unknown: systemd is not reachable") {
		t.Fatalf("bond-up --status: exit %d, want 1 (not converged) and units unknown with the reason\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	out, errOut, code = isolatedRun(t, ns, nil, false, upBin, "-n", "-c", conf, "br0")
	noPanic(t, "bond-up -n", errOut)
	if code != 0 || !strings.Contains(out, "cannot read unit states: systemd is not reachable") {
		t.Fatalf("bond-up -n: exit %d, want 0 and a note on the units\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if ns.link(t, "br0") != nil {
		t.Fatal("a read-only run created br0")
	}

	out, errOut, code = isolatedRun(t, ns, nil, false, upBin, "-c", conf, "br0")
	noPanic(t, "bond-up", errOut)
	if code != 1 || !strings.Contains(errOut, "systemd is not reachable") || strings.Contains(errOut, "nothing was changed") {
		t.Fatalf("bond-up: exit %d, want 1 naming systemd\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if l := ns.mustLink(t, "veth0"); l.Attrs().MasterIndex != ns.mustLink(t, "br0").Attrs().Index {
		t.Fatal("bond-up without systemd did not configure the network")
	}

	mustVeth(t, ns, "veth1", "peer1")
	_, errOut, code = isolatedRun(t, ns, udevEnv("add", "veth1"), false, hotplugBin, "-c", conf)
	noPanic(t, "bond-hotplug add", errOut)
	if code != 1 || !strings.Contains(errOut, "systemd is not reachable") {
		t.Fatalf("bond-hotplug add: exit %d, want 1 naming systemd\nstderr:\n%s", code, errOut)
	}
}

// Issue 11.5: bond-up -n and --status work for an ordinary user who can read the
// configuration: no lock taken (the lock directory is not created, even where that
// user could create it), unit states shown as unknown with the reason.
func TestReadOnlyRunsWorkForAnOrdinaryUserAndTakeNoLock(t *testing.T) {
	t.Parallel()
	ns := newNS(t)
	mustVeth(t, ns, "veth0", "peer0")
	pub := publicDir(t)
	conf := writePublic(t, pub, "network.conf", brConf)
	// A lock directory an ordinary user could create (like /run/lock, 1777): a
	// read-only run must not.
	open := filepath.Join(pub, "open")
	if err := os.Mkdir(open, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o1777); err != nil {
		t.Fatal(err)
	}
	lockDir := filepath.Join(open, "lock")
	env := map[string]string{"BOND_HOTPLUG_LOCKDIR": lockDir}

	out, errOut, code := isolatedRun(t, ns, env, true, upBin, "-n", "-c", conf, "br0")
	noPanic(t, "bond-up -n as nobody", errOut)
	if code != 0 || !strings.Contains(out, "br0") {
		t.Fatalf("bond-up -n as nobody: exit %d, want 0 and the plan\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	out, errOut, code = isolatedRun(t, ns, env, true, upBin, "--status", "-c", conf)
	noPanic(t, "bond-up --status as nobody", errOut)
	// Exit 1: br0 is absent, so not converged (the --status exit rule, issue 10).
	if code != 1 || !strings.Contains(out, "units:     unknown: systemd is not reachable") {
		t.Fatalf("bond-up --status as nobody: exit %d, want 1 and units unknown\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if _, err := os.Lstat(lockDir); !os.IsNotExist(err) {
		t.Fatalf("a read-only run created the lock directory %s (err %v)", lockDir, err)
	}
	if ns.link(t, "br0") != nil {
		t.Fatal("a read-only run created br0")
	}
}

// Issue 11.2: a lock directory another user created first, holding a forged
// "converged" stamp, is refused by a root run (exit 1, nothing changed), never
// believed (a silent no-op with exit 0).
func TestLockDirectoryOwnedByAnotherUserIsRefused(t *testing.T) {
	t.Parallel()
	ns := newNS(t)
	mustVeth(t, ns, "veth0", "peer0")
	conf := writeConfig(t, ns, brConf+noDHCP)
	parent := filepath.Join(ns.dir, "run-bond-hotplug")
	dir := filepath.Join(parent, "lock")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	// The largest stamp: "converged after any run started".
	if err := os.WriteFile(filepath.Join(dir, "br0.lock"), []byte("99999999999999999999"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{dir, filepath.Join(dir, "br0.lock")} {
		if err := os.Chown(p, 65534, 65534); err != nil {
			t.Fatal(err)
		}
	}
	out, errOut, code := run(t, ns, map[string]string{"BOND_HOTPLUG_LOCKDIR": dir}, upBin, "-c", conf, "br0")
	if code != 1 || !strings.Contains(errOut, "owned by uid 65534, not root") {
		t.Fatalf("bond-up with a foreign lock directory: exit %d, want 1 naming the owner\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if ns.link(t, "br0") != nil {
		t.Fatal("bond-up changed the network despite refusing the lock")
	}
}

var (
	installedOnce sync.Once
	installedDir  string
	installedErr  error
)

// installedUp is bond-up built as install.sh builds it: without the test hooks.
func installedUp(t *testing.T) string {
	t.Helper()
	if skipReason != "" {
		t.Skip(skipReason)
	}
	installedOnce.Do(func() {
		installedDir = filepath.Join(binDir, "installed")
		installedErr = build(installedDir, "") // bond-up finds bond-hotplug beside it
	})
	if installedErr != nil {
		t.Fatal(installedErr)
	}
	return filepath.Join(installedDir, "bond-up")
}

// Issue 11.9: an installed binary has no test hooks: --insecure-config is an unknown
// flag, BOND_HOTPLUG_UNITS=record:FILE writes no file (the run talks to systemd) and
// BOND_HOTPLUG_LOCKDIR moves no lock; the fake systemd's code is not even linked in.
func TestInstalledBinaryHasNoTestHooks(t *testing.T) {
	t.Parallel()
	ns := newNS(t)
	up := installedUp(t)
	mustVeth(t, ns, "veth0", "peer0")
	conf := writeConfig(t, ns, brConf)

	_, errOut, code := isolatedRun(t, ns, nil, false, up, "--insecure-config", "-n", "-c", conf)
	if code != 2 || !strings.Contains(errOut, "flag provided but not defined: -insecure-config") {
		t.Fatalf("--insecure-config: exit %d, want 2 (unknown flag)\nstderr:\n%s", code, errOut)
	}
	record := filepath.Join(ns.dir, "planted.json")
	lockDir := filepath.Join(ns.dir, "planted-lock")
	env := map[string]string{"BOND_HOTPLUG_UNITS": "record:" + record, "BOND_HOTPLUG_LOCKDIR": lockDir}
	_, errOut, code = isolatedRun(t, ns, env, false, up, "-c", conf, "br0")
	noPanic(t, "installed bond-up", errOut)
	if code != 1 || !strings.Contains(errOut, "systemd is not reachable") {
		t.Fatalf("installed bond-up with BOND_HOTPLUG_UNITS set: exit %d, want 1 (it must talk to systemd)\nstderr:\n%s", code, errOut)
	}
	for _, p := range []string{record, lockDir} {
		if _, err := os.Lstat(p); !os.IsNotExist(err) {
			t.Fatalf("the installed binary obeyed a test hook: %s exists (err %v)", p, err)
		}
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	sym, err := exec.Command(goBin, "tool", "nm", up).Output()
	if err != nil {
		t.Fatalf("go tool nm: %v", err)
	}
	if strings.Contains(string(sym), "FileFake") {
		t.Fatal("the installed binary links the file-backed fake of systemd (units.FileFake)")
	}
}

// ruleArgv is the command line rules/90-bond-hotplug.rules gives bond-hotplug for an
// event (its RUN), with udev's substitutions made: the test runs what udev runs.
func ruleArgv(t *testing.T, action, name string) []string {
	t.Helper()
	return ruleCommand(t, `RUN+="`, action, name)
}

// ruleCommand is the command of the rule's assignment key (`RUN+="`), substituted as
// udev does.
func ruleCommand(t *testing.T, key, action, name string) []string {
	t.Helper()
	b, err := os.ReadFile("../../rules/90-bond-hotplug.rules")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		_, run, ok := strings.Cut(line, key)
		if !ok || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		run, _, _ = strings.Cut(run, `"`)
		f := strings.Fields(run)
		if len(f) == 0 || !strings.HasSuffix(f[0], "/bond-hotplug") {
			t.Fatalf("rule runs %q, not bond-hotplug", run)
		}
		var out []string
		for _, a := range f[1:] {
			a = strings.ReplaceAll(a, "$env{ACTION}", action)
			out = append(out, strings.ReplaceAll(a, "$name", name))
		}
		return out
	}
	t.Fatalf("no %s in rules/90-bond-hotplug.rules", key)
	return nil
}

// Issue 11.7: foreign devices with names the kernel allows but our configuration
// syntax does not ('+', '@', non-ASCII, a leading '-') cost nothing: the add and
// remove events, run with the rule's own command line, exit 0 and say nothing. A
// configured pattern matching such a name is reported (exit 2, naming it).
func TestForeignDevicesWithUnusualNamesAreIgnoredQuietly(t *testing.T) {
	t.Parallel()
	ns := newNS(t)
	conf := writeConfig(t, ns, brConf+noDHCP)
	names := []string{"a+b", "x@y", "dév0", "-lead", "--", "-c"}
	for i, n := range names {
		mustVeth(t, ns, n, fmt.Sprintf("px%d", i))
	}
	env := map[string]string{"BOND_HOTPLUG_CONFIG": conf}
	for _, n := range names {
		if ns.link(t, n) == nil {
			t.Fatalf("the kernel did not create %q", n)
		}
		for _, action := range []string{"add", "remove", "move"} {
			out, errOut, code := run(t, ns, env, hotplugBin, ruleArgv(t, action, n)...)
			if code != 0 || out != "" || errOut != "" {
				t.Errorf("%s %q (foreign): exit %d, want 0 and silence\nstdout:\n%s\nstderr:\n%s", action, n, code, out, errOut)
			}
		}
	}
	if ns.link(t, "br0") != nil {
		t.Fatal("an event for a foreign device created br0")
	}
	if _, exists := readUnits(t, ns); exists {
		t.Fatal("an event for a foreign device talked to (the fake) systemd")
	}
	mustVeth(t, ns, "veth+x", "pv0")
	_, errOut, code := run(t, ns, env, hotplugBin, ruleArgv(t, "add", "veth+x")...)
	if code != 2 || !strings.Contains(errOut, `interface "veth+x" (matched by br0's slaves)`) {
		t.Fatalf("add of a configured-pattern device named veth+x: exit %d, want 2 naming it\nstderr:\n%s", code, errOut)
	}
}

// Issue 11.4: the DHCP units' ExecStop (`bond-hotplug --release`) runs the client's
// release when the unit is stopped with its client running, and skips it when the
// client already died ($EXIT_CODE, which systemd sets only then): the restart that
// follows a crash reclaims the lease instead of losing it.
func TestReleaseRunsOnAStopAndIsSkippedAfterACrash(t *testing.T) {
	t.Parallel()
	ns := newNS(t)
	marker := filepath.Join(ns.dir, "released")
	release := []string{"--release", "br0", "--", "/bin/sh", "-c", `echo "$0" >> "$1"`, "released", marker}
	_, errOut, code := run(t, ns, map[string]string{"EXIT_CODE": "killed", "EXIT_STATUS": "SEGV"}, hotplugBin, release...)
	if code != 0 || !strings.Contains(errOut, "already exited (killed SEGV): lease kept") {
		t.Fatalf("--release after a crash: exit %d, want 0 and a note\nstderr:\n%s", code, errOut)
	}
	if _, err := os.Stat(marker); !os.IsNotExist(err) {
		t.Fatal("--release ran the release command after the client crashed")
	}
	_, errOut, code = run(t, ns, nil, hotplugBin, release...)
	if b, _ := os.ReadFile(marker); code != 0 || string(b) != "released\n" {
		t.Fatalf("--release on a stop: exit %d, marker %q; want 0 and the release command run once\nstderr:\n%s", code, b, errOut)
	}
}

// Issue 10 (measure 10): a release request dhcpcd never acts on (dhcpcd 9.4.1's
// `dhcpcd -k` then waits for an exit that never comes) is made a second time after
// 2 s, within the DHCP units' 5 s stop time-out. The stand-ins are scripts named after
// the clients: "dhcpcd" hangs on its first request and releases on the second;
// "dhclient" is a slow but working release (dhclient -r sleeps 1 s, then runs its
// script), which must run once and to its end.
func TestReleaseIsAskedAgainWhenTheClientDoesNotAct(t *testing.T) {
	t.Parallel()
	ns := newNS(t)
	stub := func(name, body string) string {
		p := filepath.Join(ns.dir, "bin", name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	calls := filepath.Join(ns.dir, "calls")
	dhcpcd := stub("dhcpcd", `echo "$*" >> "`+calls+`"; [ "$(wc -l < "`+calls+`")" -ge 2 ] || exec sleep 30`)
	start := time.Now()
	_, errOut, code := run(t, ns, nil, hotplugBin, "--release", "br0", "--", dhcpcd, "-6", "-k", "br0")
	took := time.Since(start)
	b, _ := os.ReadFile(calls)
	if code != 0 || string(b) != "-6 -k br0\n-6 -k br0\n" || !strings.Contains(errOut, "dhcpcd did not finish the release in 2 s: asking again") ||
		!strings.Contains(errOut, "released on request 2") || took >= 30*time.Second {
		t.Fatalf("--release with a dhcpcd that ignores the first request: exit %d after %v, calls %q; want 0, two requests, and both notes\nstderr:\n%s", code, took, b, errOut)
	}

	// A dhcpcd that never acts: two requests, then the error (systemd's stop time-out
	// would end the client).
	never := filepath.Join(ns.dir, "never")
	dhcpcd = stub("dhcpcd", `echo x >> "`+never+`"; [ "$(wc -l < "`+never+`")" -ge 2 ] && exit 3; exec sleep 30`)
	_, errOut, code = run(t, ns, nil, hotplugBin, "--release", "br0", "--", dhcpcd, "-6", "-k", "br0")
	if b, _ := os.ReadFile(never); code == 0 || string(b) != "x\nx\n" || !strings.Contains(errOut, "release on br0") {
		t.Fatalf("--release whose second request fails: exit %d, calls %q; want non-zero after two requests\nstderr:\n%s", code, b, errOut)
	}

	// Another client's slow release runs once, to its end.
	slow := filepath.Join(ns.dir, "slow")
	dhclient := stub("dhclient", `echo start >> "`+slow+`"; sleep 2.6; echo done >> "`+slow+`"`)
	_, errOut, code = run(t, ns, nil, hotplugBin, "--release", "br0", "--", dhclient, "-4", "-r", "br0")
	if b, _ := os.ReadFile(slow); code != 0 || string(b) != "start\ndone\n" || strings.Contains(errOut, "asking again") {
		t.Fatalf("--release with a slow dhclient: exit %d, log %q; want 0 and one request run to its end\nstderr:\n%s", code, b, errOut)
	}
}

// Issue 11.6: bond-down when systemd cannot list (or stop) the master's units: the
// DHCP units are stopped by name anyway, and when that fails too the master is left
// in place with its addresses and the run exits 1 saying why, never deleted with
// exit 0 and its leases unreleased.
func TestBondDownWithoutAUnitListingKeepsTheMasterAndFails(t *testing.T) {
	t.Parallel()
	ns := newNS(t)
	mustVeth(t, ns, "veth0", "peer0")
	conf := writeConfig(t, ns, brConf)
	mustRun(t, ns, nil, upBin, "-c", conf)
	before := dump(t, ns)
	_, errOut, code := isolatedRun(t, ns, nil, false, downBin, "-c", conf, "br0")
	noPanic(t, "bond-down", errOut)
	if code != 1 || !strings.Contains(errOut, "cannot list units") ||
		!strings.Contains(errOut, "stop bond-dhcp4@br0.service") || !strings.Contains(errOut, "br0 keeps its addresses and leases") {
		t.Fatalf("bond-down without systemd: exit %d, want 1 saying the leases were not released\nstderr:\n%s", code, errOut)
	}
	assertSameDump(t, "bond-down that could not stop the DHCP units", before, dump(t, ns))
}

// Issue 19.2: bond-up names the devices of the masters it brings up in the runtime
// udev rule (and -n writes nothing), a second master joins it, and bond-down takes
// each out again, removing the rule with the last: nothing is marked for udev or
// NetworkManager while no master is up. (The rule's effect on real udev and
// NetworkManager: lab/scenarios/60-networkmanager-and-the-rule.sh.)
func TestUpAndDownKeepTheRuntimeUdevRuleToTheMastersThatAreUp(t *testing.T) {
	t.Parallel()
	ns := newNS(t)
	conf := writeConfig(t, ns, brConf+noDHCP+"br1SLAVES='tap[!0]*'\nbr1DHCP=no\nbr1DHCP6=no\n")
	rule := filepath.Join(ns.dir, "rules.d", "89-bond-hotplug-up.rules")
	env := map[string]string{"BOND_HOTPLUG_UDEV_RULE": rule}
	ruleHas := func(step string, want ...string) {
		t.Helper()
		b, err := os.ReadFile(rule)
		if len(want) == 0 {
			if !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("%s: rule left in place (%v):\n%s", step, err, b)
			}
			return
		}
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		var up []string
		for _, l := range strings.Split(string(b), "\n") {
			if r, ok := strings.CutPrefix(l, "# up: "); ok {
				up = append(up, r)
			}
		}
		if strings.Join(up, "; ") != strings.Join(want, "; ") {
			t.Fatalf("%s: rule names %q, want %q:\n%s", step, up, want, b)
		}
	}
	mustRun(t, ns, env, upBin, "-n", "-c", conf, "br0")
	ruleHas("bond-up -n")
	mustRun(t, ns, env, upBin, "-c", conf, "br0")
	ruleHas("bond-up br0", "br0 veth* lan1")
	b, _ := os.ReadFile(rule)
	if !strings.Contains(string(b), `KERNEL=="veth*|lan1", ENV{BOND_HOTPLUG_MASTER}="br0", ENV{BOND_HOTPLUG_SLAVE}="1"`) {
		t.Fatalf("rule does not match br0's devices:\n%s", b)
	}
	mustRun(t, ns, env, upBin, "-c", conf, "br1")
	ruleHas("bond-up br1", "br0 veth* lan1", "br1 tap[^0]*")
	b, _ = os.ReadFile(rule)
	if !strings.Contains(string(b), `KERNEL=="tap[!0]*"`) {
		t.Fatalf("br1's glob is not in udev's syntax:\n%s", b)
	}
	mustRun(t, ns, env, downBin, "-c", conf, "br0")
	ruleHas("bond-down br0", "br1 tap[^0]*")
	mustRun(t, ns, env, downBin, "-c", conf, "br1")
	ruleHas("bond-down br1")
}
