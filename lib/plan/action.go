// SPDX-License-Identifier: Apache-2.0

// Package plan owns the decisions: given the configuration of one master and the
// kernel's and systemd's current state, which actions bring the system to the desired
// state. It is pure (state in, plan out), so every decision is tested without root,
// and a plan is printed as is by --dry-run.
package plan

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/bond-hotplug/bond-hotplug/lib/config"
	"github.com/bond-hotplug/bond-hotplug/lib/netdev"
	"github.com/bond-hotplug/bond-hotplug/lib/record"
	"github.com/bond-hotplug/bond-hotplug/lib/units"
)

// Op is the kind of an action.
type Op int

const (
	OpCreateBond Op = iota
	OpCreateBridge
	OpSetBondOption // Opt, Bond (the wanted options), Was: current value
	OpSetPrimary    // Value ("" clears it)
	OpLinkDown
	OpLinkUp
	OpEnslave
	OpRelease
	OpAddAddr
	OpDelAddr
	OpReplaceRoute
	OpDelRoute
	OpStartUnit
	OpStopUnit
	OpDeleteMaster
	OpFlushAddrs
	OpRestartUnit  // Unit (the new one), Old: the command line it runs now
	OpSetSlavePrio // Prio
	numOps
)

// Action is one step. Only the fields its Op needs are set.
type Action struct {
	Op     Op
	Link   string // the interface acted on (the master for master-wide steps)
	Master string
	Opt    netdev.BondOpt
	Value  string
	Was    string
	Bond   config.BondOptions
	Addr   netip.Prefix
	Route  config.Route
	Unit   units.Spec // OpStartUnit, OpRestartUnit
	Name   string     // OpStopUnit
	Wait   bool       // OpStopUnit: wait until it has stopped
	Old    []string   // OpRestartUnit: the command line it runs now (or Value: why)
	Prio   int        // OpSetSlavePrio
}

// Effects is what applying a plan changes: the kernel and the unit manager.
type Effects interface {
	netdev.Kernel
	StartUnit(ctx context.Context, s units.Spec) error
	StopUnit(ctx context.Context, name string, wait bool) error
}

// step is everything about one kind of action, in one place: how it reads, what it
// does, and what it changes in the record of what we own.
type step struct {
	text  func(a Action) string
	apply func(ctx context.Context, a Action, fx Effects) error
	// own updates the record after the step succeeded (nil: it owns nothing).
	own func(a Action, r *record.Record)
}

var steps = [numOps]step{
	OpCreateBond: {
		text: func(a Action) string {
			b := a.Bond
			return fmt.Sprintf("create bond %s (mode %s, miimon %d, fail_over_mac %s, primary_reselect %s, updelay %d, downdelay %d)",
				a.Link, b.Mode, b.Miimon, b.FailOverMAC, b.PrimaryReselect, b.Updelay, b.Downdelay)
		},
		apply: func(_ context.Context, a Action, fx Effects) error { return fx.CreateBond(a.Link, a.Bond) },
		own:   func(a Action, r *record.Record) { r.Created, r.Kind = true, string(config.KindBond) },
	},
	OpCreateBridge: {
		text:  func(a Action) string { return "create bridge " + a.Link },
		apply: func(_ context.Context, a Action, fx Effects) error { return fx.CreateBridge(a.Link) },
		own:   func(a Action, r *record.Record) { r.Created, r.Kind = true, string(config.KindBridge) },
	},
	OpSetBondOption: {
		text: func(a Action) string {
			return fmt.Sprintf("set %s %s %s (was %s)", a.Link, a.Opt, a.Opt.Of(a.Bond), a.Was)
		},
		apply: func(_ context.Context, a Action, fx Effects) error { return fx.SetBondOption(a.Link, a.Opt, a.Bond) },
	},
	OpSetPrimary: {
		text: func(a Action) string {
			if a.Value == "" {
				return fmt.Sprintf("clear %s primary (was %s)", a.Link, a.Was)
			}
			return fmt.Sprintf("set %s primary %s", a.Link, a.Value)
		},
		apply: func(_ context.Context, a Action, fx Effects) error { return fx.SetPrimary(a.Link, a.Value) },
		own:   func(a Action, r *record.Record) { r.Primary = a.Value },
	},
	OpLinkDown: {
		text:  func(a Action) string { return fmt.Sprintf("set %s down", a.Link) },
		apply: func(_ context.Context, a Action, fx Effects) error { return fx.SetDown(a.Link) },
	},
	OpLinkUp: {
		text:  func(a Action) string { return fmt.Sprintf("set %s up", a.Link) },
		apply: func(_ context.Context, a Action, fx Effects) error { return fx.SetUp(a.Link) },
	},
	OpEnslave: {
		text:  func(a Action) string { return fmt.Sprintf("enslave %s to %s", a.Link, a.Master) },
		apply: func(_ context.Context, a Action, fx Effects) error { return fx.Enslave(a.Link, a.Master) },
		own:   func(a Action, r *record.Record) { r.AddSlave(a.Link) },
	},
	OpRelease: {
		text:  func(a Action) string { return fmt.Sprintf("release %s from %s", a.Link, a.Master) },
		apply: func(_ context.Context, a Action, fx Effects) error { return fx.Release(a.Link) },
		own:   func(a Action, r *record.Record) { r.DropSlave(a.Link) },
	},
	OpAddAddr: {
		text:  func(a Action) string { return fmt.Sprintf("add address %s to %s", a.Addr, a.Link) },
		apply: func(_ context.Context, a Action, fx Effects) error { return fx.AddAddr(a.Link, a.Addr) },
		own:   func(a Action, r *record.Record) { r.AddAddr(a.Addr) },
	},
	OpDelAddr: {
		text:  func(a Action) string { return fmt.Sprintf("delete address %s from %s", a.Addr, a.Link) },
		apply: func(_ context.Context, a Action, fx Effects) error { return fx.DelAddr(a.Link, a.Addr) },
		own:   func(a Action, r *record.Record) { r.DropAddr(a.Addr) },
	},
	OpReplaceRoute: {
		text:  func(a Action) string { return fmt.Sprintf("add route %q on %s", a.Route.Text, a.Link) },
		apply: func(_ context.Context, a Action, fx Effects) error { return fx.ReplaceRoute(a.Link, a.Route) },
		own:   func(a Action, r *record.Record) { r.AddRoute(a.Route) },
	},
	OpDelRoute: {
		text:  func(a Action) string { return fmt.Sprintf("delete route %q from %s", a.Route.Text, a.Link) },
		apply: func(_ context.Context, a Action, fx Effects) error { return fx.DelRoute(a.Link, a.Route) },
		own:   func(a Action, r *record.Record) { r.DropRoute(a.Route) },
	},
	OpStartUnit: {
		text:  func(a Action) string { return "start " + a.Unit.String() },
		apply: func(ctx context.Context, a Action, fx Effects) error { return fx.StartUnit(ctx, a.Unit) },
		own:   func(a Action, r *record.Record) { r.SetUnit(a.Unit.Name, a.Unit.ExecStart) },
	},
	OpStopUnit: {
		text: func(a Action) string {
			if a.Wait {
				return "stop " + a.Name + " and wait"
			}
			return "stop " + a.Name
		},
		apply: func(ctx context.Context, a Action, fx Effects) error { return fx.StopUnit(ctx, a.Name, a.Wait) },
		own:   func(a Action, r *record.Record) { r.DropUnit(a.Name) },
	},
	OpRestartUnit: {
		text: func(a Action) string {
			if a.Value != "" {
				return fmt.Sprintf("restart %s (%s)", a.Unit, a.Value)
			}
			return fmt.Sprintf("restart %s (was: %s)", a.Unit, strings.Join(a.Old, " "))
		},
		// Stop and wait first: a DHCP client releases its lease with the old command
		// line, and the new unit must not find the old one still loaded.
		apply: func(ctx context.Context, a Action, fx Effects) error {
			if err := fx.StopUnit(ctx, a.Unit.Name, true); err != nil {
				return err
			}
			return fx.StartUnit(ctx, a.Unit)
		},
		own: func(a Action, r *record.Record) { r.SetUnit(a.Unit.Name, a.Unit.ExecStart) },
	},
	OpDeleteMaster: {
		text:  func(a Action) string { return "delete " + a.Link },
		apply: func(_ context.Context, a Action, fx Effects) error { return fx.DeleteLink(a.Link) },
		own: func(a Action, r *record.Record) {
			*r = record.Record{Master: r.Master, Kind: r.Kind, Up: r.Up, Units: r.Units}
		},
	},
	OpSetSlavePrio: {
		text:  func(a Action) string { return fmt.Sprintf("set %s prio %d", a.Link, a.Prio) },
		apply: func(_ context.Context, a Action, fx Effects) error { return fx.SetSlavePrio(a.Link, a.Prio) },
	},
	OpFlushAddrs: {
		text:  func(a Action) string { return fmt.Sprintf("flush addresses of %s (%s)", a.Link, a.Value) },
		apply: func(_ context.Context, a Action, fx Effects) error { return fx.FlushAddrs(a.Link) },
	},
}

func (a Action) step() (step, bool) {
	if a.Op < 0 || a.Op >= numOps || steps[a.Op].text == nil {
		return step{}, false
	}
	return steps[a.Op], true
}

// String renders the action for logs, --dry-run and golden tests.
func (a Action) String() string {
	if s, ok := a.step(); ok {
		return s.text(a)
	}
	return fmt.Sprintf("unknown action %d", a.Op)
}

// Apply does the action.
func (a Action) Apply(ctx context.Context, fx Effects) error {
	if s, ok := a.step(); ok {
		return s.apply(ctx, a, fx)
	}
	return fmt.Errorf("unknown action %d", a.Op)
}

// Own notes in r what the action, now done, made ours or no longer ours.
func (a Action) Own(r *record.Record) {
	if s, ok := a.step(); ok && s.own != nil {
		s.own(a, r)
	}
}

// IsUnit reports a step of the unit manager: its failure does not stop the network
// steps (the run fails at the end).
func (a Action) IsUnit() bool {
	return a.Op == OpStartUnit || a.Op == OpStopUnit || a.Op == OpRestartUnit
}

// Creates reports a step that creates the master.
func (a Action) Creates() bool { return a.Op == OpCreateBond || a.Op == OpCreateBridge }

// Plan is what one run will do for one master.
type Plan struct {
	Master  string
	Actions []Action
	// Notes are things the run saw and deliberately left alone, for the user.
	Notes []string
	// Info is why a run does nothing that is expected to (a master that is not up):
	// printed like a note, logged as information, not as a warning.
	Info []string
	// Problems are parts of the desired state that cannot be reached (a helper program
	// is not installed). The rest of the plan is still applied; the run then fails.
	Problems []error
	// HeldBy names the other masters that hold a slave the file gives this one (one
	// entry per slave): if one of them is about to release it (the file moved the
	// slave), a run of this master after that one enslaves it.
	HeldBy []string
}

// DropsState reports a plan that set its master down: the kernel then deleted the
// IPv4 routes through it and, with keep_addr_on_down=0, its IPv6 addresses, which this
// plan (computed before) does not add back. The caller reads the state and plans again.
func (p Plan) DropsState() bool {
	for _, a := range p.Actions {
		if a.Op == OpLinkDown && a.Link == p.Master {
			return true
		}
	}
	return false
}

// DeletesAddrs reports a plan that deletes an address of its master: the last IPv4
// address gone, the kernel deletes the master's IPv4 routes, which this plan (computed
// before) found in place and does not add back. A run that converges the whole master
// reads the state and plans again.
func (p Plan) DeletesAddrs() bool {
	for _, a := range p.Actions {
		if a.Op == OpDelAddr && a.Link == p.Master {
			return true
		}
	}
	return false
}

// Links is the plan's kernel steps, in order, without its unit steps, notes and
// problems (see LinksFirst).
func (p Plan) Links() Plan {
	out := Plan{Master: p.Master}
	for _, a := range p.Actions {
		if !a.IsUnit() {
			out.add(a)
		}
	}
	return out
}

// Empty reports a converged system.
func (p Plan) Empty() bool { return len(p.Actions) == 0 }

// String renders the plan, one action a line, notes last.
func (p Plan) String() string {
	var b strings.Builder
	for _, a := range p.Actions {
		fmt.Fprintf(&b, "%s: %s\n", p.Master, a)
	}
	for _, n := range append(slices.Clone(p.Notes), p.Info...) {
		fmt.Fprintf(&b, "%s: note: %s\n", p.Master, n)
	}
	for _, e := range p.Problems {
		fmt.Fprintf(&b, "%s: cannot: %v\n", p.Master, e)
	}
	if p.Empty() {
		fmt.Fprintf(&b, "%s: nothing to do\n", p.Master)
	}
	return b.String()
}

func (p *Plan) add(a Action) { p.Actions = append(p.Actions, a) }

func (p *Plan) note(format string, args ...any) {
	p.Notes = append(p.Notes, fmt.Sprintf(format, args...))
}
