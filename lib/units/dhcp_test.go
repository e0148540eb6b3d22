// SPDX-License-Identifier: Apache-2.0

package units

import (
	"slices"
	"testing"

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

// A master's DHCPv6 unit starts once its DHCPv4 client runs, whichever the clients:
// the DHCPv4 unit is started when its program was executed (Type=exec), and the
// DHCPv6 unit is ordered after it, so that their sandboxes are not set up at once
// (issue 20). Checked on the properties systemd is sent.
func TestDHCPv6UnitStartsAfterTheDHCPv4ClientRuns(t *testing.T) {
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
		switch k.family {
		case 4:
			if typ != "exec" || slices.Contains(after, Name(RoleDHCP6, "bond0")) {
				t.Errorf("DHCPv4 %s: Type=%q After=%v, want Type=exec and no order on DHCPv6", k.client, typ, after)
			}
		case 6:
			if typ != "" || !slices.Contains(after, Name(RoleDHCP4, "bond0")) || !slices.Contains(after, "network-pre.target") {
				t.Errorf("DHCPv6 %s: Type=%q After=%v, want systemd's default type, after %s and network-pre.target", k.client, typ, after, Name(RoleDHCP4, "bond0"))
			}
		}
	}
}
