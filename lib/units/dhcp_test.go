// SPDX-License-Identifier: Apache-2.0

package units

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/bond-hotplug/bond-hotplug/lib/config"
)

// The configuration accepts exactly the clients the table has a unit for, and each
// entry makes a unit of its family, named after its client.
func TestDHCPClientTableIsTheConfigurationsChoice(t *testing.T) {
	p := Programs{Self: "/b/bond-hotplug", Dhclient: "/s/dhclient", Dhcp6c: "/s/dhcp6c", Dhcpcd: "/s/dhcpcd"}
	accepted := map[int][]string{4: config.DHCP4Clients, 6: config.DHCP6Clients}
	for family, names := range accepted {
		for _, n := range names {
			if _, ok := dhcpClients[dhcpKey{family, n}]; !ok {
				t.Errorf("the configuration accepts DHCPv%d client %s, which has no unit", family, n)
			}
		}
	}
	for k := range dhcpClients {
		if !slices.Contains(accepted[k.family], k.client) {
			t.Errorf("DHCPv%d client %s has a unit the configuration does not accept", k.family, k.client)
			continue
		}
		s, err := dhcpUnit(p, k.family, "bond0", k.client)
		if err != nil {
			t.Errorf("DHCPv%d %s: %v", k.family, k.client, err)
			continue
		}
		role := map[int]Role{4: RoleDHCP4, 6: RoleDHCP6}[k.family]
		if s.Name != Name(role, "bond0") || !slices.Contains(s.ExecStart, "/s/"+k.client) || s.ExecStart[0] != p.Self {
			t.Errorf("DHCPv%d %s: %s", k.family, k.client, s)
		}
	}
}

// When one run starts both, a master's DHCPv6 unit is started once the DHCPv4 unit's
// program was executed, whichever the clients: the DHCPv4 unit is Type=exec (its start
// job ends past the sandbox's set-up) and the DHCPv6 unit names it in StartAfter, so
// that their sandboxes are not set up at once (issue 20). Not as an After=
// dependency, which systemd is sent: that would keep a stopped DHCPv4 unit loaded
// while the DHCPv6 unit runs, and its restart with a new command line would fail.
func TestDHCPv6UnitIsStartedAfterTheDHCPv4Unit(t *testing.T) {
	p := Programs{Self: "/b/bond-hotplug", Dhclient: "/s/dhclient", Dhcp6c: "/s/dhcp6c", Dhcpcd: "/s/dhcpcd"}
	prop := func(s Spec, name string) any {
		t.Helper()
		props, err := Properties(s)
		if err != nil {
			t.Fatalf("%s: %v", s.Name, err)
		}
		for _, p := range props {
			if p.Name == name {
				return p.Value.Value()
			}
		}
		return nil
	}
	for k := range dhcpClients {
		s, err := dhcpUnit(p, k.family, "bond0", k.client)
		if err != nil {
			t.Fatalf("DHCPv%d %s: %v", k.family, k.client, err)
		}
		typ, _ := prop(s, "Type").(string)
		after, _ := prop(s, "After").([]string)
		if slices.Contains(after, Name(RoleDHCP4, "bond0")) || slices.Contains(after, Name(RoleDHCP6, "bond0")) {
			t.Errorf("DHCPv%d %s: After=%v names the other DHCP unit", k.family, k.client, after)
		}
		switch k.family {
		case 4:
			if typ != "exec" || s.StartAfter != "" {
				t.Errorf("DHCPv4 %s: Type=%q StartAfter=%q, want Type=exec and no StartAfter", k.client, typ, s.StartAfter)
			}
		case 6:
			if typ != "" || s.StartAfter != Name(RoleDHCP4, "bond0") {
				t.Errorf("DHCPv6 %s: Type=%q StartAfter=%q, want systemd's default type, after %s", k.client, typ, s.StartAfter, Name(RoleDHCP4, "bond0"))
			}
		}
	}
}

// waitStarted waits for the result of a start this manager asked for, once; a unit
// it did not start is not waited for.
func TestWaitStartedWaitsOnceForItsOwnStart(t *testing.T) {
	m := &Systemd{}
	ctx := context.Background()
	m.waitStarted(ctx, "bond-dhcp4@bond0.service") // never started here: returns at once
	ch := make(chan string, 1)
	m.noteStart("bond-dhcp4@bond0.service", ch)
	released := make(chan struct{})
	go func() {
		m.waitStarted(ctx, "bond-dhcp4@bond0.service")
		close(released)
	}()
	select {
	case <-released:
		t.Fatal("returned before the start job finished")
	case <-time.After(100 * time.Millisecond):
	}
	ch <- "done"
	select {
	case <-released:
	case <-time.After(time.Second):
		t.Fatal("still waiting after the start job finished")
	}
	if _, ok := m.started["bond-dhcp4@bond0.service"]; ok {
		t.Error("the result is kept after it was waited for")
	}
}
