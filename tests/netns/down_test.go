// SPDX-License-Identifier: Apache-2.0

package netns_test

import (
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
)

func TestBondDown(t *testing.T) {
	t.Parallel()
	t.Run("tears down in order: DHCP units, routes, addresses, slaves (left up), master", func(t *testing.T) {
		t.Parallel()
		ns, conf := upBridge(t)
		before := dump(t, ns)

		_, stderr := mustRun(t, ns, nil, downBin, "-c", conf)

		lines := logLines(stderr, "bond-down", "br0")
		// stage is the position of each kind of step in the required order.
		stage := func(l string) int {
			switch {
			case strings.HasPrefix(l, "stop bond-dhcp"):
				return 0
			case strings.HasPrefix(l, "delete route "):
				return 1
			case strings.HasPrefix(l, "delete address "):
				return 2
			case strings.HasPrefix(l, "release "), strings.HasPrefix(l, "set ") && strings.HasSuffix(l, " up"):
				return 3
			case l == "delete br0":
				return 4
			}
			return -1
		}
		count := make([]int, 5)
		last := 0
		for _, l := range lines {
			s := stage(l)
			if s < 0 {
				t.Errorf("unexpected bond-down step %q", l)
				continue
			}
			if s < last {
				t.Errorf("step %q comes after a later kind of step; log:\n%s", l, strings.Join(lines, "\n"))
			}
			last = s
			count[s]++
		}
		// 2 DHCP units, 3 routes, 2 addresses, 3 slaves released and set up, 1 master.
		if want := []int{2, 3, 2, 6, 1}; !equalInts(count, want) {
			t.Errorf("steps per stage = %v, want %v; log:\n%s", count, want, strings.Join(lines, "\n"))
		}
		for _, u := range dhcpUnits {
			if want := "stop " + u + " and wait"; !contains(lines, want) {
				t.Errorf("bond-down did not %q; log:\n%s", want, strings.Join(lines, "\n"))
			}
		}
		rec, _ := readUnits(t, ns)
		for _, u := range dhcpUnits {
			if len(callsLike(rec, "stop "+u+" (wait)")) != 1 {
				t.Errorf("fake systemd was not asked to stop %s and wait; calls:\n%s", u, strings.Join(rec.Calls, "\n"))
			}
		}
		if len(rec.Units) != 0 {
			t.Errorf("units still recorded after bond-down: %v", rec.Units)
		}

		if ns.link(t, "br0") != nil {
			t.Errorf("br0 still exists after bond-down")
		}
		assertFree(t, ns, "veth0", "veth1", "lan1")
		after := dump(t, ns)
		for _, s := range strangers {
			if b, a := dumpOf(before, s), dumpOf(after, s); b != a {
				t.Errorf("bond-down touched %s:\nbefore: %s\nafter:  %s", s, b, a)
			}
		}
		if strings.Contains(after, "10.99.0.") || strings.Contains(after, "fd00:9") {
			t.Errorf("addresses or routes of br0 are left:\n%s", after)
		}

		stdout, stderr2 := mustRun(t, ns, nil, downBin, "-c", conf)
		if !strings.Contains(stdout+stderr2, "br0: nothing to do") {
			t.Errorf("a second bond-down does not say nothing to do:\nstdout:\n%s\nstderr:\n%s", stdout, stderr2)
		}
		assertSameDump(t, "a second bond-down", after, dump(t, ns))
	})

	t.Run("bond-down -n prints the teardown and changes nothing", func(t *testing.T) {
		t.Parallel()
		ns := newNS(t)
		mustVeth(t, ns, "veth0", "peer0")
		conf := writeConfig(t, ns, brConf)
		mustRun(t, ns, nil, upBin, "-c", conf)
		before := dump(t, ns)
		recBefore, _ := readUnits(t, ns)

		stdout, _ := mustRun(t, ns, nil, downBin, "-n", "-c", conf)

		for _, want := range []string{"br0: stop bond-dhcp4@br0.service and wait", "br0: release veth0 from br0", "br0: delete br0"} {
			if !strings.Contains(stdout, want) {
				t.Errorf("bond-down -n lacks %q:\n%s", want, stdout)
			}
		}
		assertSameDump(t, "bond-down -n", before, dump(t, ns))
		if recAfter, _ := readUnits(t, ns); len(recAfter.Calls) != len(recBefore.Calls) {
			t.Errorf("bond-down -n called systemd: %q", recAfter.Calls[len(recBefore.Calls):])
		}
	})

	t.Run("bond-down leaves the admin state of a port the config does not name alone", func(t *testing.T) {
		t.Parallel()
		ns := newNS(t)
		mustVeth(t, ns, "veth0", "peer0", "tap9", "tap9p")
		conf := writeConfig(t, ns, brConf+noDHCP)
		mustRun(t, ns, nil, upBin, "-c", conf)
		// Someone adds a port of their own, and keeps it down.
		withLink(t, ns, "tap9", func(h *netlink.Handle, l netlink.Link) error {
			br, err := h.LinkByName("br0")
			if err != nil {
				return err
			}
			return h.LinkSetMaster(l, br)
		})

		mustRun(t, ns, nil, downBin, "-c", conf)

		assertFree(t, ns, "veth0")
		if l := ns.link(t, "tap9"); l == nil || isUp(l) {
			t.Errorf("bond-down set tap9 up, a port the config does not name and that was down")
		}
	})

	t.Run("bond-up after bond-down builds the same state again", func(t *testing.T) {
		t.Parallel()
		ns, conf := upBridge(t)
		mustRun(t, ns, nil, downBin, "-c", conf)
		mustRun(t, ns, nil, upBin, "-c", conf)
		assertConverged(t, ns, "veth0", "veth1", "lan1")
		rec, _ := readUnits(t, ns)
		for _, u := range dhcpUnits {
			if _, ok := rec.Units[u]; !ok {
				t.Errorf("%s not running after bond-up, bond-down, bond-up", u)
			}
		}
	})
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
