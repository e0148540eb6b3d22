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
//
// Every plan asks this of every link, so it must not cost a pass over all masters:
// names written literally are looked up in a map, and only masters with a glob
// pattern are tried in turn (see slaveIndex).
func (c *Config) MasterOf(ifname string) (*Master, bool) {
	if _, isMaster := c.Masters[ifname]; isMaster {
		return nil, false
	}
	x := c.index()
	best := -1
	if i, ok := x.literal[ifname]; ok {
		best = i
	}
	for _, i := range x.globbed {
		if best >= 0 && i > best {
			break
		}
		if matchesAny(x.order[i].Slaves, ifname) {
			best = i
			break
		}
	}
	if best < 0 {
		return nil, false
	}
	return x.order[best], true
}

// slaveIndex answers MasterOf: the masters in name order, the first (by that order)
// that names each literal slave, and the masters that have a glob pattern.
type slaveIndex struct {
	n       int // len(Masters) when built: a Config changed since is indexed again
	order   []*Master
	literal map[string]int
	globbed []int
}

func (c *Config) index() *slaveIndex {
	if c.slaves != nil && c.slaves.n == len(c.Masters) {
		return c.slaves
	}
	x := &slaveIndex{n: len(c.Masters), literal: map[string]int{}}
	for i, name := range c.MasterNames() {
		m := c.Masters[name]
		x.order = append(x.order, m)
		glob := false
		for _, p := range m.Slaves {
			if hasMeta(p) {
				glob = true
			} else if _, ok := x.literal[p]; !ok {
				x.literal[p] = i
			}
		}
		if glob {
			x.globbed = append(x.globbed, i)
		}
	}
	c.slaves = x
	return x
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

// SlavePrio is the bonding driver's per-slave prio that the order of SLAVES gives
// ifname: the first entry that matches it counts, and earlier entries are preferred
// (`bond0SLAVES='enx* eth0 wl*'`: a dock's or USB adapter's NIC, then the built-in
// one, then Wi-Fi), so with n entries the first gets n and the last 1. The kernel
// prefers, among the slaves with link, the one with the highest prio when the primary
// has no link or is absent. A list of one entry gives every slave the kernel's
// default, 0; so does a name no entry matches.
func (m *Master) SlavePrio(ifname string) int {
	if len(m.Slaves) < 2 {
		return 0
	}
	for i, p := range m.Slaves {
		if matchesAny([]string{p}, ifname) {
			return len(m.Slaves) - i
		}
	}
	return 0
}
