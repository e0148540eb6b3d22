// SPDX-License-Identifier: Apache-2.0

package dns

import (
	"fmt"
	"net/netip"
	"strings"
)

// Op is what a client's script event asks of a protocol's DNS data.
type Op int

// The script events: keep the lease's data, drop it, or nothing to do.
const (
	OpNone Op = iota
	OpSet
	OpClear
)

// Event is one call of a DHCP client's script, read from its environment.
type Event struct {
	Iface  string
	Reason string
	Proto  Proto
	Op     Op
	Data   Data
	// Dropped names the values of the lease that were not taken (not an address, not
	// a domain name), for the journal.
	Dropped []string
}

// clearReasons are the script reasons after which the lease is gone (dhclient-script(8),
// dhcpcd-run-hooks(8)).
var clearReasons = map[string]bool{
	"EXPIRE": true, "FAIL": true, "RELEASE": true, "STOP": true, "NOCARRIER": true, "DEPARTED": true,
	"EXPIRE6": true, "RELEASE6": true, "STOP6": true, "NAK": true,
}

// FromEnv reads the environment dhclient and dhcpcd give their scripts: reason,
// interface, dhcpcd's protocol and if_down, and the new_* options. dhclient's hook
// calls us from make_resolv_conf (the lease's data is to be used) or for a reason in
// clearReasons (it is gone); dhcpcd's for each event of a lease that is up or down.
func FromEnv(getenv func(string) string) (Event, error) {
	ev := Event{Iface: getenv("interface"), Reason: getenv("reason")}
	if ev.Iface == "" || ev.Reason == "" {
		return ev, fmt.Errorf("not called by a DHCP client's script: $interface or $reason is empty")
	}
	ev.Proto = V4
	switch p := getenv("protocol"); {
	case p == "dhcp6":
		ev.Proto = V6
	case p == "":
		if strings.HasSuffix(ev.Reason, "6") {
			ev.Proto = V6
		}
	}
	// dhcpcd says so for each of its reasons ($if_down).
	if clearReasons[ev.Reason] || getenv("if_down") == "true" {
		ev.Op = OpClear
		return ev, nil
	}
	ev.Op = OpSet
	var servers, search []string
	if ev.Proto == V4 {
		servers = strings.Fields(getenv("new_domain_name_servers"))
		search = strings.Fields(getenv("new_domain_search"))
		// As dhclient-script does: the domain name (its first word) leads the search
		// list when the list lacks it.
		if dn := strings.Fields(getenv("new_domain_name")); len(dn) > 0 {
			name := strings.TrimSuffix(dn[0], ".")
			found := false
			for _, s := range search {
				if strings.EqualFold(strings.TrimSuffix(s, "."), name) {
					found = true
				}
			}
			if !found {
				search = append([]string{dn[0]}, search...)
			}
		}
	} else {
		servers = strings.Fields(getenv("new_dhcp6_name_servers"))
		search = strings.Fields(getenv("new_dhcp6_domain_search"))
	}
	for _, s := range servers {
		a, err := netip.ParseAddr(s)
		if err != nil || a.IsUnspecified() || a.IsMulticast() {
			ev.Dropped = append(ev.Dropped, fmt.Sprintf("name server %q", s))
			continue
		}
		if a.Is4In6() {
			a = a.Unmap()
		}
		// A link-local server is reached through this interface: resolv.conf needs
		// the zone; resolved takes the link from SetLinkDNS's ifindex.
		if a.Is6() && a.IsLinkLocalUnicast() && a.Zone() == "" {
			a = a.WithZone(ev.Iface)
		}
		ev.Data.Servers = append(ev.Data.Servers, a)
	}
	for _, s := range search {
		if err := checkDomain(s); err != nil {
			ev.Dropped = append(ev.Dropped, err.Error())
			continue
		}
		ev.Data.Search = append(ev.Data.Search, strings.TrimSuffix(s, "."))
	}
	ev.Data = Merge(ev.Data) // a server named twice is one server
	return ev, nil
}
