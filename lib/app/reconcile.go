// SPDX-License-Identifier: Apache-2.0

package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/bond-hotplug/bond-hotplug/lib/config"
	"github.com/bond-hotplug/bond-hotplug/lib/lock"
	"github.com/bond-hotplug/bond-hotplug/lib/netdev"
	"github.com/bond-hotplug/bond-hotplug/lib/plan"
	"github.com/bond-hotplug/bond-hotplug/lib/record"
	"github.com/bond-hotplug/bond-hotplug/lib/units"
)

// maxRounds bounds re-planning after a device vanished mid-run or a step made the
// kernel drop state (a rebuild: down, options, up; then what the down removed).
const maxRounds = 4

// readState reads what the planner needs about master m. A systemd that cannot be
// reached leaves Units empty and returns its error separately: networking is still
// configured, and the run reports the failure.
func (e *Env) readState(ctx context.Context, c *config.Config, m string) (plan.State, error, error) {
	var st plan.State
	// Only links the configuration gives to this master need udev's answers.
	r, err := e.source(func(name string) bool { return c.SlaveOf(name, m) })
	if err != nil {
		return st, err, nil
	}
	if st.Links, err = r.Links(); err != nil {
		return st, err, nil
	}
	if l, ok := st.Links.Get(m); ok {
		if l.Kind == "bond" {
			b, err := r.Bond(m)
			if err != nil {
				return st, err, nil
			}
			st.Bond = &b
		}
		if st.Addrs, err = r.Addrs(m); err != nil {
			return st, err, nil
		}
		if st.Routes, err = r.Routes(m); err != nil {
			return st, err, nil
		}
	}
	st.Units = map[string]units.State{}
	mgr, uerr := e.units(ctx)
	if uerr == nil {
		var list []units.State
		list, uerr = mgr.List(ctx)
		for _, u := range list {
			st.Units[u.Name] = u
		}
	}
	st.UnitsUnknown = uerr != nil
	return st, nil, uerr
}

// A planner makes the plan for the state read, and says whether it is a full plan
// (the whole desired state: plan.Up), which waiting runs may coalesce with.
type planner func(st plan.State) (p plan.Plan, full bool, err error)

// kind says what a run converges, which decides whether it may coalesce with others.
type kind int

const (
	// full runs plan the whole desired state of the master (bond-up, add events):
	// any full run that read the state after ours started did our work.
	full kind = iota
	// other runs (bond-down) do something a full run does not: never coalesce.
	other
)

// job is what one run does for one master.
type job struct {
	master string
	kind   kind
	plan   planner
	// in, when set, is the configured master: what of it is found in place is adopted
	// into the record (plan.Adopt). bond-down of an unconfigured master adopts nothing.
	in *plan.Input
	// up: bond-up, which creates the record if needed and marks the master up.
	up bool
	// down: bond-down, which removes the record once the teardown succeeded.
	down bool
	// unconfigured: a master only a record names (bond-down keeps an empty record).
	unconfigured bool
}

// converge plans and applies for one master under its lock until the plan is done,
// re-planning (a bounded number of times) when a device vanished under us or the
// master was set down. The master's record (what we own) is read first, given to each
// plan, kept true step by step, and written back before the lock is released.
func (e *Env) converge(ctx context.Context, c *config.Config, j job) (err error) {
	master := j.master
	since := int64(-1)
	if j.kind == full && !e.DryRun && e.Since > 0 {
		since = e.Since
	}
	// A dry run changes nothing, so it needs no lock: an ordinary user can run it, and
	// it never creates the lock directory (as that user, where others could tamper).
	var lk *lock.Lock
	var coalesced bool
	if !e.DryRun {
		lk, coalesced, err = lock.AcquireOrCoalesce(e.LockDir, master, e.LockTimeout, since)
	}
	if err != nil {
		return err
	}
	if coalesced {
		e.Log.JournalOnly("%s: converged by a concurrent run", master)
		fmt.Fprintf(e.Out, "%s: nothing to do (converged by a concurrent run)\n", master)
		return nil
	}
	defer lk.Release()
	store := e.store()
	rec, err := store.Load(master)
	var recNote string
	if errors.Is(err, record.ErrCorrupt) && !e.DryRun {
		// An unreadable record must not wedge every run (bond-up, hot-plug, the
		// ExecStop at shutdown) until someone deletes it by hand. Without it nothing
		// is undone that the file does not name: what is configured and in place is
		// adopted again.
		aside, serr := store.SetAside(master)
		if serr != nil {
			return errors.Join(err, serr)
		}
		e.Log.Warn("%s: %v; set aside as %s: what earlier runs applied and the file no longer names is not undone", master, err, aside)
		rec, err = nil, nil
	}
	if err != nil {
		if !e.DryRun {
			return err
		}
		// A dry run (perhaps by an ordinary user) still shows the rest of the plan.
		recNote = fmt.Sprintf("cannot read what earlier runs applied (%v): removals are not shown", err)
		rec, err = nil, nil
	}
	if j.up {
		if rec == nil {
			rec = &record.Record{Master: master}
		}
		rec.Up = true
	}
	if !e.DryRun {
		saved := cloneRecord(rec)
		defer func() {
			if serr := e.saveRecord(store, j, saved, rec, err); serr != nil {
				err = errors.Join(err, serr)
			}
		}()
	}
	var unitErr error
	for round := 0; round < maxRounds; round++ {
		st, err, uerr := e.readState(ctx, c, master)
		if err != nil {
			return err
		}
		if rec != nil && j.in != nil {
			plan.Adopt(*j.in, st, rec)
		}
		st.Owned = rec
		p, isFull, err := j.plan(st)
		if err != nil {
			return err
		}
		if e.DryRun {
			if recNote != "" {
				p.Notes = append(p.Notes, recNote)
			}
			if uerr != nil {
				p.Notes = append(p.Notes, fmt.Sprintf("cannot read unit states: %v", uerr))
			}
			for _, cl := range e.claims(c, master, st) {
				p.Notes = append(p.Notes, cl.String()+" too")
			}
			fmt.Fprint(e.Out, p.String())
			return nil
		}
		e.warnClaims(c, master, st)
		for _, n := range p.Notes {
			e.Log.Warn("%s: %s", master, n)
		}
		for _, n := range p.Info {
			e.Log.Info("%s: %s", master, n)
		}
		for _, pr := range p.Problems {
			e.Log.Error("%s: %v", master, pr)
		}
		problems := errors.Join(p.Problems...)
		if p.Empty() {
			if round == 0 && problems == nil {
				// On stdout too: scripts and people ask "did it do anything?", and
				// the log reaches only the journal unless stderr is a terminal.
				fmt.Fprintf(e.Out, "%s: nothing to do\n", master)
				e.Log.JournalOnly("%s: nothing to do", master)
			}
			return e.done(lk, isFull, errors.Join(unitErr, problems))
		}
		vanished, err := e.apply(ctx, p, rec)
		unitErr = errors.Join(unitErr, err)
		if rec != nil && rec.Created && rec.Index == 0 {
			e.stampIndex(master, rec)
		}
		// bond-down deletes addresses too, but has nothing to add back.
		if !vanished && !p.DropsState() && !(isFull && p.DeletesAddrs()) {
			return e.done(lk, isFull, errors.Join(unitErr, problems))
		}
	}
	return errors.Join(unitErr, fmt.Errorf("still not converged after %d rounds of reading and planning", maxRounds))
}

// stampIndex records the ifindex of the master this run created, so that a device
// someone makes under that name after ours went is never taken for ours.
func (e *Env) stampIndex(master string, rec *record.Record) {
	src, err := e.source(func(string) bool { return false })
	if err != nil {
		return
	}
	if s, err := src.Links(); err == nil {
		if l, ok := s.Get(master); ok {
			rec.Index = l.Index
		}
	}
}

func (e *Env) store() record.Store { return record.Store{Dir: e.StateDir} }

func cloneRecord(r *record.Record) *record.Record {
	if r == nil {
		return nil
	}
	b, _ := json.Marshal(r)
	var c record.Record
	_ = json.Unmarshal(b, &c)
	return &c
}

// saveRecord writes what the run leaves owned. bond-down that succeeded leaves
// nothing (and the master down: hot-plug leaves it alone); one that failed keeps the
// rest of the record, marked down, for the next bond-down. A master the file no longer
// names keeps an empty record, down, until reboot: the ExecStop of its bond-up@ unit
// (or a second bond-down) then finds nothing to do instead of an unknown name.
func (e *Env) saveRecord(store record.Store, j job, before, rec *record.Record, runErr error) error {
	if j.down && runErr == nil {
		switch {
		case before == nil:
			return nil
		case j.unconfigured:
			empty := &record.Record{Master: before.Master, Kind: before.Kind}
			if reflect.DeepEqual(before, empty) {
				return nil
			}
			return store.Save(empty)
		}
		return store.Remove(j.master)
	}
	if rec == nil {
		return nil
	}
	if j.down {
		rec.Up = false
	}
	if reflect.DeepEqual(before, rec) {
		return nil
	}
	return store.Save(rec)
}

// done stamps the lock of a successful full run, so that waiting runs coalesce.
func (e *Env) done(lk *lock.Lock, isFull bool, err error) error {
	if err == nil && isFull {
		if serr := lk.Done(); serr != nil {
			e.Log.Warn("stamp lock: %v", serr)
		}
	}
	return err
}

// apply runs a plan in order. A device that vanished is logged and skipped (the caller
// re-plans); a unit that cannot be started does not stop the network steps, but the run
// fails at the end; any other kernel error stops the run.
func (e *Env) apply(ctx context.Context, p plan.Plan, rec *record.Record) (vanished bool, err error) {
	fx, err := e.effects()
	if err != nil {
		return false, err
	}
	var unitErrs []error
	created := false
	for _, a := range p.Actions {
		if a.Creates() {
			created = true
		}
		if created && a.Op == plan.OpStartUnit && a.Link == p.Master && e.WaitUdev {
			e.waitUdev(p.Master)
			created = false
		}
		err := a.Apply(ctx, fx)
		switch {
		case err == nil:
			e.Log.Info("%s: %s", p.Master, a)
			if rec != nil {
				a.Own(rec)
			}
		case errors.Is(err, netdev.ErrGone):
			e.Log.Warn("%s: %s: skipped, %v", p.Master, a, err)
			vanished = true
		case a.Op == plan.OpStopUnit && a.Wait:
			// A waited stop is one the next steps depend on: a DHCP client must
			// release its lease before the master goes. Deleting it anyway would
			// lose the lease without a word; stop here, the master stays.
			e.Log.Error("%s: %s: %v", p.Master, a, err)
			return vanished, errors.Join(append(unitErrs,
				fmt.Errorf("%s: %w; nothing after it was done (%s keeps its addresses and leases): run it again once systemd answers", a, err, p.Master))...)
		case a.IsUnit():
			e.Log.Error("%s: %s: %v", p.Master, a, err)
			unitErrs = append(unitErrs, err)
		default:
			e.Log.Error("%s: %s: %v", p.Master, a, err)
			return vanished, errors.Join(append(unitErrs, err)...)
		}
	}
	return vanished, errors.Join(unitErrs...)
}

// effects is what a plan changes: the kernel (netlink, or Env.Kernel in tests) and the
// unit manager, connected on the first unit step only.
type effects struct {
	netdev.Kernel
	e *Env
}

func (f effects) StartUnit(ctx context.Context, s units.Spec) error {
	mgr, err := f.e.units(ctx)
	if err != nil {
		return err
	}
	return mgr.Start(ctx, s)
}

func (f effects) StopUnit(ctx context.Context, name string, wait bool) error {
	mgr, err := f.e.units(ctx)
	if err != nil {
		return err
	}
	return mgr.Stop(ctx, name, wait)
}

func (e *Env) effects() (plan.Effects, error) {
	if e.Kernel != nil {
		return effects{Kernel: e.Kernel, e: e}, nil
	}
	h, err := e.handle()
	if err != nil {
		return nil, err
	}
	return effects{Kernel: &netdev.Writer{H: h, Sys: e.Sys}, e: e}, nil
}

// source reads the kernel's state (netlink, or Env.Source in tests); ask limits the
// udev questions to the links it accepts.
func (e *Env) source(ask func(name string) bool) (netdev.Source, error) {
	if e.Source != nil {
		return e.Source, nil
	}
	h, err := e.handle()
	if err != nil {
		return nil, err
	}
	return &netdev.Reader{H: h, Info: e.Info, Sys: e.Sys, Ask: ask}, nil
}

// Up brings the named masters (all configured ones when none are named) to their
// configured state and marks them up: hot-plug events maintain them from now on.
func (e *Env) Up(ctx context.Context, masters []string) error {
	c, err := e.loadConfig()
	if err != nil {
		return err
	}
	ms, err := selectMasters(c, masters)
	if err != nil {
		return err
	}
	if len(masters) == 0 {
		e.noteUnconfigured(c)
	}
	var errs []error
	heldBy := map[string][]string{}
	pass := func(ms []*config.Master) {
		for _, m := range ms {
			in := plan.Input{Config: c, Master: m, Programs: e.programs()}
			j := job{master: m.Name, kind: full, in: &in, up: true, plan: func(st plan.State) (plan.Plan, bool, error) {
				p, err := plan.Up(in, st)
				heldBy[m.Name] = p.HeldBy
				return p, true, err
			}}
			if err := e.converge(ctx, c, j); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", m.Name, err))
			}
		}
	}
	pass(ms)
	// Slaves the file moved between masters (bond0's NIC now bond1's, and back): a
	// master that found its new slave still held by one converged after it, which
	// has released it since, runs once more so that this bond-up converges both.
	var again []*config.Master
	for i, m := range ms {
		if !e.DryRun && slices.ContainsFunc(ms[i+1:], func(o *config.Master) bool { return slices.Contains(heldBy[m.Name], o.Name) }) {
			again = append(again, m)
		}
	}
	if len(again) > 0 {
		// Our own first pass stamped their locks: it must not count as a concurrent
		// run that did the work.
		since := e.Since
		e.Since = 0
		pass(again)
		e.Since = since
	}
	return errors.Join(errs...)
}

// noteUnconfigured warns of masters a record names that the file no longer has (one
// renamed or removed): bond-up leaves them, bond-down NAME tears them down.
func (e *Env) noteUnconfigured(c *config.Config) {
	recorded, err := e.store().Masters()
	if err != nil {
		e.Log.Warn("%v", err)
	}
	for _, name := range recorded {
		if _, ok := c.Master(name); ok {
			continue
		}
		if rec, err := e.store().Load(name); err != nil || rec == nil || rec.Empty() {
			continue // torn down already: the empty record only answers ExecStop
		}
		{
			e.Log.Warn("%s: no longer in %s but set up by an earlier run: left as it is; `bond-down %s` (or stopping bond-up@%s.service) tears it down", name, c.Path, name, name)
		}
	}
}

// Down tears the named masters down (all configured and all recorded ones when none
// are named). A master that only a record names (renamed or removed from the file) is
// torn down as far as the record says it is ours.
func (e *Env) Down(ctx context.Context, masters []string, stopSupplicants bool) error {
	c, err := e.loadConfig()
	if err != nil {
		return err
	}
	ms, err := e.selectDownMasters(c, masters)
	if err != nil {
		return err
	}
	var errs []error
	for _, m := range ms {
		in := plan.Input{Config: c, Master: m, Programs: e.programs()}
		_, configured := c.Master(m.Name)
		j := job{master: m.Name, kind: other, down: true, unconfigured: !configured, plan: func(st plan.State) (plan.Plan, bool, error) {
			p, err := plan.Down(in, st, stopSupplicants)
			return p, false, err
		}}
		if err := e.converge(ctx, c, j); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", m.Name, err))
		}
	}
	return errors.Join(errs...)
}

// selectDownMasters resolves bond-down's arguments: configured masters, and masters
// only a record names (as a Master with a name and a kind and nothing configured).
func (e *Env) selectDownMasters(c *config.Config, args []string) ([]*config.Master, error) {
	recorded, rerr := e.store().Masters()
	named := len(args) > 0
	if len(args) == 0 {
		// A file that configures no master at all is more likely emptied by mistake
		// than meant as "tear everything down": that takes the names.
		if len(c.MasterNames()) == 0 {
			return nil, usagef("%s configures no master (no <name>SLAVES or <name>PRIMARY key); name the masters to tear down", c.Path)
		}
		if rerr != nil {
			e.Log.Warn("%v", rerr)
		}
		args = append(c.MasterNames(), recorded...)
		sort.Strings(args)
	}
	var out []*config.Master
	seen := map[string]bool{}
	for _, a := range args {
		if seen[a] {
			continue
		}
		seen[a] = true
		if m, ok := c.Master(a); ok {
			out = append(out, m)
			continue
		}
		if slices.Contains(recorded, a) {
			rec, err := e.store().Load(a)
			if errors.Is(err, record.ErrCorrupt) && !named {
				// One unreadable record must not stop the teardown of every other
				// master (shutdown runs bond-down without arguments).
				e.Log.Warn("%s: %v: skipped", a, err)
				continue
			}
			if err != nil {
				return nil, err
			}
			if rec != nil {
				out = append(out, &config.Master{Name: a, Kind: config.Kind(rec.Kind)})
				continue
			}
		}
		known := append(c.MasterNames(), recorded...)
		sort.Strings(known)
		return nil, usagef("argument %q: not a master in %s, nor one set up by an earlier run (known: %s)", a, c.Path, strings.Join(known, ", "))
	}
	return out, nil
}

// Hotplug handles one udev event for interface ifname. It returns quickly: it never
// waits for carrier, association or unit start jobs. What an event asks for is decided
// in plan (EventActs, EventMaster, OnlyStops, Hotplug).
func (e *Env) Hotplug(ctx context.Context, action, ifname string) error {
	if action == "" {
		return usagef("no ACTION: give it as the first argument or in the environment (udev sets ACTION)")
	}
	acts, err := plan.EventActs(action)
	if err != nil {
		return usagef("%v", err)
	}
	if ifname == "" {
		return usagef("no interface: give it as the second argument or in the environment (udev sets INTERFACE)")
	}
	if !acts {
		return nil
	}
	c, err := e.loadConfig()
	if err != nil {
		return err
	}
	// Ours or not first: the kernel allows names our rules do not ('+', '@',
	// non-ASCII), and a foreign device must cost nothing, not an error per event.
	m, _, ok := plan.EventMaster(c, ifname)
	if !ok {
		return nil // not ours: touch nothing, connect to nothing, say nothing
	}
	if err := config.CheckName(ifname); err != nil {
		return usagef("interface %q (matched by %s's slaves): %v", ifname, m.Name, err)
	}
	in := plan.Input{Config: c, Master: m, Programs: e.programs()}
	ev := plan.Event{Action: action, Ifname: ifname}
	// udev runs RUN programs after it renamed the device: the event's own device is
	// final even if another reader of the udev database could not tell yet.
	if e.Info != nil {
		e.Info = eventDevice{DeviceInfo: e.Info, name: ifname}
	}
	// A run that may only stop units neither coalesces nor lets others coalesce with it.
	k := full
	if plan.OnlyStops(ev, m.Name, func(name string) bool { return !e.present(name) }) {
		k = other
	}
	return e.converge(ctx, c, job{master: m.Name, kind: k, in: &in, plan: func(st plan.State) (plan.Plan, bool, error) {
		return plan.Hotplug(in, ev, st)
	}})
}

// present reports whether a link of that name exists now.
func (e *Env) present(name string) bool {
	if e.Source != nil {
		s, err := e.Source.Links()
		_, ok := s.Get(name)
		return err == nil && ok
	}
	h, err := e.handle()
	if err != nil {
		return false
	}
	_, err = h.LinkByName(name)
	return err == nil
}

// udevWait bounds how long bond-up waits for udev to announce a master it created.
const udevWait = 5 * time.Second

// waitUdev holds the start of a new master's units until udev has processed its add
// event. Right after bond-down, systemd may still see the deleted master's device unit
// as plugged; a unit bound to it would be stopped when udev gets round to the old
// remove event, and the DHCP client would release the lease it just got. Inside udev
// (bond-hotplug) we never wait.
func (e *Env) waitUdev(master string) {
	if e.Info == nil {
		return
	}
	deadline := time.Now().Add(udevWait)
	for !e.Info.Initialized(master) {
		if time.Now().After(deadline) {
			e.Log.Warn("%s: udev has not announced it after %v; starting its units anyway", master, udevWait)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// eventDevice answers "initialized" for the device of the event being handled.
type eventDevice struct {
	netdev.DeviceInfo
	name string
}

func (d eventDevice) Initialized(name string) bool {
	return name == d.name || d.DeviceInfo.Initialized(name)
}
