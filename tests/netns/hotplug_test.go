// SPDX-License-Identifier: Apache-2.0

package netns_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

func TestHotplug(t *testing.T) {
	t.Parallel()
	t.Run("an add event from udev enslaves a newly created veth", func(t *testing.T) {
		t.Parallel()
		ns := newNS(t)
		mustVeth(t, ns, "veth0", "peer0", "lan1", "plan1")
		conf := writeConfig(t, ns, brConf)
		mustRun(t, ns, nil, upBin, "-c", conf)
		mustVeth(t, ns, "veth1", "peer1")
		peerBefore := dumpOf(dump(t, ns), "peer1")

		env := udevEnv("add", "veth1")
		env["BOND_HOTPLUG_CONFIG"] = conf
		start := time.Now()
		stdout, stderr, code := run(t, ns, env, hotplugBin)
		took := time.Since(start)

		if code != 0 {
			t.Fatalf("bond-hotplug (ACTION=add INTERFACE=veth1): exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
		}
		t.Logf("one hotplug add run (ip netns exec + bond-hotplug, enslaving veth1) took %v", took)
		assertConverged(t, ns, "veth0", "veth1", "lan1")
		assertDHCPUnits(t, ns) // still started once: the hotplug run saw them running
		if got := dumpOf(dump(t, ns), "peer1"); got != peerBefore {
			t.Errorf("the hotplug run touched peer1:\nbefore: %s\nafter:  %s", peerBefore, got)
		}
		if want := "enslave veth1 to br0"; !contains(logLines(stderr, "bond-hotplug", "br0"), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	})

	t.Run("the argument form add IFNAME enslaves a newly created veth", func(t *testing.T) {
		t.Parallel()
		ns := newNS(t)
		mustVeth(t, ns, "veth0", "peer0")
		conf := writeConfig(t, ns, brConf+noDHCP)
		mustRun(t, ns, nil, upBin, "-c", conf)
		mustVeth(t, ns, "veth7", "peer7")

		mustRun(t, ns, map[string]string{"BOND_HOTPLUG_CONFIG": conf}, hotplugBin, "add", "veth7")

		assertConverged(t, ns, "veth0", "veth7")
	})

	t.Run("stopped stays stopped: an add event before bond-up (coldplug at boot) or after bond-down changes nothing, one after bond-up converges", func(t *testing.T) {
		t.Parallel()
		ns := newNS(t)
		mustVeth(t, ns, "veth0", "peer0", "lan1", "plan1")
		conf := writeConfig(t, ns, brConf)
		before := dump(t, ns)

		_, stderr := mustRun(t, ns, udevEnv("add", "lan1"), hotplugBin, "-c", conf)
		assertSameDump(t, "an add event before any bond-up", before, dump(t, ns))
		if !strings.Contains(stderr, "br0 is not up") {
			t.Errorf("the log does not say why nothing happened:\n%s", stderr)
		}
		if rec, _ := readUnits(t, ns); len(rec.Calls) != 0 {
			t.Errorf("an add event before bond-up started or stopped units: %q", rec.Calls)
		}

		mustRun(t, ns, nil, upBin, "-c", conf)
		mustRun(t, ns, nil, downBin, "-c", conf) // systemctl stop bond-up@br0
		afterDown := dump(t, ns)
		mustRun(t, ns, udevEnv("add", "lan1"), hotplugBin, "-c", conf)
		mustRun(t, ns, udevEnv("add", "veth0"), hotplugBin, "-c", conf)
		assertSameDump(t, "add events after bond-down", afterDown, dump(t, ns))

		mustRun(t, ns, nil, upBin, "-c", conf) // systemctl start bond-up@br0
		mustDel(t, ns, "lan1")
		mustVeth(t, ns, "lan1", "plan1")
		mustRun(t, ns, udevEnv("add", "lan1"), hotplugBin, "-c", conf)
		assertConverged(t, ns, "veth0", "lan1")
	})

	t.Run("an add event for a foreign device exits 0, prints nothing, and touches nothing, not even the lock or unit record", func(t *testing.T) {
		t.Parallel()
		ns := newNS(t)
		mustVeth(t, ns, "veth0", "peer0", "eth3", "eth3p")
		conf := writeConfig(t, ns, brConf)
		before := dump(t, ns)

		for _, env := range []map[string]string{udevEnv("add", "eth3"), udevEnv("add", "peer0"), udevEnv("remove", "eth3")} {
			start := time.Now()
			stdout, stderr, code := run(t, ns, env, hotplugBin, "-c", conf)
			took := time.Since(start)
			if code != 0 || stdout != "" || stderr != "" {
				t.Errorf("bond-hotplug ACTION=%s INTERFACE=%s: exit %d, stdout %q, stderr %q; want 0 and silence",
					env["ACTION"], env["INTERFACE"], code, stdout, stderr)
			}
			t.Logf("ignoring ACTION=%s INTERFACE=%s took %v", env["ACTION"], env["INTERFACE"], took)
		}

		assertSameDump(t, "a foreign add event", before, dump(t, ns))
		for _, p := range []string{ns.lockDir(), ns.unitsPath()} {
			if _, err := os.Stat(p); err == nil {
				t.Errorf("%s exists after events for foreign devices only", p)
			}
		}
	})

	t.Run("a remove event for a deleted slave exits 0 and leaves the master and other slaves alone", func(t *testing.T) {
		t.Parallel()
		ns := newNS(t)
		mustVeth(t, ns, "veth0", "peer0", "veth1", "peer1", "lan1", "plan1")
		conf := writeConfig(t, ns, brConf)
		mustRun(t, ns, nil, upBin, "-c", conf)
		mustDel(t, ns, "veth1")
		before := dump(t, ns)
		recBefore, _ := readUnits(t, ns)

		stdout, stderr, code := run(t, ns, udevEnv("remove", "veth1"), hotplugBin, "-c", conf)

		if code != 0 {
			t.Fatalf("bond-hotplug ACTION=remove INTERFACE=veth1: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
		}
		assertSameDump(t, "a remove event", before, dump(t, ns))
		assertConverged(t, ns, "veth0", "lan1")
		if recAfter, _ := readUnits(t, ns); !reflect.DeepEqual(recBefore, recAfter) {
			t.Errorf("a remove event for a slave without units changed the units:\nbefore %+v\nafter  %+v", recBefore.Calls, recAfter.Calls)
		}
	})

	t.Run("a remove event processed after the device came back leaves it enslaved", func(t *testing.T) {
		t.Parallel()
		ns := newNS(t)
		mustVeth(t, ns, "veth0", "peer0", "veth1", "peer1")
		conf := writeConfig(t, ns, brConf)
		mustRun(t, ns, nil, upBin, "-c", conf)
		mustDel(t, ns, "veth1")
		mustVeth(t, ns, "veth1", "peer1") // back, under the same name, not enslaved

		// udev would deliver remove then add; the remove arrives after the device is back.
		mustRun(t, ns, udevEnv("remove", "veth1"), hotplugBin, "-c", conf)

		assertConverged(t, ns, "veth0", "veth1")
		if out, _ := mustRun(t, ns, nil, upBin, "-n", "-c", conf); out != "br0: nothing to do\n" {
			t.Errorf("not converged after the late remove event; bond-up -n says:\n%s", out)
		}
	})

	t.Run("an add event for the master converges it when present and is a no-op when absent", func(t *testing.T) {
		t.Parallel()
		ns := newNS(t)
		mustVeth(t, ns, "veth0", "peer0")
		conf := writeConfig(t, ns, brConf+noDHCP)
		before := dump(t, ns)

		// A late event for a master that is gone again: nothing to build on.
		mustRun(t, ns, udevEnv("add", "br0"), hotplugBin, "-c", conf)
		assertSameDump(t, "an add event for an absent master", before, dump(t, ns))

		// bond-up ran; then someone deleted br0 and made it again by hand (as loading
		// the bonding module makes bond0): the master is up, hot-plug repairs it.
		mustRun(t, ns, nil, upBin, "-c", conf)
		mustDel(t, ns, "br0")
		ns.mu.Lock()
		err := ns.H.LinkAdd(&netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "br0"}})
		ns.mu.Unlock()
		if err != nil {
			t.Fatal(err)
		}
		mustRun(t, ns, udevEnv("add", "br0"), hotplugBin, "-c", conf)
		assertConverged(t, ns, "veth0")
	})

	t.Run("a lock file left behind by a finished run does not block the next one", func(t *testing.T) {
		t.Parallel()
		ns := newNS(t)
		mustVeth(t, ns, "veth0", "peer0")
		conf := writeConfig(t, ns, brConf+noDHCP)
		mustRun(t, ns, nil, upBin, "-c", conf)
		if _, err := os.Stat(filepath.Join(ns.lockDir(), "br0.lock")); err != nil {
			t.Fatalf("no lock file after a run: %v", err)
		}
		tryLock(t, ns, "br0")
		mustVeth(t, ns, "veth1", "peer1")
		start := time.Now()
		mustRun(t, ns, nil, hotplugBin, "-c", conf, "add", "veth1")
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("a run after a finished one took %v: waited for a stale lock?", took)
		}
		assertConverged(t, ns, "veth0", "veth1")
	})
}

// holdLock takes master's lock as another run would, and returns its release.
func holdLock(t *testing.T, ns *testNS, master string) (release func()) {
	t.Helper()
	if err := os.MkdirAll(ns.lockDir(), 0o700); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(ns.lockDir(), master+".lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	release = func() { once.Do(func() { f.Close() }) }
	t.Cleanup(release)
	return release
}

func TestLock(t *testing.T) {
	t.Parallel()
	t.Run("an add event waits for a run that holds the master's lock and then converges", func(t *testing.T) {
		t.Parallel()
		ns := newNS(t)
		mustVeth(t, ns, "veth0", "peer0")
		conf := writeConfig(t, ns, brConf+noDHCP)
		mustRun(t, ns, nil, upBin, "-c", conf)
		mustDel(t, ns, "veth0")
		mustVeth(t, ns, "veth0", "peer0")
		release := holdLock(t, ns, "br0")
		time.AfterFunc(700*time.Millisecond, release)

		start := time.Now()
		mustRun(t, ns, udevEnv("add", "veth0"), hotplugBin, "-c", conf)
		took := time.Since(start)

		if took < 600*time.Millisecond {
			t.Errorf("the run finished after %v, before the lock was released", took)
		}
		t.Logf("the run waited %v for a lock held 700 ms", took)
		assertConverged(t, ns, "veth0")
	})

	t.Run("an add event gives up on a lock held too long, exits 1 and changes nothing", func(t *testing.T) {
		t.Parallel()
		ns := newNS(t)
		mustVeth(t, ns, "veth0", "peer0")
		conf := writeConfig(t, ns, brConf+noDHCP)
		holdLock(t, ns, "br0")
		before := dump(t, ns)

		start := time.Now()
		env := udevEnv("add", "veth0")
		env["BOND_HOTPLUG_LOCK_TIMEOUT"] = "10s" // the default, 60 s, outlasts run's limit
		stdout, stderr, code := run(t, ns, env, hotplugBin, "-c", conf)
		took := time.Since(start)

		if code != 1 || !strings.Contains(stderr, "timed out waiting for the lock") {
			t.Errorf("exit %d (want 1), stderr should say it timed out waiting for the lock:\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
		}
		if took > 15*time.Second {
			t.Errorf("the run held udev up for %v", took)
		}
		t.Logf("the run gave up after %v", took)
		assertSameDump(t, "a run that timed out on the lock", before, dump(t, ns))
	})
}

func TestRenamedDevice(t *testing.T) {
	t.Parallel()
	t.Run("a move event for a device renamed to a configured name enslaves it", func(t *testing.T) {
		t.Parallel()
		ns := newNS(t)
		mustVeth(t, ns, "veth0", "peer0", "eth5", "eth5p")
		conf := writeConfig(t, ns, brConf+noDHCP)
		mustRun(t, ns, nil, upBin, "-c", conf)
		mustRun(t, ns, udevEnv("add", "eth5"), hotplugBin, "-c", conf) // not ours yet
		withLink(t, ns, "eth5", func(h *netlink.Handle, l netlink.Link) error { return h.LinkSetName(l, "veth5") })

		mustRun(t, ns, udevEnv("move", "veth5"), hotplugBin, "-c", conf)

		assertConverged(t, ns, "veth0", "veth5")
	})
}
