// SPDX-License-Identifier: Apache-2.0

package app

import (
	"context"
	"net/netip"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/bond-hotplug/bond-hotplug/lib/netdev"
	"github.com/bond-hotplug/bond-hotplug/lib/units"
)

// stateDump is what a state-dump test compares: the Fake kernel's state and the units
// the fake systemd runs, with their command lines.
func stateDump(k *netdev.Fake, u *units.Fake) string {
	var us []string
	for _, s := range u.Units {
		us = append(us, "unit "+s.String()+"\n")
	}
	sort.Strings(us)
	return k.Dump() + strings.Join(us, "")
}

// A sequence of configurations applied to one Fake kernel, as an administrator edits
// the seed's file and runs bond-up (then bond-down), each step asserting the whole
// state, in the manner of tailscale's router_linux_test.go. Every step is run twice:
// the second run must write nothing (any write then is unexpected), and no step may
// write to hand0, a device no configuration names.
func TestConfigurationsInSequenceLeaveThisState(t *testing.T) {
	seed, err := os.ReadFile("../config/testdata/seed-network.conf")
	if err != nil {
		t.Fatal(err)
	}
	e, k, u, log := fakeEnv(t, string(seed))
	k.AddLink("enp3s0", "device").Carrier = true
	wifi := k.AddLink("wlp2s0", "device")
	wifi.Wireless, wifi.Carrier = true, true
	hand := k.AddLink("hand0", "dummy")
	hand.AdminUp = true
	k.AddrsOf["hand0"] = []netdev.Addr{{Prefix: netip.MustParsePrefix("10.1.0.1/24")}}

	const laptop = "bond0PRIMARY='enp3s0'\nbond0SLAVES='enp3s0 wlp2s0'\n"
	up := func(ctx context.Context) error { return e.Up(ctx, nil) }
	down := func(ctx context.Context) error { return e.Down(ctx, nil, false) }
	for _, step := range []struct {
		name string
		conf string // the whole file ("": as the step before left it)
		run  func(context.Context) error
		want string
	}{
		{
			name: "the seed's file with its two cards as slaves: the bond, its address, DHCP and the supplicant",
			conf: string(seed) + "bond0SLAVES='enp3s0 wlp2s0'\n",
			run:  up,
			want: `bond0 bond up
  bond mode active-backup miimon 100 fail_over_mac active primary "enp3s0" primary_reselect always updelay 0 downdelay 0
  address 192.168.0.2/24
enp3s0 device up carrier master bond0
hand0 dummy up
  address 10.1.0.1/24
wlp2s0 device up carrier master bond0
unit bond-dhcp4@bond0.service: /bin/bond-hotplug --supervise bond0 -- /sbin/dhclient -4 -d -pf /run/bond-hotplug/bond-dhcp4-bond0/dhclient.pid -lf /var/lib/dhcp/dhclient-bond-hotplug-bond0.leases bond0
unit bond-dhcp6@bond0.service: /bin/bond-hotplug --wait-then bond0 -- /sbin/dhcp6c -f -P default -c /etc/wide-dhcpv6/dhcp6c.conf -p /run/bond-hotplug/bond-dhcp6-bond0/dhcp6c.pid bond0
unit bond-wpa@wlp2s0.service: /sbin/wpa_supplicant -c/etc/wpa_supplicant/wpa_supplicant.conf -Dnl80211,wext,wired -i wlp2s0
`,
		},
		{
			name: "a new address, a default route and a route with a metric",
			conf: laptop + "bond0ADDRS='192.168.0.3/24 fd00::3/64'\n" +
				"bond0ROUTES='\"default via 192.168.0.1\" \"10.9.0.0/16 via 192.168.0.254 metric 50\"'\n",
			run: up,
			want: `bond0 bond up
  bond mode active-backup miimon 100 fail_over_mac active primary "enp3s0" primary_reselect always updelay 0 downdelay 0
  address 192.168.0.3/24
  address fd00::3/64
  route 0.0.0.0/0 via 192.168.0.1 metric 0 table 254
  route 10.9.0.0/16 via 192.168.0.254 metric 50 table 254
enp3s0 device up carrier master bond0
hand0 dummy up
  address 10.1.0.1/24
wlp2s0 device up carrier master bond0
unit bond-dhcp4@bond0.service: /bin/bond-hotplug --supervise bond0 -- /sbin/dhclient -4 -d -pf /run/bond-hotplug/bond-dhcp4-bond0/dhclient.pid -lf /var/lib/dhcp/dhclient-bond-hotplug-bond0.leases bond0
unit bond-dhcp6@bond0.service: /bin/bond-hotplug --wait-then bond0 -- /sbin/dhcp6c -f -P default -c /etc/wide-dhcpv6/dhcp6c.conf -p /run/bond-hotplug/bond-dhcp6-bond0/dhcp6c.pid bond0
unit bond-wpa@wlp2s0.service: /sbin/wpa_supplicant -c/etc/wpa_supplicant/wpa_supplicant.conf -Dnl80211,wext,wired -i wlp2s0
`,
		},
		{
			name: "the mode changed: the bond is rebuilt, its addresses and routes come back",
			conf: laptop + "bond0ADDRS='192.168.0.3/24 fd00::3/64'\n" +
				"bond0ROUTES='\"default via 192.168.0.1\" \"10.9.0.0/16 via 192.168.0.254 metric 50\"'\n" +
				"bond0MODE=balance-alb\nbond0MIIMON=200\n",
			run: up,
			want: `bond0 bond up
  bond mode balance-alb miimon 200 fail_over_mac active primary "enp3s0" primary_reselect always updelay 0 downdelay 0
  address 192.168.0.3/24
  address fd00::3/64
  route 0.0.0.0/0 via 192.168.0.1 metric 0 table 254
  route 10.9.0.0/16 via 192.168.0.254 metric 50 table 254
enp3s0 device up carrier master bond0
hand0 dummy up
  address 10.1.0.1/24
wlp2s0 device up carrier master bond0
unit bond-dhcp4@bond0.service: /bin/bond-hotplug --supervise bond0 -- /sbin/dhclient -4 -d -pf /run/bond-hotplug/bond-dhcp4-bond0/dhclient.pid -lf /var/lib/dhcp/dhclient-bond-hotplug-bond0.leases bond0
unit bond-dhcp6@bond0.service: /bin/bond-hotplug --wait-then bond0 -- /sbin/dhcp6c -f -P default -c /etc/wide-dhcpv6/dhcp6c.conf -p /run/bond-hotplug/bond-dhcp6-bond0/dhcp6c.pid bond0
unit bond-wpa@wlp2s0.service: /sbin/wpa_supplicant -c/etc/wpa_supplicant/wpa_supplicant.conf -Dnl80211,wext,wired -i wlp2s0
`,
		},
		{
			name: "the Wi-Fi card left out of the slaves: released (left up), its supplicant stopped; DHCPv6 off, a route gone",
			conf: "bond0PRIMARY='enp3s0'\nbond0SLAVES='enp3s0'\nbond0ADDRS='192.168.0.3/24 fd00::3/64'\n" +
				"bond0ROUTES='\"default via 192.168.0.1\"'\nbond0MODE=balance-alb\nbond0MIIMON=200\nbond0DHCP6=no\n",
			run: up,
			want: `bond0 bond up
  bond mode balance-alb miimon 200 fail_over_mac active primary "enp3s0" primary_reselect always updelay 0 downdelay 0
  address 192.168.0.3/24
  address fd00::3/64
  route 0.0.0.0/0 via 192.168.0.1 metric 0 table 254
enp3s0 device up carrier master bond0
hand0 dummy up
  address 10.1.0.1/24
wlp2s0 device up carrier
unit bond-dhcp4@bond0.service: /bin/bond-hotplug --supervise bond0 -- /sbin/dhclient -4 -d -pf /run/bond-hotplug/bond-dhcp4-bond0/dhclient.pid -lf /var/lib/dhcp/dhclient-bond-hotplug-bond0.leases bond0
`,
		},
		{
			name: "bond-down: everything of ours goes; the released card stays up, the foreign device untouched",
			run:  down,
			want: `enp3s0 device up carrier
hand0 dummy up
  address 10.1.0.1/24
wlp2s0 device up carrier
`,
		},
	} {
		t.Run(step.name, func(t *testing.T) {
			if step.conf != "" {
				if err := os.WriteFile(e.ConfigPath, []byte(step.conf), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			k.Writes = nil
			if err := step.run(context.Background()); err != nil {
				t.Fatalf("run: %v\n%s", err, log)
			}
			for _, w := range k.Writes {
				if strings.Contains(w, "hand0") {
					t.Errorf("wrote to a device no configuration names: %s", w)
				}
			}
			if got := stateDump(k, u); got != step.want {
				t.Errorf("state after the step:\n%s\nwant:\n%s\nwrites:\n%s", got, step.want, k.Transcript())
			}
			k.Writes, u.Calls = nil, nil
			if err := step.run(context.Background()); err != nil {
				t.Fatalf("second run: %v\n%s", err, log)
			}
			if len(k.Writes) > 0 || len(u.Calls) > 0 {
				t.Errorf("the second run changed something:\n%s\n%s", k.Transcript(), u.Transcript())
			}
		})
	}
}
