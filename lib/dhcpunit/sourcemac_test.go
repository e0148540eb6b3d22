// SPDX-License-Identifier: Apache-2.0

package dhcpunit

import (
	"testing"

	"github.com/vishvananda/netlink"
)

// The router probe leaves from the new active slave's own MAC, not the master's: with
// fail_over_mac=active the kernel announces the new active slave before it gives the
// bond that slave's MAC, and an access point drops a frame from any MAC but its
// station's (soak 20261207-151956). Real links in a throw-away namespace: a bridge
// stands in for the bond (no bonding driver on the test host), its ports for slaves.
func TestTheRouterProbeLeavesFromTheActiveSlavesMAC(t *testing.T) {
	laptop, _, _, _, ip, _ := bridgeNets(t)
	ip("-n", laptop, "link", "set", "br0", "address", "02:00:00:00:00:bb")
	ip("-n", laptop, "link", "set", "v0", "address", "02:00:00:00:00:aa")
	inNS(t, laptop, func(h *netlink.Handle) {
		e := &Env{Handle: h}
		br, err := h.LinkByName("br0")
		if err != nil {
			t.Fatal(err)
		}
		index := func(name string) int {
			l, err := h.LinkByName(name)
			if err != nil {
				t.Fatal(err)
			}
			return l.Attrs().Index
		}
		for _, tc := range []struct {
			what string
			to   path
			want string
		}{
			{"the active slave", path{slave: "v0", index: index("v0")}, "02:00:00:00:00:aa"},
			{"no slave index known", path{slave: "v0"}, "02:00:00:00:00:bb"},
			{"a link that is no slave of the master", path{slave: "d1", index: index("d1")}, "02:00:00:00:00:bb"},
			{"a slave gone", path{slave: "x", index: 99999}, "02:00:00:00:00:bb"},
		} {
			if got := e.sourceMAC(br, tc.to).String(); got != tc.want {
				t.Errorf("%s: source MAC %s, want %s", tc.what, got, tc.want)
			}
		}
		// And the router answers a probe from it, through the master's socket.
		g, ok := readGateway(h, "br0", nil)
		if !ok {
			t.Fatal("readGateway: no router")
		}
		same, err := sameGateway(br.Attrs().Index, e.sourceMAC(br, path{slave: "v0", index: index("v0")}), g, gatewayBound)
		if err != nil || !same {
			t.Fatalf("a probe from the slave's MAC: same %v, %v; want the router's answer", same, err)
		}
	})
}
