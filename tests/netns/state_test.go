// SPDX-License-Identifier: Apache-2.0

package netns_test

// Assertions on the state the binaries leave: links through netlink, the fake
// systemd's record, the log, the lock.

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/bond-hotplug/bond-hotplug/lib/units"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

func isUp(l netlink.Link) bool { return l.Attrs().Flags&net.FlagUp != 0 }

// assertMaster checks that name is an up link of the given kind.
func assertMaster(t *testing.T, ns *testNS, name, kind string) netlink.Link {
	t.Helper()
	m := ns.mustLink(t, name)
	if m.Type() != kind {
		t.Errorf("%s is a %s, want a %s", name, m.Type(), kind)
	}
	if !isUp(m) {
		t.Errorf("%s is down, want up", name)
	}
	return m
}

// assertPorts checks that every name is enslaved to master and up.
func assertPorts(t *testing.T, ns *testNS, master string, names ...string) {
	t.Helper()
	m := ns.link(t, master)
	if m == nil {
		t.Fatalf("master %s does not exist", master)
	}
	for _, n := range names {
		l := ns.link(t, n)
		switch {
		case l == nil:
			t.Errorf("%s does not exist, want it enslaved to %s", n, master)
		case l.Attrs().MasterIndex != m.Attrs().Index:
			t.Errorf("%s has master index %d, want %s (%d)", n, l.Attrs().MasterIndex, master, m.Attrs().Index)
		case !isUp(l):
			t.Errorf("%s is enslaved to %s but down, want up", n, master)
		}
	}
}

// assertFree checks that every name exists, has no master and is up.
func assertFree(t *testing.T, ns *testNS, names ...string) {
	t.Helper()
	for _, n := range names {
		l := ns.link(t, n)
		switch {
		case l == nil:
			t.Errorf("%s does not exist", n)
		case l.Attrs().MasterIndex != 0:
			t.Errorf("%s still has master index %d, want none", n, l.Attrs().MasterIndex)
		case !isUp(l):
			t.Errorf("%s is down, want it left up", n)
		}
	}
}

// portsOf lists the names of the links enslaved to master, sorted.
func portsOf(t *testing.T, ns *testNS, master string) []string {
	t.Helper()
	m := ns.link(t, master)
	if m == nil {
		return nil
	}
	ns.mu.Lock()
	defer ns.mu.Unlock()
	ls, err := ns.H.LinkList()
	if err != nil {
		t.Fatalf("list links: %v", err)
	}
	var out []string
	for _, l := range ls {
		if l.Attrs().MasterIndex == m.Attrs().Index {
			out = append(out, l.Attrs().Name)
		}
	}
	sort.Strings(out)
	return out
}

// addrsOf lists the addresses of a link as prefixes.
func addrsOf(t *testing.T, ns *testNS, name string) []string {
	t.Helper()
	l := ns.mustLink(t, name)
	ns.mu.Lock()
	defer ns.mu.Unlock()
	as, err := ns.H.AddrList(l, netlink.FAMILY_ALL)
	if err != nil {
		t.Fatalf("addresses of %s: %v", name, err)
	}
	var out []string
	for _, a := range as {
		out = append(out, a.IPNet.String())
	}
	sort.Strings(out)
	return out
}

// routesOf lists the gateway routes through a link, in every table, as
// "DST via GW metric N table T".
func routesOf(t *testing.T, ns *testNS, name string) []string {
	t.Helper()
	l := ns.mustLink(t, name)
	ns.mu.Lock()
	defer ns.mu.Unlock()
	filter := &netlink.Route{LinkIndex: l.Attrs().Index, Table: unix.RT_TABLE_UNSPEC}
	rs, err := ns.H.RouteListFiltered(netlink.FAMILY_ALL, filter, netlink.RT_FILTER_OIF|netlink.RT_FILTER_TABLE)
	if err != nil {
		t.Fatalf("routes of %s: %v", name, err)
	}
	var out []string
	for _, r := range rs {
		if r.Gw == nil {
			continue
		}
		dst := "default"
		if r.Dst != nil {
			if ones, _ := r.Dst.Mask.Size(); ones > 0 {
				dst = r.Dst.String()
			}
		}
		out = append(out, fmt.Sprintf("%s via %s metric %d table %d", dst, r.Gw, r.Priority, r.Table))
	}
	sort.Strings(out)
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// unitRecord is the fake systemd's file (see lib/units/filefake.go).
type unitRecord struct {
	Units map[string]units.Spec `json:"units"`
	Calls []string              `json:"calls"`
}

// readUnits reads the unit record without creating it; exists is false when no run
// has touched it.
func readUnits(t *testing.T, ns *testNS) (rec unitRecord, exists bool) {
	t.Helper()
	b, err := os.ReadFile(ns.unitsPath())
	if errors.Is(err, os.ErrNotExist) {
		return rec, false
	}
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 0 {
		if err := json.Unmarshal(b, &rec); err != nil {
			t.Fatalf("unit record %s: %v\n%s", ns.unitsPath(), err, b)
		}
	}
	return rec, true
}

// callsLike returns the recorded calls that start with prefix.
func callsLike(rec unitRecord, prefix string) []string {
	var out []string
	for _, c := range rec.Calls {
		if strings.HasPrefix(c, prefix) {
			out = append(out, c)
		}
	}
	return out
}

// logLines returns the log lines of stderr that are about master, without the
// "bond-x: master: " prefix.
func logLines(stderr, id, master string) []string {
	var out []string
	prefix := id + ": " + master + ": "
	for _, l := range strings.Split(stderr, "\n") {
		if s, ok := strings.CutPrefix(l, prefix); ok {
			out = append(out, s)
		}
	}
	return out
}

// tryLock takes and drops the master's lock without waiting: it proves no run holds it.
func tryLock(t *testing.T, ns *testNS, master string) {
	t.Helper()
	p := filepath.Join(ns.lockDir(), master+".lock")
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		t.Fatalf("open lock %s: %v", p, err)
	}
	defer f.Close()
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		t.Fatalf("lock %s is still held after every run ended: %v", p, err)
	}
	_ = unix.Flock(int(f.Fd()), unix.LOCK_UN)
}
