// Package plan owns the decisions: given the configuration of one master and the
// kernel's and systemd's current state, which actions bring the system to the desired
// state. It is pure (state in, plan out), so every decision is tested without root,
// and a plan is printed as is by --dry-run.
package plan

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/bond-hotplug/bond-hotplug/lib/config"
	"github.com/bond-hotplug/bond-hotplug/lib/units"
)

// Op is the kind of an action.
type Op int

const (
	OpCreateBond Op = iota
	OpCreateBridge
	OpSetBondOption // Option, Value (Was: current value)
	OpSetPrimary    // Value
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
)

// Action is one step. Only the fields its Op needs are set.
type Action struct {
	Op     Op
	Link   string // the interface acted on (the master for master-wide steps)
	Master string
	Option string
	Value  string
	Was    string
	Bond   config.BondOptions
	Addr   netip.Prefix
	Route  config.Route
	Unit   units.Spec // OpStartUnit
	Name   string     // OpStopUnit
	Wait   bool       // OpStopUnit: wait until it has stopped
}

// String renders the action for logs, --dry-run and golden tests.
func (a Action) String() string {
	switch a.Op {
	case OpCreateBond:
		b := a.Bond
		return fmt.Sprintf("create bond %s (mode %s, miimon %d, fail_over_mac %s, primary_reselect %s, updelay %d, downdelay %d)",
			a.Link, b.Mode, b.Miimon, b.FailOverMAC, b.PrimaryReselect, b.Updelay, b.Downdelay)
	case OpCreateBridge:
		return "create bridge " + a.Link
	case OpSetBondOption:
		return fmt.Sprintf("set %s %s %s (was %s)", a.Link, a.Option, a.Value, a.Was)
	case OpSetPrimary:
		return fmt.Sprintf("set %s primary %s", a.Link, a.Value)
	case OpLinkDown:
		return fmt.Sprintf("set %s down", a.Link)
	case OpLinkUp:
		return fmt.Sprintf("set %s up", a.Link)
	case OpEnslave:
		return fmt.Sprintf("enslave %s to %s", a.Link, a.Master)
	case OpRelease:
		return fmt.Sprintf("release %s from %s", a.Link, a.Master)
	case OpAddAddr:
		return fmt.Sprintf("add address %s to %s", a.Addr, a.Link)
	case OpDelAddr:
		return fmt.Sprintf("delete address %s from %s", a.Addr, a.Link)
	case OpReplaceRoute:
		return fmt.Sprintf("add route %q on %s", a.Route.Text, a.Link)
	case OpDelRoute:
		return fmt.Sprintf("delete route %q from %s", a.Route.Text, a.Link)
	case OpStartUnit:
		return "start " + a.Unit.String()
	case OpStopUnit:
		if a.Wait {
			return "stop " + a.Name + " and wait"
		}
		return "stop " + a.Name
	case OpDeleteMaster:
		return "delete " + a.Link
	case OpFlushAddrs:
		return fmt.Sprintf("flush addresses of %s (%s)", a.Link, a.Value)
	}
	return fmt.Sprintf("unknown action %d", a.Op)
}

// Plan is what one run will do for one master.
type Plan struct {
	Master  string
	Actions []Action
	// Notes are things the run saw and deliberately left alone, for the user.
	Notes []string
	// Problems are parts of the desired state that cannot be reached (a helper program
	// is not installed). The rest of the plan is still applied; the run then fails.
	Problems []error
}

// Empty reports a converged system.
func (p Plan) Empty() bool { return len(p.Actions) == 0 }

// String renders the plan, one action a line, notes last.
func (p Plan) String() string {
	var b strings.Builder
	for _, a := range p.Actions {
		fmt.Fprintf(&b, "%s: %s\n", p.Master, a)
	}
	for _, n := range p.Notes {
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
