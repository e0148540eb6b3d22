package plan

import (
	"sort"

	"github.com/bond-hotplug/bond-hotplug/lib/config"
	"github.com/bond-hotplug/bond-hotplug/lib/units"
)

// Down plans the teardown of a master, in the seed's order: DHCP clients release their
// leases and stop, then static routes, then addresses go, then the slaves are released
// (and left up), then the master is deleted. Supplicants stay unless stopSupplicants.
func Down(in Input, st State, stopSupplicants bool) (Plan, error) {
	m := in.Master
	p := Plan{Master: m.Name}
	_, exists, err := checkMaster(m, st)
	if err != nil {
		return p, err
	}
	for _, role := range []units.Role{units.RoleDHCP4, units.RoleDHCP6} {
		name := units.Name(role, m.Name)
		if _, loaded := st.Units[name]; loaded {
			p.add(Action{Op: OpStopUnit, Link: m.Name, Name: name, Wait: true})
		}
	}
	if exists {
		for _, r := range m.Routes {
			if hasRoute(st.Routes, r) {
				p.add(Action{Op: OpDelRoute, Link: m.Name, Route: r})
			}
		}
		for _, a := range m.Addrs {
			if hasAddr(st.Addrs, a) {
				p.add(Action{Op: OpDelAddr, Link: m.Name, Addr: a})
			}
		}
		for _, s := range st.Links.SlavesOf(m.Name) {
			p.add(Action{Op: OpRelease, Link: s.Name, Master: m.Name})
			// Configured slaves stay up, as the seed's slave units left them: a
			// supplicant keeps its association. A port someone else added is only
			// released (deleting the master would release it anyway).
			if in.Config.SlaveOf(s.Name, m.Name) {
				p.add(Action{Op: OpLinkUp, Link: s.Name})
			}
		}
		p.add(Action{Op: OpDeleteMaster, Link: m.Name})
	}
	if stopSupplicants {
		for _, u := range supplicantsOf(in, st) {
			if u.Active != "" {
				p.add(Action{Op: OpStopUnit, Link: u.ifname, Name: u.Name, Wait: true})
			}
		}
	}
	return p, nil
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
