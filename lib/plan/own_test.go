// SPDX-License-Identifier: Apache-2.0

package plan

import (
	"encoding/json"
	"testing"

	"github.com/bond-hotplug/bond-hotplug/lib/netdev"
	"github.com/bond-hotplug/bond-hotplug/lib/record"
)

// owned is the converged laptop with the record bond-up leaves on it.
func owned(t *testing.T) State {
	st := converged()
	st.Owned = upRecord(t)
	return st
}

func TestAdoptRecordsWhatTheFileAsksForAndFindsInPlace(t *testing.T) {
	st := converged()
	// Foreign: a hand-added address, a DHCP lease, a port enslaved by hand.
	st.Addrs = append(st.Addrs, netdev.Addr{Prefix: mustPrefix("192.168.0.99/24")},
		netdev.Addr{Prefix: mustPrefix("10.77.0.50/24"), Dynamic: true})
	st.Links.Links = append(st.Links.Links, link("veth9", "veth", "bond0", true))
	r := &record.Record{Master: "bond0", Up: true}
	Adopt(input(t, laptopConf, "bond0"), st, r)
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "own-adopted-record-of-the-converged-laptop-names-no-foreign-state", string(b)+"\n")
}

func TestOwnershipPlans(t *testing.T) {
	for _, tc := range []struct {
		name string
		conf string
		st   func() State
	}{
		{"wifi-card-dropped-from-slaves-stops-its-supplicant-then-releases-it",
			"bond0PRIMARY='enp3s0'\nbond0SLAVES='enp3s0'\nbond0ADDRS='192.168.0.2/24'\nbond0ROUTES='\"10.9.0.0/16 via 192.168.0.1\"'\n", nil},
		{"changed-address-and-route-delete-the-old-before-adding-the-new",
			"bond0PRIMARY='enp3s0'\nbond0SLAVES='enp3s0 wl*'\nbond0ADDRS='192.168.0.3/24'\nbond0ROUTES='\"10.10.0.0/16 via 192.168.0.1\"'\n", nil},
		{"removed-addresses-and-routes-are-deleted",
			"bond0PRIMARY='enp3s0'\nbond0SLAVES='enp3s0 wl*'\n", nil},
		{"removed-primary-is-cleared", "bond0SLAVES='enp3s0 wl*'\nbond0ADDRS='192.168.0.2/24'\nbond0ROUTES='\"10.9.0.0/16 via 192.168.0.1\"'\n", nil},
		{"changed-dhcp-clients-and-supplicant-conf-restart-their-units",
			laptopConf + "bond0DHCP_CLIENT=dhcpcd\nbond0DHCP6_CLIENT=dhclient\nwlp2s0SUPPLICANT_CONF=/etc/wpa/lab.conf\n", nil},
		{"foreign-address-lease-and-port-are-left-alone", laptopConf, func() State {
			st := owned(t)
			st.Addrs = append(st.Addrs, netdev.Addr{Prefix: mustPrefix("192.168.0.99/24")},
				netdev.Addr{Prefix: mustPrefix("10.77.0.50/24"), Dynamic: true})
			st.Links.Links = append(st.Links.Links, link("veth9", "veth", "bond0", true))
			return st
		}},
		{"without-a-record-removals-are-not-undone", "bond0SLAVES='enp3s0'\n", func() State {
			st := converged()
			st.Owned = nil
			return st
		}},
		{"a-slave-now-configured-for-another-master-is-released-but-keeps-its-supplicant",
			"bond0PRIMARY='enp3s0'\nbond0SLAVES='enp3s0'\nbond0ADDRS='192.168.0.2/24'\nbond0ROUTES='\"10.9.0.0/16 via 192.168.0.1\"'\nbr0SLAVES='wlp2s0'\n", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := owned(t)
			if tc.st != nil {
				st = tc.st()
			}
			in := input(t, tc.conf, "bond0")
			in.Programs.Dhcpcd = "/usr/sbin/dhcpcd"
			p, err := Up(in, st)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, "own-up-"+tc.name, p.String())
			sameLinksWithoutUnits(t, in, st, p)
		})
	}
}

func TestDownOfRecordedMasters(t *testing.T) {
	renamed := "bond1PRIMARY='enp3s0'\nbond1SLAVES='enp3s0 wl*'\n"
	for _, tc := range []struct {
		name    string
		created bool
	}{
		{"renamed-master-created-by-us-goes-in-teardown-order", true},
		{"unconfigured-master-we-did-not-create-stays-with-only-our-things-undone", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := owned(t)
			st.Owned.Created = tc.created
			st.Links.Links = append(st.Links.Links, link("veth9", "veth", "bond0", true)) // by hand
			c := mustConfig(t, renamed)
			in := Input{Config: c, Master: stub("bond0"), Programs: progs}
			p, err := Down(in, st, true)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, "own-down-"+tc.name, p.String())
		})
	}
}

// A route the file now writes in other words names the same kernel route: it must
// neither be deleted (the plan, computed before, would not add it back: the run used
// to exit 0 with the route gone) nor stay recorded twice.
func TestRouteRewrittenInOtherWordsIsKept(t *testing.T) {
	for _, tc := range []struct{ name, was, now string }{
		{"src-dropped", "10.9.0.0/16 via 192.168.0.1 src 192.168.0.2", "10.9.0.0/16 via 192.168.0.1"},
		{"ipv6-default-metric-written-out", "2001:db8:9::/48 via 2001:db8::1", "2001:db8:9::/48 via 2001:db8::1 metric 1024"},
		{"onlink-added", "10.9.0.0/16 via 192.168.0.1", "to 10.9.0.0/16 via 192.168.0.1 onlink table main"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conf := func(rt string) string {
				return "bond0PRIMARY='enp3s0'\nbond0SLAVES='enp3s0 wl*'\nbond0ADDRS='192.168.0.2/24 2001:db8::2/64'\nbond0ROUTES='\"" + rt + "\"'\n"
			}
			old := input(t, conf(tc.was), "bond0")
			st := converged()
			st.Addrs = append(st.Addrs, netdev.Addr{Prefix: mustPrefix("2001:db8::2/64")})
			kr := old.Master.Routes[0]
			st.Routes = []netdev.Route{{Dst: kr.Dst, Via: kr.Via, Src: kr.Src, Table: 254, Metric: kr.Normal().Metric}}
			if kr.Src.IsValid() {
				st.Routes[0].Src = kr.Src
			} else if kr.Dst.Addr().Is4() {
				st.Routes[0].Src = mustAddr("192.168.0.2") // the kernel's preferred source
			}
			r := &record.Record{Master: "bond0", Up: true, Created: true}
			Adopt(old, st, r)
			if len(r.Routes) != 1 {
				t.Fatalf("record after the first run: %+v", r.Routes)
			}
			now := input(t, conf(tc.now), "bond0")
			st.Owned = r
			p, err := Up(now, st)
			if err != nil {
				t.Fatal(err)
			}
			if !p.Empty() {
				t.Errorf("plan for the same kernel route written differently:\n%s", p)
			}
			Adopt(now, st, r)
			if len(r.Routes) != 1 || r.Routes[0].Text != tc.now {
				t.Errorf("record after the edit: %+v, want only %q", r.Routes, tc.now)
			}
		})
	}
}
