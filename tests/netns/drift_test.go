// SPDX-License-Identifier: Apache-2.0

package netns_test

import (
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
)

func TestBondUpRepairsDrift(t *testing.T) {
	t.Parallel()
	t.Run("bond-up puts back a released slave, a downed slave, a deleted address and a deleted route", func(t *testing.T) {
		t.Parallel()
		ns, conf := upBridge(t)
		converged := dump(t, ns)

		withLink(t, ns, "veth1", func(h *netlink.Handle, l netlink.Link) error { return h.LinkSetNoMaster(l) })
		withLink(t, ns, "lan1", func(h *netlink.Handle, l netlink.Link) error { return h.LinkSetDown(l) })
		withLink(t, ns, "br0", func(h *netlink.Handle, l netlink.Link) error {
			a, err := netlink.ParseAddr("10.99.0.2/24") // takes its subnet route along
			if err != nil {
				return err
			}
			return h.AddrDel(l, a)
		})
		out, _ := mustRun(t, ns, nil, upBin, "-n", "-c", conf)
		for _, want := range []string{"enslave veth1 to br0", "set lan1 up", "add address 10.99.0.2/24 to br0",
			`add route "10.98.0.0/16 via 10.99.0.1" on br0`} {
			if !strings.Contains(out, want) {
				t.Errorf("bond-up -n after drift lacks %q:\n%s", want, out)
			}
		}

		mustRun(t, ns, nil, upBin, "-c", conf)

		assertConverged(t, ns, "veth0", "veth1", "lan1")
		assertSameDump(t, "drift and repair", converged, dump(t, ns))
	})

	t.Run("bond-up brings a master that was set down back with its IPv6 addresses and routes", func(t *testing.T) {
		t.Parallel()
		ns := newNS(t)
		mustVeth(t, ns, "veth0", "peer0")
		conf := writeConfig(t, ns, brConf+noDHCP)
		mustRun(t, ns, nil, upBin, "-c", conf)
		// Down drops the IPv6 addresses and every gateway route through br0.
		withLink(t, ns, "br0", func(h *netlink.Handle, l netlink.Link) error { return h.LinkSetDown(l) })

		mustRun(t, ns, nil, upBin, "-c", conf)

		assertConverged(t, ns, "veth0")
		if out, _ := mustRun(t, ns, nil, upBin, "-n", "-c", conf); out != "br0: nothing to do\n" {
			t.Errorf("not converged after repair:\n%s", out)
		}
	})

	t.Run("a configured slave enslaved to another master is left there with a note", func(t *testing.T) {
		t.Parallel()
		ns := newNS(t)
		mustVeth(t, ns, "veth0", "peer0", "veth1", "peer1")
		ns.mu.Lock()
		err := ns.H.LinkAdd(&netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "sw0"}})
		ns.mu.Unlock()
		if err != nil {
			t.Fatal(err)
		}
		withLink(t, ns, "veth1", func(h *netlink.Handle, l netlink.Link) error {
			sw, err := h.LinkByName("sw0")
			if err != nil {
				return err
			}
			return h.LinkSetMaster(l, sw)
		})
		conf := writeConfig(t, ns, brConf+noDHCP)

		_, stderr := mustRun(t, ns, nil, upBin, "-c", conf)

		assertConverged(t, ns, "veth0")
		if got := portsOf(t, ns, "sw0"); len(got) != 1 || got[0] != "veth1" {
			t.Errorf("ports of sw0 = %v, want [veth1]", got)
		}
		if !strings.Contains(stderr, "veth1 is enslaved to sw0") {
			t.Errorf("bond-up does not say why veth1 was left alone:\n%s", stderr)
		}
	})
}
