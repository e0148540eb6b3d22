// SPDX-License-Identifier: Apache-2.0

package plan

import (
	"net/netip"
	"slices"

	"github.com/bond-hotplug/bond-hotplug/lib/config"
	"github.com/bond-hotplug/bond-hotplug/lib/record"
	"github.com/bond-hotplug/bond-hotplug/lib/units"
)

// Ownership: State.Owned is the record of what runs of ours applied to the master.
// Up undoes what the record names and the file no longer asks for, in teardown order
// (units, routes, addresses, slaves), before it adds anything; what the record does
// not name is never touched. A run keeps the record true with Action.Own for each step
// it did, and with Adopt for what it finds already in place.

// Adopt brings r up to date with the state read: configured things found in place
// (a slave enslaved, an address, a route, a running unit: ours by the file, for
// example after an upgrade from a version without records) are adopted, and what no
// longer exists is forgotten (a slave unplugged or released by hand, a unit that
// stopped with its card). A unit is adopted with the command line the file asks for
// now: what an older run started it with cannot be read back.
func Adopt(in Input, st State, r *record.Record) {
	m := in.Master
	ml, exists := st.Links.Get(m.Name)
	if r.Kind == "" {
		r.Kind = string(m.Kind)
	}
	if !exists || ml.Kind != string(m.Kind) || r.Index != 0 && ml.Index != r.Index {
		// Nothing on the master remains (gone, or replaced by someone else's device
		// of that name); a record of units stays (systemd stops them).
		r.Created, r.Index, r.Primary, r.Slaves, r.Addrs, r.Routes = false, 0, "", nil, nil, nil
	}
	if exists && ml.Kind == string(m.Kind) {
		if r.Created && r.Index == 0 {
			r.Index = ml.Index
		}
		r.Slaves = slices.DeleteFunc(r.Slaves, func(s string) bool {
			l, ok := st.Links.Get(s)
			return !ok || l.Master != m.Name
		})
		for _, l := range st.Links.SlavesOf(m.Name) {
			if in.Config.SlaveOf(l.Name, m.Name) {
				r.AddSlave(l.Name)
			}
		}
		r.Addrs = slices.DeleteFunc(r.Addrs, func(a netip.Prefix) bool { return !hasAddr(st.Addrs, a) })
		for _, a := range m.Addrs {
			if hasAddr(st.Addrs, a) {
				r.AddAddr(a)
			}
		}
		// A recorded route the file now writes in other words (a src or a metric
		// dropped, onlink added) is the configured one: recorded as that.
		r.Routes = slices.DeleteFunc(r.Routes, func(rt config.Route) bool {
			return !hasRoute(st.Routes, rt) || !configuredRoute(m, rt) && routeKeptByConfig(m, st, rt)
		})
		for _, rt := range m.Routes {
			if hasRoute(st.Routes, rt) {
				r.AddRoute(rt)
			}
		}
		if st.Bond != nil && m.Primary != "" && st.Bond.Primary == m.Primary {
			r.Primary = m.Primary
		}
	}
	if st.UnitsErr != nil {
		return
	}
	for name := range r.Units {
		if !in.running(st, name) {
			r.DropUnit(name)
		}
	}
	for _, w := range wantedUnits(in, st) {
		if _, ok := r.Units[w.Name]; !ok && in.running(st, w.Name) {
			r.SetUnit(w.Name, w.ExecStart)
		}
	}
}

// wantedUnits are the specs of the units the file asks for on this master and its
// present slaves (those whose program is found).
func wantedUnits(in Input, st State) []units.Spec {
	var out []units.Spec
	m := in.Master
	if s, err := units.DHCP4(in.Programs, m.Name, m.DHCP4); err == nil && m.DHCP4.Enabled {
		out = append(out, s)
	}
	if s, err := units.DHCP6(in.Programs, m.Name, m.DHCP6); err == nil && m.DHCP6.Enabled {
		out = append(out, s)
	}
	for _, l := range slaveCandidates(nil, in, st) {
		if want, iface := wantsSupplicant(in, l); want {
			if s, err := units.WPA(in.Programs, cardOf(l), iface.SupplicantConf); err == nil {
				out = append(out, s)
			}
		}
	}
	return out
}

// restartOrNothing plans a restart of a running unit whose recorded command line
// differs from the one the file now asks for. A unit without a record (started by a
// version without records) is left running.
func restartOrNothing(p *Plan, st State, link string, spec units.Spec) {
	if st.Owned == nil {
		return
	}
	old, ok := st.Owned.Units[spec.Name]
	if ok && !slices.Equal(old, spec.ExecStart) {
		p.add(Action{Op: OpRestartUnit, Link: link, Unit: spec, Old: old})
	}
}

// planUndo removes, in teardown order, what the record names and the file no longer
// asks for on this master: supplicants of slaves no master claims any more, routes,
// addresses, slaves, and a primary no longer configured.
func planUndo(p *Plan, in Input, st State, exists bool) {
	r := st.Owned
	if r == nil {
		return
	}
	m := in.Master
	for _, u := range unclaimedSupplicants(in, r) {
		if in.running(st, u.name) {
			p.add(Action{Op: OpStopUnit, Link: u.ifname, Name: u.name, Wait: true})
		}
	}
	if !exists {
		return
	}
	for _, rt := range r.Routes {
		if !configuredRoute(m, rt) && hasRoute(st.Routes, rt) && !routeKeptByConfig(m, st, rt) {
			p.add(Action{Op: OpDelRoute, Link: m.Name, Route: rt})
		}
	}
	for _, a := range r.Addrs {
		if !slices.Contains(m.Addrs, a) && hasAddr(st.Addrs, a) {
			p.add(Action{Op: OpDelAddr, Link: m.Name, Addr: a})
		}
	}
	for _, s := range r.Slaves {
		if l, ok := st.Links.Get(s); ok && l.Master == m.Name && !in.Config.SlaveOf(s, m.Name) {
			p.add(Action{Op: OpRelease, Link: s, Master: m.Name})
			// Left up, as bond-down leaves our slaves: the bonding driver closes a
			// released slave (a bridge does not).
			if m.Kind == config.KindBond {
				p.add(Action{Op: OpLinkUp, Link: s})
			}
		}
	}
	// The kernel shows an absent primary as "": clear ours only while it shows.
	if r.Primary != "" && m.Primary == "" && st.Bond != nil && st.Bond.Primary == r.Primary {
		p.add(Action{Op: OpSetPrimary, Link: m.Name, Value: "", Was: r.Primary})
	}
}

// recordedUnit is a unit the record names, and the interface it serves.
type recordedUnit struct{ name, ifname string }

// unclaimedSupplicants are the supplicants the record names whose interface no master
// claims any more: Up stops them (those running) before any other step.
func unclaimedSupplicants(in Input, r *record.Record) []recordedUnit {
	var out []recordedUnit
	for _, name := range sortedKeys(r.Units) {
		role, ifname, ok := units.Parse(name)
		if !ok || role != units.RoleWPA {
			continue
		}
		if _, claimed := in.Config.MasterOf(ifname); !claimed {
			out = append(out, recordedUnit{name: name, ifname: ifname})
		}
	}
	return out
}

// LinksFirst says whether a run may apply the kernel steps of Up's plan (Plan.Links)
// before it has read which units run, and the unit steps after: true unless the
// record r (nil: none) names a supplicant that Up would stop first, before releasing
// its card. No kernel step of Up depends on the units, so the two parts are the
// whole plan's steps; only the supplicants' starts and stops come after the static
// addresses and routes instead of before them, which neither waits for.
func LinksFirst(in Input, r *record.Record) bool {
	return r == nil || len(unclaimedSupplicants(in, r)) == 0
}

// configuredRoute reports whether the file still asks for the recorded route.
func configuredRoute(m *config.Master, rt config.Route) bool {
	return slices.ContainsFunc(m.Routes, rt.Same)
}

// routeKeptByConfig reports a recorded route whose kernel routes are, each, also a
// route the file asks for, written in other words ("via GW src A" now "via GW", an
// IPv6 "metric 1024" written out or dropped). Deleting it would delete the configured
// route, which this plan (computed before) does not add back.
func routeKeptByConfig(m *config.Master, st State, rt config.Route) bool {
	found := false
	for _, kr := range st.Routes {
		if !RouteMatches(rt, kr) {
			continue
		}
		found = true
		if !slices.ContainsFunc(m.Routes, func(c config.Route) bool { return RouteMatches(c, kr) }) {
			return false
		}
	}
	return found
}
