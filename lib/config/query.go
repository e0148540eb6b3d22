// SPDX-License-Identifier: Apache-2.0

package config

import (
	"maps"
	"slices"
)

// The questions the rest of the program asks of a loaded Config.

// Master returns the master called name.
func (c *Config) Master(name string) (*Master, bool) {
	m, ok := c.Masters[name]
	return m, ok
}

// MasterNames returns the masters' names, sorted.
func (c *Config) MasterNames() []string {
	return slices.Sorted(maps.Keys(c.Masters))
}

// MasterOf returns the master whose SLAVES match ifname. A master is never a slave;
// when several masters match, the first by name wins.
func (c *Config) MasterOf(ifname string) (*Master, bool) {
	if _, isMaster := c.Masters[ifname]; isMaster {
		return nil, false
	}
	for _, name := range c.MasterNames() {
		if m := c.Masters[name]; matchesAny(m.Slaves, ifname) {
			return m, true
		}
	}
	return nil, false
}

// SlaveOf reports whether the configuration gives ifname to master.
func (c *Config) SlaveOf(ifname, master string) bool {
	m, ok := c.MasterOf(ifname)
	return ok && m.Name == master
}

// IfaceFor returns the settings of interface ifname (a kernel name, with '-' if it has
// one), with defaults for whatever the file does not set.
func (c *Config) IfaceFor(ifname string) Iface {
	key := KeyPrefix(ifname)
	out := Iface{Key: key, Line: map[string]int{}}
	if i, ok := c.Ifaces[key]; ok {
		out = *i
		out.Line = maps.Clone(i.Line)
		if out.Line == nil {
			out.Line = map[string]int{}
		}
	}
	if out.Supplicant == "" {
		out.Supplicant = SupplicantAuto
	}
	if out.SupplicantConf == "" {
		out.SupplicantConf = DefaultSupplicantConf
	}
	return out
}
