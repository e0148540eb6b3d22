// SPDX-License-Identifier: Apache-2.0

// Package dns hands the DNS servers and search domains of a master's DHCP leases to
// the system the way the system expects (issue 17.3): per link over
// systemd-resolved's D-Bus API when it runs, one record per protocol with
// resolvconf(8) or openresolv, else an /etc/resolv.conf of our own, written
// atomically and taken back at teardown.
//
// The DHCP clients do not write any of it themselves: their scripts call
// `bond-hotplug --dns-update MASTER` (dhclient's enter hook), which stores what the
// lease says for its protocol (Store) and then, under one lock, makes the system
// match the merged DHCPv4 + DHCPv6 data of the link (Update). Every write is
// computed from the stored state of both protocols, never from the event alone, so
// the two clients of one bond never overwrite each other and a repeated update
// changes nothing.
package dns

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// Proto is where a lease came from; its name is the resolvconf record's suffix
// (bond0.dhcp, bond0.dhcp6), as dhcpcd names its records.
type Proto string

// The two protocols of a master, in merge order.
const (
	V4 Proto = "dhcp"
	V6 Proto = "dhcp6"
)

// Protos lists the protocols in merge order: DHCPv4's servers first.
var Protos = []Proto{V4, V6}

// Data is what one lease (or the merge of several) says about DNS.
type Data struct {
	Servers []netip.Addr // may carry a zone (fe80::1%bond0)
	Search  []string
}

// Empty reports no server and no domain.
func (d Data) Empty() bool { return len(d.Servers) == 0 && len(d.Search) == 0 }

// Merge is the union of ds in order, without duplicates.
func Merge(ds ...Data) Data {
	var m Data
	for _, d := range ds {
		for _, s := range d.Servers {
			if !slices.Contains(m.Servers, s) {
				m.Servers = append(m.Servers, s)
			}
		}
		for _, s := range d.Search {
			if !slices.ContainsFunc(m.Search, func(t string) bool { return strings.EqualFold(s, t) }) {
				m.Search = append(m.Search, s)
			}
		}
	}
	return m
}

// resolvMaxServers and resolvMaxSearch are glibc's limits (MAXNS, MAXDNSRCH): more
// lines in resolv.conf are ignored by the resolver.
const (
	resolvMaxServers = 3
	resolvMaxSearch  = 6
)

// Render is d as resolv.conf lines (also resolvconf's record format): a link-local
// server keeps its zone, which only resolv.conf can carry.
func (d Data) Render() string {
	var b strings.Builder
	if len(d.Search) > 0 {
		s := d.Search
		if len(s) > resolvMaxSearch {
			s = s[:resolvMaxSearch]
		}
		fmt.Fprintf(&b, "search %s\n", strings.Join(s, " "))
	}
	for i, s := range d.Servers {
		if i == resolvMaxServers {
			break
		}
		fmt.Fprintf(&b, "nameserver %s\n", s)
	}
	return b.String()
}

// Parse reads what Render wrote (our store files); anything else is an error naming
// the line.
func Parse(name, text string) (Data, error) {
	var d Data
	for i, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		switch {
		case f[0] == "nameserver" && len(f) == 2:
			a, err := netip.ParseAddr(f[1])
			if err != nil {
				return Data{}, fmt.Errorf("%s:%d: %w", name, i+1, err)
			}
			d.Servers = append(d.Servers, a)
		case f[0] == "search":
			for _, s := range f[1:] {
				if err := checkDomain(s); err != nil {
					return Data{}, fmt.Errorf("%s:%d: %w", name, i+1, err)
				}
				d.Search = append(d.Search, s)
			}
		default:
			return Data{}, fmt.Errorf("%s:%d: unexpected %q", name, i+1, line)
		}
	}
	return d, nil
}

// checkDomain accepts a DNS name as a resolver takes it: letters, digits, '-', '_'
// and dots, labels of 1-63 characters, 253 in all. Whatever a DHCP server sends
// reaches resolv.conf and D-Bus only through this: a newline or a space smuggled into
// a domain would otherwise write lines of its own into resolv.conf.
func checkDomain(s string) error {
	t := strings.TrimSuffix(s, ".")
	if t == "" || len(t) > 253 {
		return fmt.Errorf("domain %q: empty or longer than 253 characters", s)
	}
	for _, l := range strings.Split(t, ".") {
		if l == "" || len(l) > 63 {
			return fmt.Errorf("domain %q: a label is empty or longer than 63 characters", s)
		}
		for _, c := range l {
			ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
			if !ok {
				return fmt.Errorf("domain %q: character %q is not allowed", s, c)
			}
		}
	}
	return nil
}
