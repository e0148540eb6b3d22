// SPDX-License-Identifier: Apache-2.0

package netns_test

// Issue 19 ("Trust"): each defect reproduced with the built binaries, then proven gone.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// waitExit waits at most d for p to exit and reports whether it did.
func waitExit(p *proc, d time.Duration) bool {
	select {
	case <-p.done:
		return true
	case <-time.After(d):
		return false
	}
}

// exitCode of a finished proc (-1: killed by a signal).
func exitCode(p *proc) int {
	if p.cmd.ProcessState == nil {
		return -2
	}
	return p.cmd.ProcessState.ExitCode()
}

// Item 1: an edit, then bond-up, while a hot-plug run that read the old file waits
// for the lock. The hot-plug run is made to win the lock (bond-up is stopped with
// SIGSTOP until the hot-plug run has finished), the order in which the old code lost
// the edit: the hot-plug run converged to the old file and bond-up coalesced with it.
func TestAnEditIsNotLostToAWaitingHotplugRun(t *testing.T) {
	t.Parallel()
	ns := newNS(t)
	mustVeth(t, ns, "veth0", "peer0")
	conf := writeConfig(t, ns, "br0SLAVES='veth*'\nbr0ADDRS='10.99.0.2/24'\n"+noDHCP)
	mustRun(t, ns, nil, upBin, "-c", conf)
	mustVeth(t, ns, "veth1", "peer1")

	release := holdLock(t, ns, "br0")
	env := udevEnv("add", "veth1")
	env["BOND_HOTPLUG_CONFIG"] = conf
	hot := background(t, ns, env, hotplugBin)
	lockFile := filepath.Join(ns.lockDir(), "br0.lock")
	// It reads the file before it opens the lock: it has read the old file and waits.
	waitFor(t, "the hot-plug run opens br0's lock", 15*time.Second, func() bool { return holdsOpen(hot.cmd.Process.Pid, lockFile) }, hot)
	if err := os.WriteFile(conf, []byte("br0SLAVES='veth*'\nbr0ADDRS='10.99.0.3/24'\n"+noDHCP), 0o644); err != nil {
		t.Fatal(err)
	}
	up := background(t, ns, nil, upBin, "-c", conf)
	waitFor(t, "bond-up opens br0's lock", 15*time.Second, func() bool { return holdsOpen(up.cmd.Process.Pid, lockFile) }, up)
	if err := up.cmd.Process.Signal(unix.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	release()
	if !waitExit(hot, 10*time.Second) || exitCode(hot) != 0 {
		t.Fatalf("hot-plug run: exit %d\n%s", exitCode(hot), hot.stderr)
	}
	if err := up.cmd.Process.Signal(unix.SIGCONT); err != nil {
		t.Fatal(err)
	}
	if !waitExit(up, 10*time.Second) || exitCode(up) != 0 {
		t.Fatalf("bond-up: exit %d\n%s", exitCode(up), up.stderr)
	}
	got := addrsOf(t, ns, "br0")
	if !contains(got, "10.99.0.3/24") || contains(got, "10.99.0.2/24") {
		t.Errorf("br0 addresses = %v, want the edit (10.99.0.3/24) without the old address\nhot-plug:\n%s\nbond-up:\n%s", got, hot.stderr, up.stderr)
	}
	assertPorts(t, ns, "br0", "veth0", "veth1")
	if out, _ := mustRun(t, ns, nil, upBin, "-n", "-c", conf); out != "br0: nothing to do\n" {
		t.Errorf("bond-up -n after both runs:\n%s", out)
	}
}

// Item 7: SIGTERM (systemd stopping the unit) or Ctrl-C stops a run waiting for the
// lock at once; nothing is applied, and it says so.
func TestASignalStopsARunWaitingForTheLock(t *testing.T) {
	t.Parallel()
	for _, sig := range []unix.Signal{unix.SIGTERM, unix.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			ns := newNS(t)
			mustVeth(t, ns, "veth0", "peer0")
			conf := writeConfig(t, ns, brConf+noDHCP)
			holdLock(t, ns, "br0")
			up := background(t, ns, nil, upBin, "-c", conf)
			// Signalled before it handles signals, the process would just die: wait
			// until it has opened the lock file (its signal handler is set by then).
			waitFor(t, "bond-up opens br0's lock", 15*time.Second, func() bool {
				return holdsOpen(up.cmd.Process.Pid, filepath.Join(ns.lockDir(), "br0.lock"))
			}, up)
			if err := up.cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			if !waitExit(up, 3*time.Second) {
				t.Fatalf("bond-up still waits 3 s after %v\n%s", sig, up.stderr)
			}
			if code := exitCode(up); code != 1 || !strings.Contains(up.stderr.String(), "waiting for lock") {
				t.Errorf("bond-up after %v: exit %d, want 1 saying it stopped waiting\n%s", sig, code, up.stderr)
			}
			if ns.link(t, "br0") != nil {
				t.Errorf("bond-up interrupted while waiting created br0")
			}
		})
	}
}

// Item 8: a record that cannot be read does not turn hot-plug off for its master.
func TestACorruptRecordKeepsHotplugOn(t *testing.T) {
	t.Parallel()
	ns := newNS(t)
	mustVeth(t, ns, "veth0", "peer0")
	conf := writeConfig(t, ns, brConf+noDHCP)
	mustRun(t, ns, nil, upBin, "-c", conf)
	if err := os.WriteFile(filepath.Join(ns.stateDir(), "br0.json"), []byte(`{"master": "br0", "slaves": [`), 0o644); err != nil {
		t.Fatal(err)
	}
	mustVeth(t, ns, "veth1", "peer1")
	env := udevEnv("add", "veth1")
	env["BOND_HOTPLUG_CONFIG"] = conf
	_, stderr := mustRun(t, ns, env, hotplugBin)
	assertPorts(t, ns, "br0", "veth0", "veth1")
	if !strings.Contains(stderr, "set aside") {
		t.Errorf("the hot-plug run does not say it set the record aside:\n%s", stderr)
	}
	mustVeth(t, ns, "veth2", "peer2")
	env = udevEnv("add", "veth2")
	env["BOND_HOTPLUG_CONFIG"] = conf
	mustRun(t, ns, env, hotplugBin)
	assertPorts(t, ns, "br0", "veth0", "veth1", "veth2")
}

// Item 6: the directory holding the records and the lock directory is readable by
// all (0755) whatever the umask, so `bond-up -n` as an ordinary user shows the same
// removals as root's; the lock directory stays root-only.
func TestAnOrdinaryUserReadsTheRecords(t *testing.T) {
	t.Parallel()
	ns := newNS(t)
	mustVeth(t, ns, "veth0", "peer0")
	pub := publicDir(t)
	conf := writePublic(t, pub, "network.conf", brConf+noDHCP)
	runDir := filepath.Join(pub, "run")
	env := map[string]string{
		"BOND_HOTPLUG_LOCKDIR":  filepath.Join(runDir, "lock"),
		"BOND_HOTPLUG_STATEDIR": filepath.Join(runDir, "state"),
	}
	// bond-up@.service runs with UMask=0077.
	if _, errOut, code := run(t, ns, env, "/bin/sh", "-c", `umask 077; exec "$0" "$@"`, upBin, "-c", conf); code != 0 {
		t.Fatalf("bond-up: exit %d\n%s", code, errOut)
	}
	writePublic(t, pub, "network.conf", "br0SLAVES='veth*'\nbr0ADDRS='10.99.0.2/24'\n"+noDHCP)
	out, errOut, code := isolatedRun(t, ns, env, true, upBin, "-n", "-c", conf, "br0")
	if code != 0 || !strings.Contains(out, "delete address fd00:99::2/64 from br0") {
		t.Errorf("bond-up -n as nobody: exit %d, want the removal of fd00:99::2/64\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for d, want := range map[string]os.FileMode{runDir: 0o755, filepath.Join(runDir, "lock"): 0o700} {
		st, err := os.Stat(d)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", d, st.Mode().Perm(), want)
		}
	}
}

// Item 5: a run killed after any step (SIGKILL right after the step was applied and
// recorded: no deferred code runs) leaves a record that names what it made. The
// master then renamed in the file, `bond-down OLDNAME` still deletes it; and the next
// bond-up finishes the job.
func TestARunKilledAtAnyStepOrphansNothing(t *testing.T) {
	t.Parallel()
	conf := brConf
	probe := newNS(t)
	mustVeth(t, probe, "veth0", "peer0", "veth1", "peer1")
	plan, _ := mustRun(t, probe, nil, upBin, "-n", "-c", writeConfig(t, probe, conf))
	steps := len(strings.Split(strings.TrimSpace(plan), "\n")) - 1 // the header line
	if steps < 8 {
		t.Fatalf("the plan has %d steps, want at least 8:\n%s", steps, plan)
	}
	for n := 1; n <= steps; n++ {
		t.Run("after step "+strconv.Itoa(n), func(t *testing.T) {
			t.Parallel()
			for _, next := range []string{"bond-down of the renamed master", "bond-up"} {
				ns := newNS(t)
				mustVeth(t, ns, "veth0", "peer0", "veth1", "peer1")
				c := writeConfig(t, ns, conf)
				_, stderr, code := run(t, ns, map[string]string{"BOND_HOTPLUG_KILL_AFTER": strconv.Itoa(n)}, upBin, "-c", c)
				if code != -1 {
					t.Fatalf("bond-up with BOND_HOTPLUG_KILL_AFTER=%d: exit %d, want killed\n%s", n, code, stderr)
				}
				if next == "bond-up" {
					mustRun(t, ns, nil, upBin, "-c", c)
					assertConverged(t, ns, "veth0", "veth1")
					continue
				}
				renamed := strings.ReplaceAll(conf, "br0", "br1")
				if err := os.WriteFile(c, []byte(renamed), 0o644); err != nil {
					t.Fatal(err)
				}
				_, stderr = mustRun(t, ns, nil, downBin, "-c", c, "br0")
				if ns.link(t, "br0") != nil {
					t.Errorf("killed after step %d: bond-down br0 left br0\n%s", n, stderr)
				}
				for _, name := range []string{"veth0", "veth1"} {
					if l := ns.link(t, name); l == nil || l.Attrs().MasterIndex != 0 {
						t.Errorf("killed after step %d: %s still enslaved after bond-down", n, name)
					}
				}
				rec, _ := readUnits(t, ns)
				if len(rec.Units) != 0 {
					t.Errorf("killed after step %d: units still running after bond-down: %v", n, rec.Units)
				}
			}
		})
	}
}

// Item 7: a run told to stop between two steps stops before the next one, exits 1,
// and names what it did not apply; the next bond-up finishes the job.
func TestASignalBetweenStepsStopsTheRun(t *testing.T) {
	t.Parallel()
	ns := newNS(t)
	mustVeth(t, ns, "veth0", "peer0", "veth1", "peer1")
	conf := writeConfig(t, ns, brConf)
	_, stderr, code := run(t, ns, map[string]string{"BOND_HOTPLUG_TERM_AFTER": "3"}, upBin, "-c", conf)
	if code != 1 || !strings.Contains(stderr, "after 3 of") || !strings.Contains(stderr, "not applied: ") ||
		!strings.Contains(stderr, "start bond-dhcp4@br0.service") {
		t.Fatalf("bond-up stopped by SIGTERM after step 3: exit %d, want 1 naming what was not applied\n%s", code, stderr)
	}
	if got := addrsOf(t, ns, "br0"); contains(got, "10.99.0.2/24") {
		t.Errorf("steps after the signal were applied: br0 has %v", got)
	}
	if rec, _ := readUnits(t, ns); len(rec.Units) != 0 {
		t.Errorf("units started after the signal: %v", rec.Units)
	}
	mustRun(t, ns, nil, upBin, "-c", conf)
	assertConverged(t, ns, "veth0", "veth1")
}

// Item 12: an edit of the static address keeps a lease in the same subnet. The kernel
// deletes an IPv4 address's secondaries with it unless promote_secondaries is set on
// the device; bond-up sets it on the master before it changes an address.
func TestAnEditOfTheStaticAddressKeepsTheLease(t *testing.T) {
	t.Parallel()
	ns := newNS(t)
	mustVeth(t, ns, "veth0", "peer0")
	conf := writeConfig(t, ns, "br0SLAVES='veth0'\nbr0ADDRS='10.99.0.2/24'\n"+noDHCP)
	mustRun(t, ns, nil, upBin, "-c", conf)
	// What a DHCP client adds: same subnet (a secondary), with lifetimes.
	if out, err := exec.Command("ip", "-n", ns.Name, "addr", "add", "10.99.0.77/24", "dev", "br0",
		"valid_lft", "3600", "preferred_lft", "3600").CombinedOutput(); err != nil {
		t.Fatalf("add the lease: %v: %s", err, out)
	}
	if err := os.WriteFile(conf, []byte("br0SLAVES='veth0'\nbr0ADDRS='10.99.0.3/24'\n"+noDHCP), 0o644); err != nil {
		t.Fatal(err)
	}
	mustRun(t, ns, nil, upBin, "-c", conf)
	got := addrsOf(t, ns, "br0")
	if !contains(got, "10.99.0.77/24") || !contains(got, "10.99.0.3/24") || contains(got, "10.99.0.2/24") {
		t.Errorf("br0 addresses after the edit = %v, want 10.99.0.3/24 and the lease 10.99.0.77/24", got)
	}
	out, err := exec.Command("ip", "netns", "exec", ns.Name, "sysctl", "-n", "net.ipv4.conf.br0.promote_secondaries").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "1" {
		t.Errorf("net.ipv4.conf.br0.promote_secondaries = %q (%v), want 1", out, err)
	}
}

// Item 3: a SLAVES glob that matches lo leaves it alone (its addresses with it), says
// so, and still enslaves the rest; a hot-plug event of lo changes nothing.
func TestAGlobNeverTakesLoopback(t *testing.T) {
	t.Parallel()
	ns := newNS(t)
	if out, err := exec.Command("ip", "-n", ns.Name, "link", "set", "lo", "up").CombinedOutput(); err != nil {
		t.Fatalf("lo up: %v: %s", err, out)
	}
	mustVeth(t, ns, "veth0", "peer0")
	conf := writeConfig(t, ns, "br0SLAVES='veth0 l*'\nbr0ADDRS='10.99.0.2/24'\n"+noDHCP)
	_, stderr := mustRun(t, ns, nil, upBin, "-c", conf)
	if !strings.Contains(stderr, "lo matches br0SLAVES but is a loopback device") {
		t.Errorf("bond-up does not say why lo is left alone:\n%s", stderr)
	}
	assertPorts(t, ns, "br0", "veth0")
	env := udevEnv("add", "lo")
	env["BOND_HOTPLUG_CONFIG"] = conf
	mustRun(t, ns, env, hotplugBin)
	if got := addrsOf(t, ns, "lo"); !contains(got, "127.0.0.1/8") || !contains(got, "::1/128") {
		t.Errorf("lo addresses = %v, want 127.0.0.1/8 and ::1/128 kept", got)
	}
	if l := ns.mustLink(t, "lo"); l.Attrs().MasterIndex != 0 {
		t.Errorf("lo was enslaved")
	}
	if out, _ := mustRun(t, ns, nil, upBin, "-n", "-c", conf); !strings.HasSuffix(out, "br0: nothing to do\n") {
		t.Errorf("bond-up -n after: %s", out)
	}
}

// Item 9: a device whose name begins with '-' (or is "--") reaches bond-hotplug as an
// interface name when it follows "--" (the udev rule's form: bond-hotplug -- ACTION
// NAME), or after the action: no usage text, no exit 2 on every event.
func TestInterfaceNamesAfterDoubleDash(t *testing.T) {
	t.Parallel()
	ns := newNS(t)
	conf := writeConfig(t, ns, brConf)
	env := map[string]string{"BOND_HOTPLUG_CONFIG": conf}
	for _, args := range [][]string{
		{"add", "--", "-x"},
		{"--", "add", "-x"},
		{"--", "remove", "--"},
		{"--", "add", "--help"},
	} {
		out, errOut, code := run(t, ns, env, hotplugBin, args...)
		if code != 0 || errOut != "" || strings.Contains(out, "Usage") {
			t.Errorf("bond-hotplug %q: exit %d, stdout %q, stderr %q; want 0 and no usage", args, code, out, errOut)
		}
	}
}

// Item 10: SIGHUP stops the DHCP supervisor (--supervise, --wait-then) the way
// SIGTERM does: its client is stopped with it, never left running under PID 1.
func TestSIGHUPStopsTheSupervisorAndItsClient(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"--supervise", "--wait-then"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			ns, conf := bridgeWithCarrier(t)
			pidFile := filepath.Join(ns.dir, "client.pid")
			p := background(t, ns, nil, hotplugBin, "-c", conf, mode, "br0", "--",
				"/bin/sh", "-c", `echo $$ > "$0"; exec sleep 120 >/dev/null 2>&1`, pidFile)
			var pid int
			waitFor(t, "client start", 15*time.Second, func() bool {
				b, _ := os.ReadFile(pidFile)
				pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
				return pid > 0
			}, p)
			if err := p.cmd.Process.Signal(unix.SIGHUP); err != nil {
				t.Fatal(err)
			}
			if !waitExit(p, 5*time.Second) {
				t.Fatalf("%s still runs 5 s after SIGHUP\n%s", mode, p.stderr)
			}
			deadline := time.Now().Add(5 * time.Second)
			for unix.Kill(pid, 0) == nil {
				if time.Now().After(deadline) {
					_ = unix.Kill(pid, unix.SIGKILL)
					t.Fatalf("%s's client (pid %d) still runs after the supervisor got SIGHUP", mode, pid)
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
}

// Item 13: a master both configured and recorded is named once in bond-down's list of
// known masters.
func TestKnownMastersAreNamedOnce(t *testing.T) {
	t.Parallel()
	ns := newNS(t)
	mustVeth(t, ns, "veth0", "peer0")
	conf := writeConfig(t, ns, strings.ReplaceAll(brConf+noDHCP, "br0", "br1"))
	mustRun(t, ns, nil, upBin, "-c", conf)
	_, stderr, code := run(t, ns, nil, downBin, "-c", conf, "br9")
	if code != 2 || !strings.Contains(stderr, "(known: br1)") {
		t.Errorf("bond-down br9: exit %d, want 2 and \"(known: br1)\"\n%s", code, stderr)
	}
}

// Item 12, the other way: a lease address that vanishes while the DHCPv4 client runs
// (here `ip addr del`, as the kernel does to a secondary when promote_secondaries is
// off) makes the supervisor restart the client, which applies its lease again; the
// release at the unit's stop (SIGUSR1 from --release first) does not.
func TestAVanishedLeaseIsAppliedAgain(t *testing.T) {
	t.Parallel()
	ns, conf := bridgeWithCarrier(t)
	starts := filepath.Join(ns.dir, "starts")
	// A client that takes its lease (an address with lifetimes) as it starts.
	client := `echo $$ >> "$0"; ip addr add 10.99.0.150/24 dev br0 valid_lft 3600 preferred_lft 3600; exec sleep 120 >/dev/null 2>&1`
	p := background(t, ns, nil, hotplugBin, "-c", conf, "--supervise", "br0", "--", "/bin/sh", "-c", client, starts)
	count := func() int {
		b, _ := os.ReadFile(starts)
		return strings.Count(string(b), "\n")
	}
	leased := func() bool { return contains(addrsOf(t, ns, "br0"), "10.99.0.150/24") }
	waitFor(t, "client start with its lease", 15*time.Second, func() bool { return count() == 1 && leased() }, p)
	if out, err := exec.Command("ip", "-n", ns.Name, "addr", "del", "10.99.0.150/24", "dev", "br0").CombinedOutput(); err != nil {
		t.Fatalf("delete the lease: %v: %s", err, out)
	}
	waitFor(t, "client restarted and its lease back", 10*time.Second, func() bool { return count() == 2 && leased() }, p)
	if !strings.Contains(p.stderr.String(), "lease address 10.99.0.150/24 vanished") {
		t.Errorf("the supervisor does not say why it restarted the client:\n%s", p.stderr)
	}
	// The stop: --release tells the supervisor first, then the lease goes.
	if err := p.cmd.Process.Signal(unix.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	if out, err := exec.Command("ip", "-n", ns.Name, "addr", "del", "10.99.0.150/24", "dev", "br0").CombinedOutput(); err != nil {
		t.Fatalf("delete the lease: %v: %s", err, out)
	}
	time.Sleep(2 * time.Second)
	if n := count(); n != 2 {
		t.Errorf("the client was started %d times after a release, want no restart (2 starts)", n)
	}
	if waitExit(p, 0) {
		t.Errorf("SIGUSR1 ended the supervisor:\n%s", p.stderr)
	}
}

// holdsOpen says whether process pid has file open (one of its /proc/PID/fd links).
func holdsOpen(pid int, file string) bool {
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	fds, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, fd := range fds {
		if target, err := os.Readlink(filepath.Join(dir, fd.Name())); err == nil && target == file {
			return true
		}
	}
	return false
}
