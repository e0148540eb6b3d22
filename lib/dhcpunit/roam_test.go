// SPDX-License-Identifier: Apache-2.0

package dhcpunit

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"
)

// fakeSys writes the sysfs files currentPath reads: the bond's active slave, the
// slaves' operstate and carrier_changes.
type fakeSys struct {
	t    *testing.T
	root string
}

func (f fakeSys) write(rel, v string) {
	f.t.Helper()
	p := filepath.Join(f.root, "class/net", rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(v+"\n"), 0o644); err != nil {
		f.t.Fatal(err)
	}
}

func (f fakeSys) slave(name, oper, changes string) {
	f.write(name+"/operstate", oper)
	f.write(name+"/carrier_changes", changes)
	if _, err := os.Stat(filepath.Join(f.root, "class/net", name, "ifindex")); err != nil {
		f.write(name+"/ifindex", map[string]string{"eth0": "3", "wlan0": "5"}[name])
	}
}

func TestPathWatchMoves(t *testing.T) {
	f := fakeSys{t, t.TempDir()}
	f.write("bond0/bonding/active_slave", "eth0")
	f.slave("eth0", "up", "1")
	f.slave("wlan0", "up", "2")
	w := &pathWatch{sys: f.root, master: "bond0"}
	if _, _, ok := w.moved(); ok {
		t.Fatal("the first path is the client's own, not a move")
	}
	if _, _, ok := w.moved(); ok {
		t.Fatal("the same path read again is no move")
	}
	// Cable out: Wi-Fi active (the failover at home, or onto the café's Wi-Fi).
	f.write("bond0/bonding/active_slave", "wlan0")
	from, to, ok := w.moved()
	if !ok || from != (path{"eth0", 3, 1}) || to != (path{"wlan0", 5, 2}) {
		t.Fatalf("cable out: moved %v from %v to %v", ok, from, to)
	}
	// Wi-Fi leaves the home AP: no active slave: nothing to verify yet, nor when it
	// is associated but dormant (no keys yet: a request would be lost).
	f.write("bond0/bonding/active_slave", "")
	if _, _, ok := w.moved(); ok {
		t.Fatal("no active slave: no path")
	}
	f.write("bond0/bonding/active_slave", "wlan0")
	f.slave("wlan0", "dormant", "3")
	if _, _, ok := w.moved(); ok {
		t.Fatal("a dormant slave carries no traffic yet")
	}
	// Associated to the café with its keys: the same slave, another association.
	f.slave("wlan0", "up", "3")
	from, to, ok = w.moved()
	if !ok || from != (path{"wlan0", 5, 2}) || to != (path{"wlan0", 5, 3}) {
		t.Fatalf("re-association: moved %v from %v to %v", ok, from, to)
	}
	if _, _, ok := w.moved(); ok {
		t.Fatal("reported twice")
	}
	// The card's driver reloaded (a resume): the same name, a new device whose
	// count happens to match the old one's; it may be anywhere now.
	f.write("wlan0/ifindex", "9")
	from, to, ok = w.moved()
	if !ok || from != (path{"wlan0", 5, 3}) || to != (path{"wlan0", 9, 3}) {
		t.Fatalf("card back: moved %v from %v to %v", ok, from, to)
	}
}

func TestPathNotABond(t *testing.T) {
	f := fakeSys{t, t.TempDir()}
	f.write("br0/bridge/stp_state", "0")
	w := &pathWatch{sys: f.root, master: "br0"}
	w.moved()
	if p, ok := currentPath(f.root, "br0"); ok {
		t.Fatalf("a bridge has no path, got %v", p)
	}
	f.write("bond0/bonding/active_slave", "eth0") // eth0's files absent (pulled)
	if p, ok := currentPath(f.root, "bond0"); ok {
		t.Fatalf("an active slave that is gone is no path, got %v", p)
	}
}

func TestVerifyModes(t *testing.T) {
	for prog, want := range map[string]verifyMode{
		"/usr/sbin/dhclient": verifyRestart,
		"/usr/sbin/dhcpcd":   verifyRestart,
		"/sbin/dhcp6c":       verifyByIPv4,
		"/usr/bin/udhcpc":    verifyNone,
	} {
		if got := verifyModeFor(prog); got != want {
			t.Errorf("%s: mode %d, want %d", prog, got, want)
		}
	}
}

func TestElsewhere(t *testing.T) {
	before := leaseSubnets([]addrInfo{
		{netip.MustParsePrefix("10.77.0.123/24"), true},
		{netip.MustParsePrefix("192.168.77.2/24"), false}, // static: not a lease
		{netip.MustParsePrefix("fd77::123/128"), true},    // not IPv4
	})
	if len(before) != 1 || before[0] != netip.MustParsePrefix("10.77.0.0/24") {
		t.Fatalf("lease subnets %v", before)
	}
	if elsewhere(netip.MustParsePrefix("10.77.0.150/24"), before) {
		t.Error("another address of home's subnet is home")
	}
	if !elsewhere(netip.MustParsePrefix("10.66.0.150/24"), before) {
		t.Error("the café's lease is elsewhere")
	}
	if !elsewhere(netip.MustParsePrefix("192.168.77.9/24"), before) {
		t.Error("a lease in the static address's subnet is still another network than the lease's")
	}
}

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }
