// SPDX-License-Identifier: Apache-2.0

package plan

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sort"

	"github.com/bond-hotplug/bond-hotplug/lib/config"
	"github.com/bond-hotplug/bond-hotplug/lib/netdev"
	"github.com/bond-hotplug/bond-hotplug/lib/record"
	"github.com/bond-hotplug/bond-hotplug/lib/units"
)

// ErrForeign is returned when a device that is not of the configured kind already uses
// the master's name. We never delete what is not ours.
var ErrForeign = errors.New("a device of another kind uses the master's name")

// State is everything a plan is computed from.
type State struct {
	Links  netdev.Snapshot
	Bond   *netdev.Bond // nil unless the master exists and is a bond
	Addrs  []netdev.Addr
	Routes []netdev.Route
	Units  map[string]units.State // every unit of ours that systemd has loaded
	// UnitsErr: systemd could not be asked, so Units is empty for lack of an answer
	// (networking is still planned; the run reports the failure).
	UnitsErr error
	// Owned is the record of what runs of ours applied to the master (nil: none).
	Owned *record.Record
	// SlavePrio is the prio of each slave of the bond whose prio the kernel reports
	// (none before Linux 6.0); read only for the modes that have one.
	SlavePrio map[string]int
}

// Input is the desired side.
type Input struct {
	Config   *config.Config
	Master   *config.Master
	Programs units.Programs
}

func (in Input) running(st State, name string) bool {
	u, ok := st.Units[name]
	return ok && u.Running()
}

// checkMaster returns the master link if present, or ErrForeign for a wrong kind.
func checkMaster(m *config.Master, st State) (netdev.Link, bool, error) {
	l, ok := st.Links.Get(m.Name)
	if !ok {
		return l, false, nil
	}
	if l.Kind != string(m.Kind) {
		return l, true, fmt.Errorf("%s is a %s, configured as a %s: %w; remove or rename it yourself", m.Name, l.Kind, m.Kind, ErrForeign)
	}
	return l, true, nil
}

// Up plans the whole desired state of a master: the master and its options, every
// configured slave that is present, supplicants, static addresses and routes, DHCP.
func Up(in Input, st State) (Plan, error) {
	m := in.Master
	p := Plan{Master: m.Name}
	ml, exists, err := checkMaster(m, st)
	if err != nil {
		return p, err
	}
	planUndo(&p, in, st, exists)
	// The slaves that will be enslaved after this plan, for supplicant decisions.
	currentSlaves := st.Links.SlavesOf(m.Name)
	if !exists {
		if m.Kind == config.KindBridge {
			p.add(Action{Op: OpCreateBridge, Link: m.Name})
		} else {
			p.add(Action{Op: OpCreateBond, Link: m.Name, Bond: m.Bond})
		}
		currentSlaves = nil
	} else if m.Kind == config.KindBond && st.Bond != nil {
		currentSlaves = planBondOptions(&p, m, ml, *st.Bond, currentSlaves)
	}
	if m.Kind == config.KindBond && m.Primary != "" && config.UsesPrimary(m.Bond.Mode) &&
		primaryNeeded(m, st, exists) {
		p.add(Action{Op: OpSetPrimary, Link: m.Name, Value: m.Primary})
	}
	// A rebuild already brought the bond up again.
	if !exists || !ml.AdminUp && !rebuilt(p) {
		p.add(Action{Op: OpLinkUp, Link: m.Name})
	}
	planSlaves(&p, in, st, currentSlaves)
	planSupplicants(&p, in, st)
	planStatic(&p, m, st, exists)
	planDHCP(&p, in, st)
	return p, nil
}

// primaryNeeded says whether the bond's primary must be written. The kernel keeps a
// primary's name while that device is absent, but shows it (sysfs, netlink, procfs)
// only while the device is a slave: an absent primary always reads as "". So a new
// bond gets the name at once (the kernel then makes the wired NIC active the moment it
// is enslaved, as the seed's master unit does), an existing one only when its primary
// is present, and so about to be enslaved or already a slave, or when it shows another
// primary (PRIMARY changed while the new NIC is unplugged). Otherwise every run
// while the cable is out would write the same name again, and a converged system
// would never say "nothing to do".
func primaryNeeded(m *config.Master, st State, exists bool) bool {
	if !exists || st.Bond == nil {
		return true
	}
	if _, present := st.Links.Get(m.Primary); !present {
		// Absent, it reads as "" once written; any other name shown is an old primary
		// (a slave, so it shows) that would stay preferred: write ours over it.
		return st.Bond.Primary != ""
	}
	return st.Bond.Primary != m.Primary
}

// rebuilt reports whether the plan took the bond down to change mode or fail_over_mac.
func rebuilt(p Plan) bool { return p.DropsState() }

// planBondOptions brings an existing bond's options to the configured ones. The kernel
// accepts a new mode only while the bond is down and fail_over_mac only while it has
// no slaves, so a wrong one (a bond0 made by loading the module: balance-rr) is
// repaired by releasing the slaves, taking it down, and enslaving again afterwards.
// It returns the slaves the bond still has after these steps.
func planBondOptions(p *Plan, m *config.Master, ml netdev.Link, b netdev.Bond, slaves []netdev.Link) []netdev.Link {
	want := m.Bond
	rebuild := b.Mode != want.Mode || b.FailOverMAC != want.FailOverMAC
	if rebuild {
		for _, s := range slaves {
			p.add(Action{Op: OpRelease, Link: s.Name, Master: m.Name})
		}
		slaves = nil
		if ml.AdminUp {
			p.add(Action{Op: OpLinkDown, Link: m.Name})
		}
	}
	have := b.Options()
	for _, opt := range netdev.BondOpts {
		if opt == netdev.OptPrimaryReselect && !config.UsesPrimary(want.Mode) {
			continue
		}
		if was := opt.Of(have); opt.Of(want) != was {
			p.add(Action{Op: OpSetBondOption, Link: m.Name, Opt: opt, Bond: want, Was: was})
		}
	}
	if rebuild {
		p.add(Action{Op: OpLinkUp, Link: m.Name})
	}
	return slaves
}

// isMasterName reports whether name is a configured master (never a slave).
func isMasterName(c *config.Config, name string) bool {
	_, ok := c.Master(name)
	return ok
}

// slaveCandidates are the present links the configuration makes slaves of this master.
func slaveCandidates(p *Plan, in Input, st State) []netdev.Link {
	var out []netdev.Link
	for _, l := range st.Links.Links {
		if l.Name == in.Master.Name || isMasterName(in.Config, l.Name) {
			continue
		}
		if !in.Config.SlaveOf(l.Name, in.Master.Name) {
			continue
		}
		// A glob ('l*', 'w*') may match a device no bond or bridge can take:
		// loopback above all, whose addresses the enslaving would flush first.
		// Only a name written out is tried as written (the config check refuses lo).
		if l.Unportable != "" && !slices.Contains(in.Master.Slaves, l.Name) {
			if p != nil { // once a plan: planSlaves says it
				p.note("%s matches %sSLAVES but is a %s device, which a bond or bridge cannot take: left alone", l.Name, in.Master.Name, l.Unportable)
			}
			continue
		}
		out = append(out, l)
	}
	return out
}

func planSlaves(p *Plan, in Input, st State, current []netdev.Link) {
	m := in.Master
	enslaved := map[string]bool{}
	for _, s := range current {
		enslaved[s.Name] = true
	}
	for _, l := range slaveCandidates(p, in, st) {
		switch {
		case !l.Initialized:
			p.note("%s is not yet initialized by udev (it may still be renamed): its add event will enslave it", l.Name)
		case enslaved[l.Name] && !l.AdminUp && l.RFKill.Blocked():
			// cfg80211 set it down at the block and refuses to open it until the
			// unblock, whose udev event runs us again (airplane mode).
			p.Info = append(p.Info, fmt.Sprintf("%s: radio blocked by rfkill (%s): set up when unblocked", l.Name, l.RFKill))
		case enslaved[l.Name]:
			if have, ok := st.SlavePrio[l.Name]; ok && PrioApplies(m) && have != m.SlavePrio(l.Name) {
				p.add(Action{Op: OpSetSlavePrio, Link: l.Name, Prio: m.SlavePrio(l.Name)})
			}
			if !l.AdminUp {
				p.add(Action{Op: OpLinkUp, Link: l.Name})
			}
		case blockedForBond(m, l):
			p.Info = append(p.Info, fmt.Sprintf("%s: radio blocked by rfkill (%s): enslaved when unblocked", l.Name, l.RFKill))
		case l.Master != "" && l.Master != m.Name:
			p.note("%s is enslaved to %s, not %s: left alone", l.Name, l.Master, m.Name)
			p.HeldBy = append(p.HeldBy, l.Master)
		default:
			// The bonding driver refuses a slave that is up; a bridge does not care.
			if m.Kind == config.KindBond && l.AdminUp {
				p.add(Action{Op: OpLinkDown, Link: l.Name})
			}
			if len(l.Addrs) > 0 {
				p.add(Action{Op: OpFlushAddrs, Link: l.Name, Value: joinPrefixes(l.Addrs)})
			}
			p.add(Action{Op: OpEnslave, Link: l.Name, Master: m.Name})
			// Before it is up: the kernel's choice of an active slave, when its link
			// comes, already knows it.
			if prio := m.SlavePrio(l.Name); prio != 0 && PrioApplies(m) {
				p.add(Action{Op: OpSetSlavePrio, Link: l.Name, Prio: prio})
			}
			if !l.RFKill.Blocked() { // a bridge takes a blocked port, down
				p.add(Action{Op: OpLinkUp, Link: l.Name})
			}
		}
	}
}

// PrioApplies says whether the master's slaves get a prio from the order of SLAVES:
// the bonding driver has it in the modes with a primary only.
func PrioApplies(m *config.Master) bool {
	return m.Kind == config.KindBond && config.UsesPrimary(m.Bond.Mode)
}

// blockedForBond reports a slave that a bond cannot take yet: the bonding driver opens
// each new slave, and cfg80211 refuses to open a wireless interface whose radio is
// blocked (ERFKILL). Such a card at boot must not hold up the others.
func blockedForBond(m *config.Master, l netdev.Link) bool {
	return m.Kind == config.KindBond && l.RFKill.Blocked() && l.Master != m.Name
}

// wantsSupplicant applies the SUPPLICANT setting.
func wantsSupplicant(in Input, l netdev.Link) (bool, config.Iface) {
	iface := in.Config.IfaceFor(l.Name)
	switch iface.Supplicant {
	case config.SupplicantYes:
		return true, iface
	case config.SupplicantNo:
		return false, iface
	}
	return l.Wireless, iface
}

func planSupplicants(p *Plan, in Input, st State) {
	for _, l := range slaveCandidates(nil, in, st) {
		if !l.Initialized || (l.Master != "" && l.Master != in.Master.Name) {
			continue
		}
		want, iface := wantsSupplicant(in, l)
		name := units.Name(units.RoleWPA, l.Name)
		if want && !in.running(st, name) && blockedForBond(in.Master, l) {
			// Started with the enslaving, once unblocked: a supplicant that brings
			// the card up at the unblock would only race the enslaving, which needs
			// it down.
			continue
		}
		spec := func() (units.Spec, error) { return units.WPA(in.Programs, cardOf(l), iface.SupplicantConf) }
		if u, loaded := st.Units[name]; want && loaded && u.Active != "" && servesAnotherCard(u, l) {
			// The card was swapped (or its driver reloaded) and systemd has not yet
			// stopped and collected the old card's supplicant: no event follows, so
			// this run replaces it (units.Card), whether it still runs or is on its
			// way down (a start would find it loaded, bound to the old card).
			if s, err := spec(); err == nil {
				p.add(Action{Op: OpRestartUnit, Link: l.Name, Unit: s, Value: "it serves a card that is gone"})
			}
			continue
		}
		planUnit(p, in, st, l.Name, units.RoleWPA, want, false, spec)
	}
	// A supplicant whose card is gone: systemd stops it through BindsTo, but a run
	// may come first; stopping it here lets any full run stand in for a remove event.
	for _, u := range supplicantsOf(in, st) {
		if _, present := st.Links.Get(u.ifname); !present && u.Running() {
			p.add(Action{Op: OpStopUnit, Link: u.ifname, Name: u.Name})
		}
	}
}

// cardOf is the card a supplicant for link l serves.
func cardOf(l netdev.Link) units.Card {
	return units.Card{Name: l.Name, Index: l.Index, Path: l.Device}
}

// servesAnotherCard reports a supplicant unit started for a card other than l, which
// has the same name: its description names another index. A unit that names none
// (an older version's) is taken to serve l.
func servesAnotherCard(u units.State, l netdev.Link) bool {
	idx, ok := units.CardIndex(u.Description)
	return ok && idx != l.Index
}

// supplicant is a loaded bond-wpa unit and the interface it serves.
type supplicant struct {
	units.State
	ifname string
}

// supplicantsOf returns the loaded supplicant units of the master's configured
// slaves, present or not, by unit name (st.Units is a map: plans must be stable).
func supplicantsOf(in Input, st State) []supplicant {
	var out []supplicant
	for name, u := range st.Units {
		role, ifname, ok := units.Parse(name)
		if ok && role == units.RoleWPA && in.Config.SlaveOf(ifname, in.Master.Name) {
			out = append(out, supplicant{State: u, ifname: ifname})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func hasAddr(addrs []netdev.Addr, a netip.Prefix) bool {
	for _, x := range addrs {
		if x.Prefix == a {
			return true
		}
	}
	return false
}

// RouteMatches reports whether a kernel route is the configured one (in its normal
// form: config.Route.Normal); a route written without src matches any.
func RouteMatches(c config.Route, r netdev.Route) bool {
	n := c.Normal()
	return r.Dst == n.Dst && r.Via == n.Via && r.Table == n.Table && r.Metric == n.Metric &&
		(!n.Src.IsValid() || r.Src == n.Src)
}

func hasRoute(routes []netdev.Route, c config.Route) bool {
	for _, r := range routes {
		if RouteMatches(c, r) {
			return true
		}
	}
	return false
}

func planStatic(p *Plan, m *config.Master, st State, exists bool) {
	for _, a := range m.Addrs {
		if !exists || !hasAddr(st.Addrs, a) {
			p.add(Action{Op: OpAddAddr, Link: m.Name, Addr: a})
		}
	}
	// Routes after addresses: a gateway must be reachable before its route is added.
	for _, r := range m.Routes {
		if !exists || !hasRoute(st.Routes, r) {
			p.add(Action{Op: OpReplaceRoute, Link: m.Name, Route: r})
		}
	}
}

func planDHCP(p *Plan, in Input, st State) {
	m := in.Master
	for _, d := range []struct {
		role units.Role
		cfg  config.DHCP
		spec func(units.Programs, string, config.DHCP) (units.Spec, error)
	}{
		{units.RoleDHCP4, m.DHCP4, units.DHCP4},
		{units.RoleDHCP6, m.DHCP6, units.DHCP6},
	} {
		// A DHCP client's stop is waited for: it releases its lease first.
		planUnit(p, in, st, m.Name, d.role, d.cfg.Enabled, true, func() (units.Spec, error) {
			return d.spec(in.Programs, m.Name, d.cfg)
		})
	}
}

// planUnit plans the unit of role on link: started when wanted and not running,
// restarted when its command line changed (restartOrNothing), stopped when running
// and not wanted (waitStop: the next steps wait for the stop). A spec that cannot be
// made (a program missing) is a problem only while the unit does not run: a running
// one is left alone.
func planUnit(p *Plan, in Input, st State, link string, role units.Role, want, waitStop bool, spec func() (units.Spec, error)) {
	name := units.Name(role, link)
	running := in.running(st, name)
	switch {
	case want:
		s, err := spec()
		if err != nil {
			if !running {
				p.Problems = append(p.Problems, fmt.Errorf("start %s: %w", name, err))
			}
			return
		}
		if running {
			restartOrNothing(p, st, link, s)
		} else {
			p.add(Action{Op: OpStartUnit, Link: link, Unit: s})
		}
	case running:
		p.add(Action{Op: OpStopUnit, Link: link, Name: name, Wait: waitStop})
	}
}

func joinPrefixes(ps []netip.Prefix) string {
	out := ""
	for i, p := range ps {
		if i > 0 {
			out += " "
		}
		out += p.String()
	}
	return out
}
