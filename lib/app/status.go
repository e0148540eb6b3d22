// SPDX-License-Identifier: Apache-2.0

package app

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/bond-hotplug/bond-hotplug/lib/plan"
	"github.com/bond-hotplug/bond-hotplug/lib/record"
	"github.com/bond-hotplug/bond-hotplug/lib/version"
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
		st, err := e.readState(ctx, c, m.Name, "")
		uerr := st.UnitsErr
		if err != nil {
			if !asJSON {
				return err
			}
			doc.Masters = append(doc.Masters, MasterStatus{Name: m.Name, Kind: string(m.Kind), State: "unknown",
				Error: err.Error()})
			continue
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
		withFailures(&one, e.unitFailures(ctx, c, m, st, p))
		doc.Masters = append(doc.Masters, one)
		if !asJSON {
			printMaster(e.Out, one, claimsLine(e.claims(c, m.Name, st)), adminState(m.Name, rec, rerr))
		}
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

// printMaster is --status for one master as text, rendered from its JSON model
// (status_json.go: masterStatus computes everything once); managers and admin are
// the text's longer forms of what the document says in a word.
func printMaster(w io.Writer, ms MasterStatus, managers, admin string) {
	if !ms.Present {
		fmt.Fprintf(w, "%s: %s (configured), absent\n", ms.Name, ms.Kind)
	} else {
		fmt.Fprintf(w, "%s: %s, %s, %s, mac %s\n", ms.Name, ms.linkKind, onOff(ms.Up, "up", "down"),
			onOff(ms.Carrier, "carrier", "no carrier"), ms.MAC)
	}
	if b := ms.Options; b != nil {
		fmt.Fprintf(w, "  options:   mode %s, miimon %d, fail_over_mac %s, primary %q (primary_reselect %s), updelay %d, downdelay %d\n",
			b.Mode, b.Miimon, b.FailOverMAC, b.Primary, b.PrimaryReselect, b.Updelay, b.Downdelay)
		fmt.Fprintf(w, "  active:    %s\n", orNone(nonEmpty(ms.Active)))
	}
	fmt.Fprintf(w, "  slaves:    configured %s\n", strings.Join(ms.Configured, " "))
	for _, s := range ms.Slaves {
		where := "enslaved"
		if !s.Enslaved {
			where = "NOT enslaved"
			if s.Master != "" {
				where = "enslaved to " + s.Master
			}
		}
		fmt.Fprintf(w, "    %-15s %s, %s, %s, mac %s%s\n", s.Name, where, onOff(s.Up, "up", "down"),
			onOff(s.Carrier, "carrier", "no carrier"), s.MAC, onOff(s.Wireless, ", wireless", ""))
	}
	var addrs []string
	for _, a := range ms.Addresses {
		addrs = append(addrs, a.Address+onOff(a.Dynamic, " (dynamic)", ""))
	}
	fmt.Fprintf(w, "  addresses: %s\n", orNone(addrs))
	var routes []string
	for _, r := range ms.Gateways {
		routes = append(routes, fmt.Sprintf("%s via %s metric %d table %d", r.Dst, r.Via, r.Metric, r.Table))
	}
	fmt.Fprintf(w, "  gateways:  %s\n", orNone(routes))
	if ms.UnitsError != "" {
		fmt.Fprintf(w, "  units:     unknown: %s\n", ms.UnitsError)
	} else {
		var us []string
		for _, u := range ms.Units {
			if u.held {
				us = append(us, fmt.Sprintf("%s %s/%s", u.Name, u.Active, u.Sub))
			}
		}
		fmt.Fprintf(w, "  units:     %s\n", orNone(us))
	}
	fmt.Fprintf(w, "  managers:  %s\n", managers)
	fmt.Fprintf(w, "  admin:     %s\n", admin)
	switch {
	case ms.Error != "":
		fmt.Fprintf(w, "  pending:   %s\n", ms.Error)
	case len(ms.Pending) == 0:
		fmt.Fprintf(w, "  pending:   nothing (converged)\n")
	default:
		fmt.Fprintf(w, "  pending:   %d action(s); `bond-up -n %s` lists them\n", len(ms.Pending), ms.Name)
	}
	printFailures(w, ms.Units)
	fmt.Fprintf(w, "  state:     %s\n", ms.State)
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

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

// adminState says whether hot-plug maintains the master, from its record.
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
