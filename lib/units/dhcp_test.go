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
