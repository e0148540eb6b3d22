// SPDX-License-Identifier: Apache-2.0

package netns_test

import (
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// event is one bond-hotplug run as udev starts it.
type event struct {
	action, ifname string
}

type outcome struct {
	ev             event
	stdout, stderr string
	code           int
}

// fire starts every event at once (each after its device change, if any) and returns
// the outcomes. change, when not nil, is called for each event first, in the event's
// own goroutine: devices come and go while other runs are in progress.
func fire(t *testing.T, ns *testNS, conf string, evs []event, change func(event) error) []outcome {
	t.Helper()
	out := make([]outcome, len(evs))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, ev := range evs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if change != nil {
				if err := change(ev); err != nil {
					t.Errorf("%v", err)
				}
			}
			env := udevEnv(ev.action, ev.ifname)
			env["BOND_HOTPLUG_CONFIG"] = conf
			o, e, c := run(t, ns, env, hotplugBin)
			out[i] = outcome{ev, o, e, c}
		}()
	}
	close(start)
	wg.Wait()
	return out
}

func assertAllOK(t *testing.T, outs []outcome) {
	t.Helper()
	for _, o := range outs {
		if o.code != 0 {
			t.Errorf("bond-hotplug ACTION=%s INTERFACE=%s: exit %d\nstdout:\n%s\nstderr:\n%s",
				o.ev.action, o.ev.ifname, o.code, o.stdout, o.stderr)
		}
	}
}

// assertState checks that br0 holds exactly the veth* present, the config's addresses
// and routes, one start of each DHCP unit, no held lock, and that bond-up agrees that
// nothing is left to do.
func assertState(t *testing.T, ns *testNS, conf, when string) {
	t.Helper()
	var want []string
	for _, n := range ns.linkNames(t) {
		if strings.HasPrefix(n, "veth") {
			want = append(want, n)
		}
	}
	assertConverged(t, ns, want...)
	assertDHCPUnits(t, ns)
	tryLock(t, ns, "br0")
	entries, err := os.ReadDir(ns.lockDir())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !reflect.DeepEqual(names, []string{"br0.lock"}) {
		t.Errorf("%s: lock directory holds %v, want [br0.lock]", when, names)
	}
	// tryLock above proved the lock free; no wall-clock bound here (a loaded machine
	// is not a failure, and -n takes no lock since issue 11).
	stdout, stderr := mustRun(t, ns, nil, upBin, "-n", "-c", conf)
	if stdout != "br0: nothing to do\n" {
		t.Errorf("%s: not converged, bond-up -n says:\n%s%s", when, stdout, stderr)
	}
}

func TestConcurrentHotplug(t *testing.T) {
	t.Parallel()
	t.Run("64 simultaneous add events for 32 veths converge, then 20 rounds of 64 interleaved removals and additions do too", func(t *testing.T) {
		t.Parallel()
		ns := newNS(t)
		conf := writeConfig(t, ns, brConf)
		// bond-up@br0 has run (with no port yet): hot-plug maintains br0 from now on.
		mustRun(t, ns, nil, upBin, "-c", conf)
		const n = 32
		var evs []event
		for i := 0; i < n; i++ {
			mustVeth(t, ns, fmt.Sprintf("veth%d", i), fmt.Sprintf("p%d", i))
			evs = append(evs, event{"add", fmt.Sprintf("veth%d", i)})
		}
		evs = append(evs, evs...) // udev may deliver an add twice (coldplug + hotplug)

		start := time.Now()
		outs := fire(t, ns, conf, evs, nil)
		t.Logf("64 concurrent bond-hotplug runs took %v", time.Since(start))
		assertAllOK(t, outs)
		if got := len(portsOf(t, ns, "br0")); got != n {
			t.Errorf("%d ports on br0 after the burst, want %d", got, n)
		}
		assertState(t, ns, conf, "after the first burst")
		if t.Failed() {
			return
		}

		present := make([]string, 0, n)
		for i := 0; i < n; i++ {
			present = append(present, fmt.Sprintf("veth%d", i))
		}
		next := n
		for round := 1; round <= 20; round++ {
			sort.Strings(present)
			gone, keep := present[:n/2], present[n/2:]
			var evs []event
			for _, name := range gone {
				evs = append(evs, event{"remove", name})
			}
			// Devices that stay are announced again (a change or a late event):
			// 16 removes + 16 re-adds + 2 x 16 adds = 64 processes a round.
			for _, name := range keep {
				evs = append(evs, event{"add", name})
			}
			var added []string
			for i := 0; i < n/2; i++ {
				name := fmt.Sprintf("veth%d", next)
				next++
				added = append(added, name)
				evs = append(evs, event{"add", name}, event{"add", name})
			}
			created := map[string]*sync.Once{}
			for _, a := range added {
				created[a] = new(sync.Once)
			}
			change := func(ev event) error {
				var err error
				switch ev.action {
				case "remove":
					err = ns.delLink(ev.ifname)
				case "add":
					once := created[ev.ifname]
					if once == nil {
						return nil // a device that stays: nothing to create
					}
					once.Do(func() {
						err = ns.addVeth(ev.ifname, "p"+strings.TrimPrefix(ev.ifname, "veth"))
					})
				}
				return err
			}

			start := time.Now()
			outs := fire(t, ns, conf, evs, change)
			t.Logf("round %d: %d concurrent runs with %d deletions and %d creations took %v",
				round, len(evs), len(gone), len(added), time.Since(start))
			assertAllOK(t, outs)
			present = append(append([]string(nil), keep...), added...)
			for _, g := range gone {
				if ns.link(t, g) != nil {
					t.Errorf("round %d: %s still exists", round, g)
				}
			}
			// The second add of a device may run before its creation: the first one, or
			// a neighbour's run, enslaves it. Every present one must be enslaved now.
			if got, want := portsOf(t, ns, "br0"), sorted(present); !reflect.DeepEqual(got, want) {
				t.Errorf("round %d: ports of br0 = %v, want %v", round, got, want)
			}
			assertState(t, ns, conf, fmt.Sprintf("after round %d", round))
			if t.Failed() {
				return
			}
		}
	})
}
