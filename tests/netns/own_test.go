// SPDX-License-Identifier: Apache-2.0

package netns_test

// Ownership (issue 8): what the record of earlier runs names and the file no longer
// asks for is undone; what no record names is left alone.

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
)

// ownedRecord reads br0's record as the built binaries wrote it.
func ownedRecord(t *testing.T, ns *testNS, master string) (map[string]any, bool) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(ns.stateDir(), master+".json"))
	if os.IsNotExist(err) {
		return nil, false
	}
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("record of %s: %v\n%s", master, err, b)
	}
	return m, true
}

// addForeign adds what no run of ours made: an address on br0 by hand and eth9
// enslaved to br0 by hand.
func addForeign(t *testing.T, ns *testNS) {
	t.Helper()
	withLink(t, ns, "br0", func(h *netlink.Handle, l netlink.Link) error {
		a, err := netlink.ParseAddr("10.99.0.77/24")
		if err != nil {
			return err
		}
		return h.AddrAdd(l, a)
	})
	br := ns.mustLink(t, "br0")
	withLink(t, ns, "eth9", func(h *netlink.Handle, l netlink.Link) error {
		return h.LinkSetMasterByIndex(l, br.Attrs().Index)
	})
}

const brShrunk = `br0SLAVES='veth0 lan1'
br0ADDRS='10.99.0.2/24'
br0ROUTES='"10.98.0.0/16 via 10.99.0.1"'
`

func TestOwnership(t *testing.T) {
	t.Parallel()
	t.Run("a slave, an address and routes dropped from the file are undone on the next bond-up; a hand-added address and port stay", func(t *testing.T) {
		t.Parallel()
		ns, conf := upBridge(t)
		rec, ok := ownedRecord(t, ns, "br0")
		if !ok || rec["up"] != true || rec["created"] != true {
			t.Fatalf("record after bond-up = %v, want up and created", rec)
		}
		addForeign(t, ns)
		if err := os.WriteFile(conf, []byte(brShrunk), 0o644); err != nil {
			t.Fatal(err)
		}

		preview, _ := mustRun(t, ns, nil, upBin, "-n", "-c", conf)
		for _, want := range []string{"release veth1 from br0", "delete address fd00:99::2/64 from br0",
			`delete route "default via 10.99.0.254 metric 50" from br0`, `delete route "fd00:98::/48 via fd00:99::1" from br0`} {
			if !strings.Contains(preview, want) {
				t.Errorf("bond-up -n does not show %q:\n%s", want, preview)
			}
		}
		_, stderr := mustRun(t, ns, nil, upBin, "-c", conf)

		if got := portsOf(t, ns, "br0"); !slices.Equal(got, []string{"eth9", "lan1", "veth0"}) {
			t.Errorf("ports of br0 = %v, want eth9 (by hand), lan1, veth0", got)
		}
		assertFree(t, ns, "veth1")
		if got := addrsOf(t, ns, "br0"); !contains(got, "10.99.0.2/24") || !contains(got, "10.99.0.77/24") || contains(got, "fd00:99::2/64") {
			t.Errorf("br0 addresses = %v, want 10.99.0.2/24 and the hand-added 10.99.0.77/24, without fd00:99::2/64", got)
		}
		if got := routesOf(t, ns, "br0"); !slices.Equal(got, []string{"10.98.0.0/16 via 10.99.0.1 metric 0 table 254"}) {
			t.Errorf("br0 routes = %v, want only 10.98.0.0/16", got)
		}
		if out, _ := mustRun(t, ns, nil, upBin, "-n", "-c", conf); out != "br0: nothing to do\n" {
			t.Errorf("not converged after the removals:\n%s\nfirst run's log:\n%s", out, stderr)
		}
	})

	t.Run("a slave dropped from the file loses its supplicant, then is released", func(t *testing.T) {
		t.Parallel()
		ns := newNS(t)
		mustVeth(t, ns, "veth0", "peer0", "veth1", "peer1")
		conf := writeConfig(t, ns, brConf+noDHCP+"veth1SUPPLICANT=yes\n")
		mustRun(t, ns, nil, upBin, "-c", conf)
		if err := os.WriteFile(conf, []byte("br0SLAVES='veth0'\n"+noDHCP+"veth1SUPPLICANT=yes\n"), 0o644); err != nil {
			t.Fatal(err)
		}

		mustRun(t, ns, nil, upBin, "-c", conf)

		assertFree(t, ns, "veth1")
		rec, _ := readUnits(t, ns)
		if _, ok := rec.Units["bond-wpa@veth1.service"]; ok {
			t.Errorf("bond-wpa@veth1.service still runs after veth1 left the file; calls %q", rec.Calls)
		}
		if n := len(callsLike(rec, "stop bond-wpa@veth1.service")); n != 1 {
			t.Errorf("bond-wpa@veth1.service stopped %d times, want once; calls %q", n, rec.Calls)
		}
	})

	t.Run("a unit whose command line changed in the file is restarted with the new one, once", func(t *testing.T) {
		t.Parallel()
		ns := newNS(t)
		mustVeth(t, ns, "veth0", "peer0")
		conf := writeConfig(t, ns, brConf+"veth0SUPPLICANT=yes\n")
		mustRun(t, ns, nil, upBin, "-c", conf)
		edited := brConf + "br0DHCP6_CLIENT=dhclient\nveth0SUPPLICANT=yes\nveth0SUPPLICANT_CONF=/etc/wpa/other.conf\n"
		if err := os.WriteFile(conf, []byte(edited), 0o644); err != nil {
			t.Fatal(err)
		}

		mustRun(t, ns, nil, upBin, "-c", conf)
		if out, _ := mustRun(t, ns, nil, upBin, "-n", "-c", conf); out != "br0: nothing to do\n" {
			t.Errorf("not converged after the restarts:\n%s", out)
		}

		rec, _ := readUnits(t, ns)
		wpa := rec.Units["bond-wpa@veth0.service"]
		if !contains(wpa.ExecStart, "-c/etc/wpa/other.conf") {
			t.Errorf("bond-wpa@veth0.service runs %q, want -c/etc/wpa/other.conf", wpa.ExecStart)
		}
		v6 := rec.Units["bond-dhcp6@br0.service"]
		if !contains(v6.ExecStart, "-6") || !strings.HasSuffix(v6.ExecStart[4], "dhclient") {
			t.Errorf("bond-dhcp6@br0.service runs %q, want dhclient -6", v6.ExecStart)
		}
		for _, u := range []string{"bond-wpa@veth0.service", "bond-dhcp6@br0.service"} {
			if n := len(callsLike(rec, "stop "+u+" (wait)")); n != 1 {
				t.Errorf("%s stopped %d times, want once; calls %q", u, n, rec.Calls)
			}
			if n := len(callsLike(rec, "start "+u+":")); n != 2 {
				t.Errorf("%s started %d times, want twice (old, new); calls %q", u, n, rec.Calls)
			}
		}
		if n := len(callsLike(rec, "stop bond-dhcp4@br0.service")); n != 0 {
			t.Errorf("bond-dhcp4@br0.service was stopped although its command line did not change; calls %q", rec.Calls)
		}
	})

	t.Run("a renamed master: bond-up builds the new one and leaves the old; bond-down OLD tears the old down in order, then bond-up NEW takes the ports", func(t *testing.T) {
		t.Parallel()
		ns, conf := upBridge(t)
		renamed := strings.ReplaceAll(brConf, "br0", "br1")
		if err := os.WriteFile(conf, []byte(renamed), 0o644); err != nil {
			t.Fatal(err)
		}

		_, stderr := mustRun(t, ns, nil, upBin, "-c", conf)
		if !strings.Contains(stderr, "br0: no longer in") {
			t.Errorf("bond-up does not say br0 is no longer configured:\n%s", stderr)
		}
		assertPorts(t, ns, "br0", "veth0", "veth1", "lan1")
		if got := portsOf(t, ns, "br1"); len(got) != 0 {
			t.Errorf("br1 took ports %v from br0 (they stay until bond-down br0)", got)
		}

		_, stderr = mustRun(t, ns, nil, downBin, "-c", conf, "br0")
		if ns.link(t, "br0") != nil {
			t.Errorf("br0 still exists after bond-down br0:\n%s", stderr)
		}
		assertFree(t, ns, "veth0", "veth1", "lan1")
		rec, _ := readUnits(t, ns)
		for _, u := range []string{"bond-dhcp4@br0.service", "bond-dhcp6@br0.service"} {
			if _, ok := rec.Units[u]; ok {
				t.Errorf("%s still runs after bond-down br0", u)
			}
		}
		if rec, ok := ownedRecord(t, ns, "br0"); !ok || rec["up"] != false || rec["created"] != false || len(rec) != 4 {
			t.Errorf("br0's record after bond-down br0 = %v, want an empty one, down (master, kind, up, created)", rec)
		}
		lines := logLines(stderr, "bond-down", "br0")
		if i, j := firstIndex(lines, "stop bond-dhcp4"), firstIndex(lines, "delete br0"); i < 0 || j < i {
			t.Errorf("bond-down br0 did not stop DHCP before deleting br0:\n%s", stderr)
		}

		mustRun(t, ns, nil, upBin, "-c", conf, "br1")
		assertPorts(t, ns, "br1", "veth0", "veth1", "lan1")

		// As ExecStop of bond-up@br0.service does at shutdown: nothing left to do.
		if out, _ := mustRun(t, ns, nil, downBin, "-c", conf, "br0"); out != "br0: nothing to do\n" {
			t.Errorf("bond-down br0 a second time says %q, want nothing to do", out)
		}
		assertPorts(t, ns, "br1", "veth0", "veth1", "lan1")
	})

	t.Run("bond-down without arguments also tears down a master only a record names", func(t *testing.T) {
		t.Parallel()
		ns, conf := upBridge(t)
		if err := os.WriteFile(conf, []byte("br1SLAVES='eth9'\n"+strings.ReplaceAll(noDHCP, "br0", "br1")), 0o644); err != nil {
			t.Fatal(err)
		}
		mustRun(t, ns, nil, upBin, "-c", conf)

		mustRun(t, ns, nil, downBin, "-c", conf)

		for _, m := range []string{"br0", "br1"} {
			if ns.link(t, m) != nil {
				t.Errorf("%s still exists after bond-down", m)
			}
		}
	})

	t.Run("bond-down of an unconfigured bridge made by hand exits 2 and changes nothing", func(t *testing.T) {
		t.Parallel()
		ns, conf := upBridge(t)
		ns.mu.Lock()
		err := ns.H.LinkAdd(&netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "br7"}})
		ns.mu.Unlock()
		if err != nil {
			t.Fatal(err)
		}
		before := dump(t, ns)
		_, stderr, code := run(t, ns, nil, downBin, "-c", conf, "br7")
		if code != 2 || !strings.Contains(stderr, `"br7": not a master`) {
			t.Errorf("bond-down br7: exit %d, want 2 naming br7\n%s", code, stderr)
		}
		assertSameDump(t, "bond-down of a bridge made by hand", before, dump(t, ns))
	})
}

func firstIndex(lines []string, sub string) int {
	for i, l := range lines {
		if strings.Contains(l, sub) {
			return i
		}
	}
	return -1
}
