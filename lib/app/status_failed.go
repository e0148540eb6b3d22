// SPDX-License-Identifier: Apache-2.0

package app

import (
	"context"
	"fmt"
	"io"
	"sort"

	"github.com/bond-hotplug/bond-hotplug/lib/config"
	"github.com/bond-hotplug/bond-hotplug/lib/plan"
	"github.com/bond-hotplug/bond-hotplug/lib/units"
)

// unitFailures finds the master's units that failed: those systemd holds failed or
// about to restart after a failure, and those a run would start (a failed transient
// unit is collected at once, so after its last failed restart it is simply gone),
// each with how its last run ended, from the journal. A program that a sandbox
// refused something shows here (issue 15), with the line it logged.
func (e *Env) unitFailures(ctx context.Context, c *config.Config, m *config.Master, st plan.State, p plan.Plan) map[string]*units.Failure {
	var names []string
	for name, u := range st.Units {
		_, ifname, ok := units.Parse(name)
		if ok && (ifname == m.Name || c.SlaveOf(ifname, m.Name)) && (u.Active == "failed" || u.Sub == "auto-restart") {
			names = append(names, name)
		}
	}
	for _, a := range p.Actions {
		if a.Op == plan.OpStartUnit {
			names = append(names, a.Unit.Name)
		}
	}
	read := e.UnitFailure
	if read == nil {
		read = units.LastFailure
	}
	out := map[string]*units.Failure{}
	for _, n := range names {
		if f := read(ctx, n); f != nil {
			out[n] = f
		}
	}
	return out
}

// withFailures adds the failures to a master's document: the unit's result and last
// line (an entry of its own for a unit systemd no longer holds), and the state
// "failed", which --status exits 1 on like every state but "converged".
func withFailures(ms *MasterStatus, fails map[string]*units.Failure) {
	if len(fails) == 0 {
		return
	}
	for i, u := range ms.Units {
		if f, ok := fails[u.Name]; ok {
			ms.Units[i].Result, ms.Units[i].LastLine = f.Result, f.LastLine
		}
	}
	for _, n := range sortedKeys(fails) {
		found := false
		for _, u := range ms.Units {
			found = found || u.Name == n
		}
		if !found {
			role, ifname, _ := units.Parse(n)
			ms.Units = append(ms.Units, UnitStatus{Name: n, Role: string(role), Interface: ifname,
				Result: fails[n].Result, LastLine: fails[n].LastLine})
		}
	}
	sort.Slice(ms.Units, func(i, j int) bool { return ms.Units[i].Name < ms.Units[j].Name })
	if ms.State != "unknown" {
		ms.State = "failed"
	}
}

// printFailures is the text of the units whose last run failed (a Result: see
// withFailures), in the order of the document (by name).
func printFailures(w io.Writer, us []UnitStatus) {
	n := 0
	for _, u := range us {
		if u.Result == "" {
			continue
		}
		n++
		line := u.LastLine
		if line == "" {
			line = "(nothing logged)"
		}
		fmt.Fprintf(w, "  failed:    %s: %s: %s\n", u.Name, u.Result, line)
	}
	if n > 0 {
		fmt.Fprintf(w, "             (journalctl -u UNIT for more; README \"Sandboxing\": relaxing a unit's sandbox with a drop-in)\n")
	}
}

func sortedKeys(m map[string]*units.Failure) []string {
	var k []string
	for n := range m {
		k = append(k, n)
	}
	sort.Strings(k)
	return k
}
