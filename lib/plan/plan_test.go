// SPDX-License-Identifier: Apache-2.0

package plan

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bond-hotplug/bond-hotplug/lib/config"
	"github.com/bond-hotplug/bond-hotplug/lib/netdev"
	"github.com/bond-hotplug/bond-hotplug/lib/units"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const laptopConf = `
bond0PRIMARY='enp3s0'
bond0SLAVES='enp3s0 wl*'
bond0ADDRS='192.168.0.2/24'
bond0ROUTES='"10.9.0.0/16 via 192.168.0.1"'
`

var progs = units.Programs{
	Self: "/usr/local/bin/bond-hotplug", WPASupplicant: "/usr/sbin/wpa_supplicant",
	Dhclient: "/usr/sbin/dhclient", Dhcp6c: "/usr/sbin/dhcp6c",
}

func mustConfig(t *testing.T, text string) *config.Config {
	t.Helper()
	c, err := config.Parse("network.conf", []byte(text))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	return c
}

func input(t *testing.T, text, master string) Input {
	c := mustConfig(t, text)
	m, ok := c.Master(master)
	if !ok {
		t.Fatalf("no master %s", master)
	}
	return Input{Config: c, Master: m, Programs: progs}
}

func link(name, kind, master string, up bool, opts ...string) netdev.Link {
	l := netdev.Link{Name: name, Kind: kind, Master: master, AdminUp: up, Initialized: true}
	for _, o := range opts {
		switch o {
		case "wireless":
			l.Wireless = true
		case "carrier":
			l.Carrier = true
		case "uninitialized":
			l.Initialized = false
		}
	}
	return l
}

func running(names ...string) map[string]units.State {
	m := map[string]units.State{}
	for _, n := range names {
		m[n] = units.State{Name: n, Active: "active", Sub: "running"}
	}
	return m
}

var goodBond = netdev.Bond{Mode: "active-backup", Miimon: 100, FailOverMAC: "active",
	PrimaryReselect: "always", Primary: "enp3s0", ActiveSlave: "enp3s0"}

// converged is the laptop with everything in place.
func converged() State {
	b := goodBond
	return State{
		Links: netdev.Snapshot{Links: []netdev.Link{
			link("bond0", "bond", "", true, "carrier"),
			link("enp3s0", "device", "bond0", true, "carrier"),
			link("lo", "device", "", true),
			link("wlp2s0", "device", "bond0", true, "wireless", "carrier"),
		}},
		Bond:   &b,
		Addrs:  []netdev.Addr{{Prefix: mustPrefix("192.168.0.2/24")}},
		Routes: []netdev.Route{{Dst: mustPrefix("10.9.0.0/16"), Via: mustAddr("192.168.0.1"), Table: 254}},
		Units: running("bond-dhcp4@bond0.service", "bond-dhcp6@bond0.service",
			"bond-wpa@wlp2s0.service"),
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test ./lib/plan -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("plan differs from %s\n--- got\n%s--- want\n%s", p, got, want)
	}
}

func TestUpPlans(t *testing.T) {
	for _, tc := range []struct {
		name string
		conf string
		st   func() State
	}{
		{"first-boot-creates-everything", laptopConf, func() State {
			return State{Links: netdev.Snapshot{Links: []netdev.Link{
				link("enp3s0", "device", "", false),
				link("lo", "device", "", true),
				withAddrs(link("wlp2s0", "device", "", true, "wireless"), "10.1.2.3/24"),
				link("wwan0", "device", "", false),
			}}}
		}},
		{"converged-system-has-nothing-to-do", laptopConf, converged},
		{"hotplug-add-of-wired-enslaves-only-it", laptopConf, func() State {
			st := converged()
			st.Links.Links[1] = link("enp3s0", "device", "", false)
			// The kernel shows a primary only while it is a slave.
			st.Bond.Primary = ""
			st.Bond.ActiveSlave = "wlp2s0"
			return st
		}},
		{"wired-unplugged-converged-has-nothing-to-do", laptopConf, func() State {
			st := converged()
			st.Links.Links = append(st.Links.Links[:1], st.Links.Links[2:]...)
			st.Bond.Primary = ""
			st.Bond.ActiveSlave = "wlp2s0"
			return st
		}},
		{"hotplug-add-of-wifi-takes-it-down-then-starts-supplicant", laptopConf, func() State {
			st := converged()
			st.Links.Links[3] = link("wlp2s0", "device", "", true, "wireless")
			delete(st.Units, "bond-wpa@wlp2s0.service")
			return st
		}},
		{"wrong-mode-bond-from-module-load-is-rebuilt", laptopConf, func() State {
			st := converged()
			st.Bond = &netdev.Bond{Mode: "balance-rr", Miimon: 0, FailOverMAC: "none", PrimaryReselect: "always"}
			return st
		}},
		{"changed-miimon-is-set-live-without-releasing", laptopConf + "bond0MIIMON=200\nbond0UPDELAY=400\n", converged},
		{"device-not-yet-renamed-by-udev-is-left-for-its-event", laptopConf, func() State {
			st := converged()
			st.Links.Links[3] = link("wlp2s0", "device", "", true, "wireless", "uninitialized")
			return st
		}},
		{"slave-of-another-master-is-left-alone", laptopConf, func() State {
			st := converged()
			st.Links.Links[1] = link("enp3s0", "device", "br9", true)
			return st
		}},
		// Airplane mode on: cfg80211 set the card down; it stays enslaved and its
		// supplicant runs, and no run tries to set it up (ERFKILL) until the unblock.
		{"airplane-mode-on-leaves-the-blocked-slave-down", laptopConf, func() State {
			st := converged()
			st.Links.Links[3] = blocked(link("wlp2s0", "device", "bond0", false, "wireless"), false, true)
			return st
		}},
		// Airplane mode off: the unblock event's run sets it up again.
		{"unblocked-slave-that-is-down-is-set-up", laptopConf, func() State {
			st := converged()
			st.Links.Links[3] = link("wlp2s0", "device", "bond0", false, "wireless")
			return st
		}},
		// Blocked at boot: the bonding driver cannot open it, so neither it nor its
		// supplicant is planned; the wired NIC, the addresses and DHCP are.
		{"card-blocked-at-boot-never-holds-up-the-wired-nic", laptopConf, func() State {
			return State{Links: netdev.Snapshot{Links: []netdev.Link{
				link("enp3s0", "device", "", false),
				link("lo", "device", "", true),
				blocked(link("wlp2s0", "device", "", false, "wireless"), true, false),
			}}}
		}},
		// A card swap (or a driver reload) while systemd still lists the old card's
		// supplicant active: no event follows systemd's stop of it, so this run
		// replaces it with one bound to the new card (units.Card).
		{"swapped-card-replaces-the-old-cards-supplicant", laptopConf, func() State {
			st := converged()
			l := link("wlp2s0", "device", "", true, "wireless")
			l.Index, l.Device = 12, "/sys/devices/virtual/mac80211_hwsim/hwsim4/net/wlp2s0"
			st.Links.Links[3] = l
			st.Units["bond-wpa@wlp2s0.service"] = units.State{Name: "bond-wpa@wlp2s0.service", Active: "active",
				Description: "wpa_supplicant on wlp2s0 (bond-hotplug, ifindex 5)"}
			return st
		}},
		// The old card's supplicant on its way down (systemd stops it as the old
		// card goes): replaced too, or a start would find it loaded and start it as
		// it is, bound to the old card's device.
		{"swapped-card-replaces-the-old-cards-supplicant-on-its-way-down", laptopConf, func() State {
			st := converged()
			l := link("wlp2s0", "device", "", true, "wireless")
			l.Index = 12
			st.Links.Links[3] = l
			st.Units["bond-wpa@wlp2s0.service"] = units.State{Name: "bond-wpa@wlp2s0.service", Active: "deactivating", Job: "stop",
				Description: "wpa_supplicant on wlp2s0 (bond-hotplug, ifindex 5)"}
			return st
		}},
		// The same card: its supplicant is left alone.
		{"supplicant-of-the-same-card-is-left-running", laptopConf, func() State {
			st := converged()
			st.Links.Links[3].Index = 5
			st.Units["bond-wpa@wlp2s0.service"] = units.State{Name: "bond-wpa@wlp2s0.service", Active: "active",
				Description: "wpa_supplicant on wlp2s0 (bond-hotplug, ifindex 5)"}
			return st
		}},
		{"dhcp-turned-off-stops-the-clients", laptopConf + "bond0DHCP=no\nbond0DHCP6=no\n", converged},
		{"bridge-master-enslaves-ports-without-taking-them-down", "br0SLAVES='veth*'\nbr0DHCP6=no\n", func() State {
			return State{Links: netdev.Snapshot{Links: []netdev.Link{
				link("br0", "bridge", "", true),
				link("veth0", "veth", "", true),
				link("veth1", "veth", "br0", false),
				link("vpeer0", "veth", "", true),
			}}}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := input(t, tc.conf, masterOf(tc.conf))
			p, err := Up(in, tc.st())
			if err != nil {
				t.Fatal(err)
			}
			golden(t, "up-"+tc.name, p.String())
			sameLinksWithoutUnits(t, in, tc.st(), p)
		})
	}
}

func masterOf(conf string) string {
	if strings.Contains(conf, "br0") {
		return "br0"
	}
	return "bond0"
}

func TestUpRefusesAForeignDeviceWithTheMastersName(t *testing.T) {
	st := converged()
	st.Links.Links[0] = link("bond0", "dummy", "", true)
	st.Bond = nil
	_, err := Up(input(t, laptopConf, "bond0"), st)
	if err == nil || !strings.Contains(err.Error(), "bond0 is a dummy") {
		t.Fatalf("want a foreign-device error, got %v", err)
	}
}

// A helper that is not installed is a problem of the plan, not a reason to leave the
// network unconfigured: the other steps are still planned.
func TestUpNamesAMissingProgramAndPlansTheRest(t *testing.T) {
	in := input(t, laptopConf, "bond0")
	in.Programs.Dhclient = ""
	st := converged()
	delete(st.Units, "bond-dhcp4@bond0.service")
	st.Links.Links[1] = link("enp3s0", "device", "", false)
	p, err := Up(in, st)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Problems) != 1 || !strings.Contains(p.Problems[0].Error(), "dhclient not found") {
		t.Fatalf("want one problem naming dhclient, got %v", p.Problems)
	}
	if !strings.Contains(p.String(), "enslave enp3s0 to bond0") {
		t.Fatalf("the network steps must still be planned:\n%s", p)
	}
}

func TestDownPlans(t *testing.T) {
	for _, tc := range []struct {
		name string
		supp bool
		st   func() State
	}{
		{"teardown-order-dhcp-routes-addresses-slaves-master", false, converged},
		{"teardown-with-supplicants", true, converged},
		{"teardown-of-absent-master-has-nothing-to-do", false, func() State {
			return State{Links: netdev.Snapshot{Links: []netdev.Link{link("enp3s0", "device", "", true)}}}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Down(input(t, laptopConf, "bond0"), tc.st(), tc.supp)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, "down-"+tc.name, p.String())
		})
	}
}

func TestRemovedStopsOnlyTheDevicesUnits(t *testing.T) {
	st := converged()
	st.Links.Links = st.Links.Links[:3] // wlp2s0 pulled
	p := Removed(mustConfig(t, laptopConf), "wlp2s0", st)
	golden(t, "removed-wifi-card", p.String())
}

func TestRouteMatchesKernelDefaults(t *testing.T) {
	c := mustConfig(t, "bond0SLAVES=eth0\nbond0ROUTES='\"default via fd00::1\" \"10.0.0.0/8 via 192.168.0.1 table 7\"'\n")
	m, _ := c.Master("bond0")
	v6 := netdev.Route{Dst: mustPrefix("::/0"), Via: mustAddr("fd00::1"), Metric: 1024, Table: 254}
	if !RouteMatches(m.Routes[0], v6) {
		t.Errorf("an IPv6 route without metric must match the kernel's 1024")
	}
	v4 := netdev.Route{Dst: mustPrefix("10.0.0.0/8"), Via: mustAddr("192.168.0.1"), Table: 254}
	if RouteMatches(m.Routes[1], v4) {
		t.Errorf("a route in table 7 must not match the same route in main")
	}
	v4.Table = 7
	if !RouteMatches(m.Routes[1], v4) {
		t.Errorf("route in table 7 should match")
	}
}

func withAddrs(l netdev.Link, ps ...string) netdev.Link {
	for _, p := range ps {
		l.Addrs = append(l.Addrs, mustPrefix(p))
	}
	return l
}

func blocked(l netdev.Link, hard, soft bool) netdev.Link {
	l.RFKill = netdev.RFKill{Hard: hard, Soft: soft}
	return l
}
