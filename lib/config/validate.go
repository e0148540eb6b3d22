package config

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
)

// Validate checks a Config against the rules Parse applies, for Configs built or
// changed in code. A Config returned by Parse or Load always validates. Problems
// are located through Master.Line and Iface.Line when those are filled in.
func (c *Config) Validate() error {
	e := &errs{path: c.Path}
	for _, name := range c.MasterNames() {
		m := c.Masters[name]
		if m == nil {
			e.add(0, "", "master %s is nil", name)
			continue
		}
		validateMaster(e, c, name, m)
	}
	for _, key := range slices.Sorted(maps.Keys(c.Ifaces)) {
		i := c.Ifaces[key]
		if i == nil {
			e.add(0, "", "interface %s is nil", key)
			continue
		}
		validateIface(e, c, key, i)
	}
	if e.err() == nil {
		// The cross-setting rules assume each value is well formed.
		c.check(e)
	}
	return e.err()
}

func validateMaster(e *errs, c *Config, name string, m *Master) {
	at := func(suffix string) int { return m.Line[suffix] }
	bad := func(suffix, format string, args ...any) {
		e.add(at(suffix), "", "%s%s: %s", name, suffix, fmt.Sprintf(format, args...))
	}
	if m.Name != name {
		e.add(0, "", "master stored as %q is named %q", name, m.Name)
	}
	if err := checkName(name); err != nil {
		e.add(0, "", "master: %v", err)
	}
	if m.Kind != kindOf(name) {
		e.add(0, "", "master %s has kind %q; its name makes it a %s", name, m.Kind, kindOf(name))
	}
	if _, dup := c.Ifaces[KeyPrefix(name)]; dup {
		e.add(0, "", "%s has both master and per-slave settings", name)
	}
	for i, p := range m.Slaves {
		q, err := normalizePattern(p)
		switch {
		case err != nil:
			bad(sSlaves, "%v", err)
		case q != p:
			bad(sSlaves, "%q is not in path.Match syntax (write %q)", p, q)
		case slices.Contains(m.Slaves[:i], p):
			bad(sSlaves, "%q is listed twice", p)
		}
	}
	if m.Primary != "" {
		if err := checkName(m.Primary); err != nil {
			bad(sPrimary, "%v", err)
		}
	}
	if m.Kind == KindBridge {
		if m.Bond != (BondOptions{}) {
			e.add(0, "", "%s is a bridge but has bonding options %+v", name, m.Bond)
		}
	} else {
		for _, f := range []struct {
			suffix, v string
			names     []string
		}{{sMode, m.Bond.Mode, bondModes}, {sFailOverMAC, m.Bond.FailOverMAC, failOverMACs}, {sPrimaryReselect, m.Bond.PrimaryReselect, primaryReselects}} {
			if !inList(f.v, f.names) {
				bad(f.suffix, "unknown value %q (expected %s)", f.v, strings.Join(f.names, ", "))
			}
		}
		for _, f := range []struct {
			suffix string
			v      int
		}{{sMiimon, m.Bond.Miimon}, {sUpdelay, m.Bond.Updelay}, {sDowndelay, m.Bond.Downdelay}} {
			if f.v < 0 || f.v > math.MaxInt32 {
				bad(f.suffix, "%d is out of range (0-%d)", f.v, math.MaxInt32)
			}
		}
	}
	seenAddr := map[string]bool{}
	for _, p := range m.Addrs {
		if err := checkAddr(p); err != nil {
			bad(sAddrs, "%v", err)
		} else if a := p.Addr().String(); seenAddr[a] {
			bad(sAddrs, "address %s is listed twice", a)
		} else {
			seenAddr[a] = true
		}
	}
	seenRoute := map[routeKey]bool{}
	for _, r := range m.Routes {
		k := routeKey{r.Dst, r.Table, r.Metric}
		if err := checkRoute(r); err != nil {
			bad(sRoutes, "route %q: %v", r.Text, err)
		} else if seenRoute[k] {
			bad(sRoutes, "two routes to %s with the same table and metric", r.Dst)
		} else {
			seenRoute[k] = true
		}
	}
	if !inList(m.DHCP4.Client, dhcp4Clients) {
		bad(sDHCPClient, "unknown DHCP client %q (expected %s)", m.DHCP4.Client, strings.Join(dhcp4Clients, ", "))
	}
	if !inList(m.DHCP6.Client, dhcp6Clients) {
		bad(sDHCP6Client, "unknown DHCPv6 client %q (expected %s)", m.DHCP6.Client, strings.Join(dhcp6Clients, ", "))
	}
}

func validateIface(e *errs, c *Config, key string, i *Iface) {
	if i.Key != key {
		e.add(0, "", "interface stored as %q has key %q", key, i.Key)
	}
	if strings.Contains(key, "-") {
		e.add(0, "", "interface key %q must be written with '_' for '-' (see KeyPrefix)", key)
	} else if err := checkName(key); err != nil {
		e.add(0, "", "interface: %v", err)
	}
	if _, dup := c.Masters[key]; dup {
		e.add(0, "", "%s has both master and per-slave settings", key)
	}
	if i.Supplicant != "" && !inList(string(i.Supplicant), supplicantModes) {
		e.add(i.Line[sSupplicant], "", "%s%s: unknown value %q (expected auto, yes or no)", key, sSupplicant, i.Supplicant)
	}
	if i.SupplicantConf != "" {
		if err := checkConfPath(i.SupplicantConf); err != nil {
			e.add(i.Line[sSupplicantConf], "", "%s%s: %v", key, sSupplicantConf, err)
		}
	}
}
