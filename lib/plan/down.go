// SPDX-License-Identifier: Apache-2.0

package plan

import (
	"slices"
	"sort"

	"github.com/bond-hotplug/bond-hotplug/lib/config"
	"github.com/bond-hotplug/bond-hotplug/lib/record"
	"github.com/bond-hotplug/bond-hotplug/lib/units"
)

// Down plans the teardown of a master, in the seed's order: DHCP clients release their
// leases and stop, then static routes, then addresses go, then the slaves are released
// (and left up), then the master is deleted. Supplicants stay unless stopSupplicants.
// What is torn down is what the file configures and what the record (st.Owned) names:
// a master only a record names (renamed or removed from the file) goes the same way,
// and is deleted only if a run of ours created it.
func Down(in Input, st State, stopSupplicants bool) (Plan, error) {
	m := in.Master
	p := Plan{Master: m.Name}
	ml, exists, err := checkMaster(m, st)
	if err != nil {
		return p, err
	}
	rec := st.Owned
	if rec == nil {
		rec = &record.Record{}
	}
	if exists && rec.Index != 0 && ml.Index != rec.Index {
		// Ours was deleted and someone made a device of that name since: nothing
		// the record names is on it.
		p.note("%s is not the %s bond-hotplug created (ifindex %d, recorded %d): the record's slaves, addresses and routes are not on it", m.Name, m.Kind, ml.Index, rec.Index)
		rec = &record.Record{Units: rec.Units}
	}
	_, isConfigured := in.Config.Master(m.Name)
	// Without a unit listing, the DHCP units are stopped by name (names are
	// deterministic; stopping one that is not loaded succeeds): skipping them would
	// delete the master with its leases unreleased. If the stop fails, the run stops
	// there (a waited stop) and the master stays.
	if st.UnitsErr != nil {
		p.Notes = append(p.Notes, "cannot list units: stopping the DHCP units by name")
	}
	for _, role := range []units.Role{units.RoleDHCP4, units.RoleDHCP6} {
		name := units.Name(role, m.Name)
		if _, loaded := st.Units[name]; loaded || st.UnitsErr != nil {
			p.add(Action{Op: OpStopUnit, Link: m.Name, Name: name, Wait: true})
		}
	}
	ours := func(slave string) bool { return in.Config.SlaveOf(slave, m.Name) || rec.HasSlave(slave) }
	if exists {
		routes := append(slices.Clone(m.Routes), rec.Routes...)
		for i, r := range routes {
			dup := slices.ContainsFunc(routes[:i], r.Same)
			if !dup && hasRoute(st.Routes, r) {
				p.add(Action{Op: OpDelRoute, Link: m.Name, Route: r})
			}
		}
		addrs := append(slices.Clone(m.Addrs), rec.Addrs...)
		for i, a := range addrs {
			if !slices.Contains(addrs[:i], a) && hasAddr(st.Addrs, a) {
				p.add(Action{Op: OpDelAddr, Link: m.Name, Addr: a})
			}
		}
		deleting := isConfigured || rec.Created
		for _, s := range st.Links.SlavesOf(m.Name) {
			if !deleting && !ours(s.Name) {
				continue // not ours, on a master that stays: left alone
			}
			p.add(Action{Op: OpRelease, Link: s.Name, Master: m.Name})
			// Our slaves stay up, as the seed's slave units left them: a
			// supplicant keeps its association. A port someone else added is only
			// released (deleting the master would release it anyway).
			if ours(s.Name) {
				p.add(Action{Op: OpLinkUp, Link: s.Name})
			}
		}
		if deleting {
			p.add(Action{Op: OpDeleteMaster, Link: m.Name})
		} else {
			p.note("%s was not created by bond-hotplug and is no longer configured: what was ours on it is undone, the %s stays", m.Name, m.Kind)
		}
	}
	if stopSupplicants {
		stopped := map[string]bool{}
		for _, u := range supplicantsOf(in, st) {
			if u.Active != "" {
				p.add(Action{Op: OpStopUnit, Link: u.ifname, Name: u.Name, Wait: true})
				stopped[u.Name] = true
			}
		}
		for _, name := range sortedKeys(rec.Units) {
			role, ifname, ok := units.Parse(name)
			if _, loaded := st.Units[name]; ok && role == units.RoleWPA && loaded && !stopped[name] {
				p.add(Action{Op: OpStopUnit, Link: ifname, Name: name, Wait: true})
			}
		}
	}
	return p, nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Removed plans what a remove event for ifname asks: the device is gone, the kernel
// has already dropped it from its master, and systemd stops units bound to it; we stop
// its units explicitly too (the event may come before systemd noticed) and touch
// nothing else. If a device of that name is present again (the remove arrived after the
// next add), there is nothing to stop: the caller plans an add instead.
func Removed(c *config.Config, ifname string, st State) Plan {
	p := Plan{Master: ifname}
	if mm, ok := c.MasterOf(ifname); ok {
		p.Master = mm.Name
	}
	for name, u := range st.Units {
		_, unitIf, ok := units.Parse(name)
		if ok && unitIf == ifname && u.Running() {
			p.add(Action{Op: OpStopUnit, Link: ifname, Name: name})
		}
	}
	sortByName(p.Actions)
	return p
}

func sortByName(as []Action) {
	sort.Slice(as, func(i, j int) bool { return as[i].Name < as[j].Name })
}
