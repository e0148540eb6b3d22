// SPDX-License-Identifier: Apache-2.0

package netns_test

import (
	"reflect"
	"testing"

	"github.com/bond-hotplug/bond-hotplug/lib/netdev"
	"github.com/vishvananda/netlink"
)

// A run's reader answers the master's addresses and its routes from its one dump
// (netdev.Reader.Reuse, issue 20); the answers must be the ones a request per link
// gives, on the real kernel: a master with two ports, static and link-local
// addresses, a route, another link with an address of its own. (No bonding driver
// here: the VM lab reads bonds through the same reader in every scenario.)
func TestReadsFromTheRunsDumpAreTheKernelsAnswers(t *testing.T) {
	t.Parallel()
	ns := newNS(t)
	mustVeth(t, ns, "veth0", "peer0", "veth1", "peer1", "other0", "peero")
	conf := writeConfig(t, ns, "br0SLAVES='veth0 veth1'\n"+
		"br0ADDRS='10.99.0.2/24 fd00:99::2/64'\nbr0ROUTES='\"10.98.0.0/16 via 10.99.0.1\"'\n"+noDHCP)
	mustRun(t, ns, nil, upBin, "-c", conf)
	addr, err := netlink.ParseAddr("10.55.0.1/24")
	if err != nil {
		t.Fatal(err)
	}
	if err := ns.H.AddrAdd(ns.mustLink(t, "other0"), addr); err != nil {
		t.Fatal(err)
	}
	read := func(reuse bool) (netdev.Snapshot, []netdev.Addr, []netdev.Route) {
		ns.mu.Lock()
		defer ns.mu.Unlock()
		r := &netdev.Reader{H: ns.H, Reuse: reuse}
		s, err := r.Links()
		if err != nil {
			t.Fatal(err)
		}
		a, err := r.Addrs("br0")
		if err != nil {
			t.Fatal(err)
		}
		rt, err := r.Routes("br0")
		if err != nil {
			t.Fatal(err)
		}
		return s, a, rt
	}
	s1, a1, r1 := read(false)
	s2, a2, r2 := read(true)
	if !reflect.DeepEqual(s1, s2) || !reflect.DeepEqual(a1, a2) || !reflect.DeepEqual(r1, r2) {
		t.Errorf("asked per link:\n%+v\n%+v\n%+v\nfrom the dump:\n%+v\n%+v\n%+v", s1, a1, r1, s2, a2, r2)
	}
	if len(a2) < 2 || len(r2) == 0 {
		t.Errorf("br0 read from the dump: addresses %v, routes %v; want the two addresses and the route", a2, r2)
	}
}
