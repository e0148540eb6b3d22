// SPDX-License-Identifier: Apache-2.0

package app

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/bond-hotplug/bond-hotplug/lib/config"
	"github.com/bond-hotplug/bond-hotplug/lib/plan"
	"github.com/bond-hotplug/bond-hotplug/lib/record"
	"github.com/bond-hotplug/bond-hotplug/lib/units"
	"github.com/bond-hotplug/bond-hotplug/lib/version"
	"sort"
)

// Status prints, per master: kind and options, slaves with link state, the active
// slave, addresses, routes, the state of its units, and what a run would still do;
// with asJSON one JSON document for all of them instead (status_json.go). It returns
// errNotConverged (exit 1, no message) unless every master is converged with an
// active slave.
func (e *Env) Status(ctx context.Context, masters []string, asJSON bool) error {
	c, err := e.loadConfig()
	if err != nil {
		return err
	}
	ms, err := selectMasters(c, masters)
	if err != nil {
		return err
	}
	// Which build answers: a report pasted into a bug names the code that made it.
	if !asJSON {
		fmt.Fprintf(e.Out, "bond-hotplug %s\n\n", version.Get().Line())
	}
	doc := StatusDoc{Schema: StatusSchema, Version: statusVersion(), Masters: []MasterStatus{}}
	for i, m := range ms {
		if i > 0 && !asJSON {
			fmt.Fprintln(e.Out)
		}
		st, err := e.readState(ctx, c, m.Name)
		uerr := st.UnitsErr
		if err != nil {
			if !asJSON {
				return err
			}
			doc.Masters = append(doc.Masters, MasterStatus{Name: m.Name, Kind: string(m.Kind), State: "unknown",
				Error: err.Error()})
			continue
		}
		if !asJSON {
			printStatus(e.Out, c, m, st, uerr)
			fmt.Fprintf(e.Out, "  managers:  %s\n", claimsLine(e.claims(c, m.Name, st)))
		}
		in := plan.Input{Config: c, Master: m, Programs: e.programs()}
		rec, rerr := e.store().Load(m.Name)
		if rec != nil {
			plan.Adopt(in, st, rec) // on the copy just read: nothing is written
		}
		st.Owned = rec
		p, perr := plan.Up(in, st)
		one := masterStatus(c, m, st, uerr, p, perr)
		one.Admin = adminWord(rec, rerr)
		fails := e.unitFailures(ctx, c, m, st, p)
		withFailures(&one, fails)
		doc.Masters = append(doc.Masters, one)
		if asJSON {
			continue
		}
		fmt.Fprintf(e.Out, "  admin:     %s\n", adminState(m.Name, rec, rerr))
		if perr != nil {
			fmt.Fprintf(e.Out, "  pending:   cannot plan: %v\n", perr)
		} else if p.Empty() {
			fmt.Fprintf(e.Out, "  pending:   nothing (converged)\n")
		} else {
			fmt.Fprintf(e.Out, "  pending:   %d action(s); `bond-up -n %s` lists them\n", len(p.Actions), m.Name)
		}
		printFailures(e.Out, fails)
		fmt.Fprintf(e.Out, "  state:     %s\n", doc.Masters[len(doc.Masters)-1].State)
	}
	if asJSON {
		if err := writeStatusJSON(e.Out, doc); err != nil {
			return err
		}
	}
	if !converged(doc.Masters) {
		return errNotConverged
	}
	return nil
}

func onOff(b bool, on, off string) string {
	if b {
		return on
	}
	return off
}

func printStatus(w io.Writer, c *config.Config, m *config.Master, st plan.State, uerr error) {
	l, ok := st.Links.Get(m.Name)
	if !ok {
		fmt.Fprintf(w, "%s: %s (configured), absent\n", m.Name, m.Kind)
	} else {
		fmt.Fprintf(w, "%s: %s, %s, %s, mac %s\n", m.Name, l.Kind, onOff(l.AdminUp, "up", "down"),
			onOff(l.Carrier, "carrier", "no carrier"), l.MAC)
	}
	if b := st.Bond; b != nil {
		fmt.Fprintf(w, "  options:   mode %s, miimon %d, fail_over_mac %s, primary %q (primary_reselect %s), updelay %d, downdelay %d\n",
			b.Mode, b.Miimon, b.FailOverMAC, b.Primary, b.PrimaryReselect, b.Updelay, b.Downdelay)
		active := b.ActiveSlave
		if active == "" {
			active = "none"
		}
		fmt.Fprintf(w, "  active:    %s\n", active)
	}
	fmt.Fprintf(w, "  slaves:    configured %s\n", strings.Join(m.Slaves, " "))
	for _, s := range st.Links.Links {
		if s.Master != m.Name && !c.SlaveOf(s.Name, m.Name) || s.Name == m.Name {
			continue
		}
		where := "enslaved"
		if s.Master != m.Name {
			where = "NOT enslaved"
			if s.Master != "" {
				where = "enslaved to " + s.Master
			}
		}
		extra := ""
		if p, ok := st.SlavePrio[s.Name]; ok {
			extra += fmt.Sprintf(", prio %d", p)
		}
		if s.RFKill.Blocked() {
			extra += ", radio blocked by rfkill (" + s.RFKill.String() + ")"
		}
		fmt.Fprintf(w, "    %-15s %s, %s, %s, mac %s%s%s\n", s.Name, where, onOff(s.AdminUp, "up", "down"),
			onOff(s.Carrier, "carrier", "no carrier"), s.MAC, onOff(s.Wireless, ", wireless", ""), extra)
	}
	var addrs []string
	for _, a := range st.Addrs {
		addrs = append(addrs, a.Prefix.String()+onOff(a.Dynamic, " (dynamic)", ""))
	}
	fmt.Fprintf(w, "  addresses: %s\n", orNone(addrs))
	var routes []string
	for _, r := range st.Routes {
		if r.Via.IsValid() {
			routes = append(routes, fmt.Sprintf("%s via %s metric %d table %d", r.Dst, r.Via, r.Metric, r.Table))
		}
	}
	fmt.Fprintf(w, "  gateways:  %s\n", orNone(routes))
	if uerr != nil {
		fmt.Fprintf(w, "  units:     unknown: %v\n", uerr)
		return
	}
	var us []string
	for name, u := range st.Units {
		_, ifname, ok := units.Parse(name)
		if ok && (ifname == m.Name || c.SlaveOf(ifname, m.Name)) {
			us = append(us, fmt.Sprintf("%s %s/%s", name, u.Active, u.Sub))
		}
	}
	sort.Strings(us)
	fmt.Fprintf(w, "  units:     %s\n", orNone(us))
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// adminState says whether hot-plug maintains the master, from its record.
// adminWord is adminState in one word, for --json.
func adminWord(rec *record.Record, err error) string {
	switch {
	case err != nil:
		return "unknown"
	case rec == nil || !rec.Up:
		return "down"
	}
	return "up"
}

func adminState(master string, rec *record.Record, err error) string {
	switch {
	case err != nil:
		return fmt.Sprintf("unknown: %v", err)
	case rec == nil || !rec.Up:
		return fmt.Sprintf("down: hot-plug leaves it alone until bond-up %s (systemctl start bond-up@%s)", master, master)
	case rec.Created:
		return "up: maintained by hot-plug; created by bond-hotplug"
	}
	return "up: maintained by hot-plug"
}
