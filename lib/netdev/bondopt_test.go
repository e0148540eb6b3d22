// SPDX-License-Identifier: Apache-2.0

package netdev

import (
	"reflect"
	"testing"

	"github.com/bond-hotplug/bond-hotplug/lib/config"
	"github.com/vishvananda/netlink"
)

// Each option of the table changes that option, and only it: on the Fake's bond, and
// in the netlink request Writer sends (a field left at netlink's "unset" is not sent).
func TestEachBondOptionSetsItselfOnly(t *testing.T) {
	from := config.BondOptions{Mode: "active-backup", Miimon: 100, FailOverMAC: "active", PrimaryReselect: "always"}
	to := config.BondOptions{Mode: "balance-alb", Miimon: 250, FailOverMAC: "follow", PrimaryReselect: "failure", Updelay: 400, Downdelay: 300}
	names := map[string]bool{}
	for _, opt := range BondOpts {
		t.Run(opt.String(), func(t *testing.T) {
			if names[opt.String()] {
				t.Fatalf("two options named %s", opt)
			}
			names[opt.String()] = true
			f := NewFake()
			if err := f.CreateBond("bond0", from); err != nil {
				t.Fatal(err)
			}
			if err := f.SetBondOption("bond0", opt, to); err != nil {
				t.Fatal(err)
			}
			got := f.BondOf["bond0"].Options()
			for _, other := range BondOpts {
				want := from
				if other == opt {
					want = to
				}
				if g, w := other.Of(got), other.Of(want); g != w {
					t.Errorf("after setting %s: %s is %q, want %q", opt, other, g, w)
				}
			}
			request := func(o BondOpt) *netlink.Bond {
				b := netlink.NewLinkBond(netlink.LinkAttrs{Name: "bond0"})
				b.LinkAttrs = netlink.LinkAttrs{}
				bondOpts[o].netlink(b, to)
				return b
			}
			unset := netlink.NewLinkBond(netlink.LinkAttrs{})
			if reflect.DeepEqual(request(opt), unset) {
				t.Errorf("%s: the netlink request sets nothing", opt)
			}
			n := 0
			for _, other := range BondOpts {
				if reflect.DeepEqual(request(other), request(opt)) {
					n++
				}
			}
			if n != 1 {
				t.Errorf("%s: %d options make the same netlink request", opt, n)
			}
		})
	}
}
