// SPDX-License-Identifier: Apache-2.0

package config

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
)

// Parse reads a configuration file's contents. It does no I/O; path is only used in
// messages. On failure the error is an ErrorList holding every problem found (test
// with errors.As(err, new(*Error))) and the Config is nil.
func Parse(path string, data []byte) (*Config, error) {
	e := &errs{path: path}
	entries := scan(e, data)
	if len(data) > MaxSize {
		return nil, e.err()
	}
	c := &Config{Path: path, Masters: map[string]*Master{}, Ifaces: map[string]*Iface{}}
	groups := groupByPrefix(e, dedupe(e, entries))
	for _, prefix := range slices.Sorted(maps.Keys(groups)) {
		if isMasterGroup(groups[prefix]) {
			c.Masters[prefix] = buildMaster(e, c, prefix, groups[prefix])
		} else {
			c.Ifaces[prefix] = buildIface(e, prefix, groups[prefix])
		}
	}
	c.check(e)
	switch {
	case len(data) == 0:
		c.Warnings = append(c.Warnings, fmt.Sprintf("%s: file is empty: no masters are configured", path))
	case len(c.Masters) == 0:
		c.Warnings = append(c.Warnings, fmt.Sprintf("%s: no masters are configured (a master is a name with a non-empty SLAVES, PRIMARY, bonding or DHCP setting)", path))
	}
	if err := e.err(); err != nil {
		return nil, err
	}
	return c, nil
}

// keyed is an assignment whose key has been split into prefix and setting.
type keyed struct {
	entry
	setting
}

// dedupe drops repeated assignments of the same value and reports conflicting ones:
// systemd would silently take the last, which is rarely what the author meant.
func dedupe(e *errs, entries []entry) []entry {
	first := map[string]entry{}
	var out []entry
	for _, ent := range entries {
		f, seen := first[ent.key]
		switch {
		case !seen:
			first[ent.key] = ent
			out = append(out, ent)
		case f.value != ent.value:
			e.add(ent.line, ent.text, "%s set again with a different value (line %d set it to %q, line %d to %q)",
				ent.key, f.line, f.value, ent.line, ent.value)
		}
	}
	return out
}

func groupByPrefix(e *errs, entries []entry) map[string][]keyed {
	groups := map[string][]keyed{}
	for _, ent := range entries {
		prefix, st, ok := splitKey(ent.key)
		if !ok {
			e.add(ent.line, ent.text, "%s", unknownKey(ent.key))
			continue
		}
		if prefix == "" {
			e.add(ent.line, ent.text, "key %s has no interface name (write it as e.g. bond0%s)", ent.key, st.suffix)
			continue
		}
		if err := checkName(prefix); err != nil {
			e.add(ent.line, ent.text, "key %s: %v", ent.key, err)
			continue
		}
		groups[prefix] = append(groups[prefix], keyed{ent, st})
	}
	return groups
}

// isMasterGroup: a name with any non-empty master setting is a master. ADDRS and
// ROUTES do not count: the seed writes empty ones for its slaves.
func isMasterGroup(g []keyed) bool {
	for _, k := range g {
		if k.scope == scopeMaster && k.value != "" {
			return true
		}
	}
	return false
}

// kindOf is the seed's rule: "br" anywhere in the name makes a bridge.
func kindOf(name string) Kind {
	if strings.Contains(name, "br") {
		return KindBridge
	}
	return KindBond
}

func buildMaster(e *errs, c *Config, name string, g []keyed) *Master {
	m := &Master{
		Name:  name,
		Kind:  kindOf(name),
		DHCP4: DHCP{Enabled: true, Client: DefaultDHCPClient},
		DHCP6: DHCP{Enabled: true, Client: DefaultDHCP6Client},
		Line:  map[string]int{},
	}
	if m.Kind == KindBond {
		m.Bond = BondOptions{Mode: DefaultMode, Miimon: DefaultMiimon, FailOverMAC: DefaultFailOverMAC, PrimaryReselect: DefaultPrimaryReselect}
	}
	slavesSet := false
	for _, k := range g {
		m.Line[k.suffix] = k.line
		bad := func(format string, args ...any) {
			e.add(k.line, k.text, "%s: %s", k.key, fmt.Sprintf(format, args...))
		}
		switch {
		case k.value == "":
			continue
		case k.scope == scopeIface:
			e.add(k.line, k.text, "%s on %s, which is a master (it is a per-slave setting)", k.suffix, name)
			continue
		case k.bond && m.Kind == KindBridge && k.suffix == sPrimary:
			bad("bridges have no primary (%s is a bridge because its name contains \"br\")", name)
			continue
		case k.bond && m.Kind == KindBridge:
			bad("%s is a bonding setting but %s is a bridge (its name contains \"br\")", k.suffix, name)
			continue
		}
		if k.suffix == sSlaves {
			slavesSet = true
		}
		k.setMaster(m, k.value, bad)
	}
	if !slavesSet {
		line := m.Line[sPrimary]
		if m.Primary != "" {
			m.Slaves = []string{m.Primary}
			c.Warnings = append(c.Warnings, fmt.Sprintf("%s:%d: %sSLAVES not set: only the primary %s will be enslaved (the seed enabled slaves with hard-linked units; list them in %sSLAVES)",
				e.path, line, name, m.Primary, name))
		} else {
			c.Warnings = append(c.Warnings, fmt.Sprintf("%s:%d: %sSLAVES not set: no interface will be enslaved", e.path, g[0].line, name))
		}
	}
	return m
}

func parseSlaves(v string, bad func(string, ...any)) []string {
	var out []string
	for _, w := range strings.Fields(v) {
		p, err := normalizePattern(w)
		if err != nil {
			bad("%v", err)
			continue
		}
		if slices.Contains(out, p) {
			bad("%q is listed twice", w)
			continue
		}
		if p == "lo" {
			// Enslaving it would first flush 127.0.0.1 and ::1 (a slave carries no
			// address), then fail: the kernel refuses loopback as a port.
			bad("lo is the loopback device, which no bond or bridge can take")
			continue
		}
		out = append(out, p)
	}
	return out
}

func parseRoutes(v string, bad func(string, ...any)) []Route {
	texts, problems := splitRoutes(v)
	for _, p := range problems {
		bad("%v", p)
	}
	var out []Route
	seen := map[routeKey]string{}
	for _, t := range texts {
		r, err := parseRoute(t)
		if err != nil {
			bad("%v", err)
			continue
		}
		k := routeKey{r.Dst, r.Table, r.Metric}
		if prev, dup := seen[k]; dup {
			bad("routes %q and %q have the same destination, table and metric: the second would replace the first", prev, t)
			continue
		}
		seen[k] = t
		out = append(out, r)
	}
	return out
}

func enumValue(v string, names []string, numbered bool, what, def string, bad func(string, ...any)) string {
	if n, ok := parseKernelEnum(v, names, numbered); ok {
		return n
	}
	bad("unknown %s %q (expected %s)", what, v, enumList(names, numbered))
	return def
}

func millisValue(v string, def int, bad func(string, ...any)) int {
	n, err := parseMillis(v)
	if err != nil {
		bad("%v", err)
		return def
	}
	return n
}

func yesNoValue(v string, def bool, bad func(string, ...any)) bool {
	b, ok := parseYesNo(v)
	if !ok {
		bad("%q is not yes or no (also accepted: true/false, on/off, 1/0)", v)
		return def
	}
	return b
}

func buildIface(e *errs, prefix string, g []keyed) *Iface {
	i := &Iface{Key: prefix, Supplicant: SupplicantAuto, SupplicantConf: DefaultSupplicantConf, Line: map[string]int{}}
	for _, k := range g {
		i.Line[k.suffix] = k.line
		if k.value == "" {
			continue
		}
		switch k.suffix {
		case sAddrs:
			e.add(k.line, k.text, "ADDRS on %s, which is not a master (slave addresses are flushed when enslaved)", prefix)
		case sRoutes:
			e.add(k.line, k.text, "ROUTES on %s, which is not a master (slave routes are flushed when enslaved)", prefix)
		default:
			k.setIface(i, k.value, func(format string, args ...any) {
				e.add(k.line, k.text, "%s: %s", k.key, fmt.Sprintf(format, args...))
			})
		}
	}
	return i
}

// check holds the rules that relate settings to each other. It works on the built
// Config (finding lines through Master.Line) so that Validate shares it.
func (c *Config) check(e *errs) {
	names := c.MasterNames()
	for _, name := range names {
		m := c.Masters[name]
		slavesLine := m.Line[sSlaves]
		if slavesLine == 0 {
			slavesLine = m.Line[sPrimary]
		}
		for _, p := range m.Slaves {
			// A name written literally is looked up; only a glob is tried against
			// every master (a file of many masters must not cost their square).
			candidates := names
			if !hasMeta(p) {
				candidates = nil
				if _, ok := c.Masters[p]; ok {
					candidates = []string{p}
				}
			}
			for _, other := range candidates {
				if ok, _ := path.Match(p, other); !ok {
					continue
				}
				if other == name {
					e.add(slavesLine, "", "%sSLAVES: %q matches the master %s itself", name, p, name)
				} else {
					e.add(slavesLine, "", "%sSLAVES: %q matches %s, which is a master", name, p, other)
				}
			}
		}
		if m.Primary != "" {
			line := m.Line[sPrimary]
			switch {
			case m.Kind == KindBridge:
				e.add(line, "", "%sPRIMARY: bridges have no primary", name)
			case m.Primary == name:
				e.add(line, "", "%sPRIMARY: the primary of %s cannot be %s itself", name, name, name)
			case !matchesAny(m.Slaves, m.Primary):
				e.add(line, "", "%sPRIMARY: %s is not among %sSLAVES (%s)", name, m.Primary, name, strings.Join(m.Slaves, " "))
			}
			if m.Kind == KindBond && !UsesPrimary(m.Bond.Mode) {
				e.add(line, "", "%sPRIMARY: mode %s has no primary (only active-backup, balance-tlb and balance-alb do)", name, m.Bond.Mode)
			}
		}
		if m.Kind == KindBond {
			checkDelay(e, m, sUpdelay, m.Bond.Updelay)
			checkDelay(e, m, sDowndelay, m.Bond.Downdelay)
		}
	}
}

// checkDelay: the kernel rounds a delay down to a multiple of miimon (and ignores it
// without miimon), so anything else means the file says something the bond won't do.
func checkDelay(e *errs, m *Master, suffix string, d int) {
	line := m.Line[suffix]
	switch {
	case d == 0:
	case m.Bond.Miimon == 0:
		e.add(line, "", "%s%s: %d must be 0 when %sMIIMON is 0 (delays count MII monitoring intervals)", m.Name, suffix, d, m.Name)
	case d%m.Bond.Miimon != 0:
		e.add(line, "", "%s%s: %d is not a multiple of %sMIIMON %d (the kernel would round it down to %d)",
			m.Name, suffix, d, m.Name, m.Bond.Miimon, d/m.Bond.Miimon*m.Bond.Miimon)
	}
}

func matchesAny(patterns []string, name string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(p, name); ok {
			return true
		}
	}
	return false
}
