// SPDX-License-Identifier: Apache-2.0

package dhcpunit

import (
	"os"

	"github.com/bond-hotplug/bond-hotplug/lib/dns"
)

// The DHCP units' DNS (issue 17.3, lib/dns): the clients' scripts report each lease's
// servers and domains with --dns-update, and the supervisor's end takes back what its
// client reported. These are the runtime's only hooks into lib/dns.

func (e *Env) dnsUpdater() dns.Updater {
	return dns.Updater{Store: dns.Store{Root: dns.DefaultRoot}, System: dns.SystemDefault(), Logf: e.Log.Info}
}

// DNSUpdate is `bond-hotplug --dns-update MASTER`, run by a DHCP client's script
// (the dhclient enter hook) with the lease in its environment.
func (e *Env) DNSUpdate(master string) error {
	return dns.FromScript(e.dnsUpdater(), master, os.Getenv)
}

// dnsTeardown drops what the client of this unit reported (v4: DHCPv4's, else
// DHCPv6's) when the supervisor ends; an error is logged, not returned: the unit's
// stop must go on.
func (e *Env) dnsTeardown(master string, v4 bool) {
	p := dns.V6
	if v4 {
		p = dns.V4
	}
	if err := dns.Teardown(e.dnsUpdater(), master, p); err != nil {
		e.Log.Warn("%s: taking back the %s lease's DNS: %v", master, p, err)
	}
}
