// SPDX-License-Identifier: Apache-2.0

package app

import (
	"context"
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
	"github.com/bond-hotplug/bond-hotplug/lib/trace"
	"github.com/bond-hotplug/bond-hotplug/lib/units"
)

// maxRounds bounds re-planning after a device vanished mid-run or a step made the
// kernel drop state (a rebuild: down, options, up; then what the down removed).
const maxRounds = 4

// readState reads what the planner needs about master m (eventDev: see job): the
// kernel's state, and systemd's unit list while the netlink reads run (see
// listUnits). A systemd that cannot be reached leaves Units empty with its error in
// UnitsErr: networking is still configured, and the run reports the failure.
func (e *Env) readState(ctx context.Context, c *config.Config, m, eventDev string) (plan.State, error) {
	listed := e.listUnits(ctx)
	st, err := e.readLinks(c, m, eventDev)
	listed.fill(&st)
	return st, err
}

// unitsRead is systemd's unit list, asked for in the background.
type unitsRead chan unitList

type unitList struct {
	list []units.State
	err  error
}

// listUnits asks systemd for the unit list while the caller reads the kernel: its
// answer waits on another process, the netlink reads on the kernel (issue 20). The
// caller must fill from it (once) before it returns, so that nothing of the run uses
// the connection concurrently afterwards.
func (e *Env) listUnits(ctx context.Context) unitsRead {
	u := make(unitsRead, 1)
	go func() {
		mgr, err := e.units(ctx)
		if err != nil {
			u <- unitList{err: err}
			return
		}
		l, err := mgr.List(ctx)
		trace.Mark("units-listed")
		u <- unitList{list: l, err: err}
	}()
	return u
}

// fill waits for the list and puts it into st.
func (u unitsRead) fill(st *plan.State) {
	l := <-u
	st.Units = map[string]units.State{}
	for _, s := range l.list {
		st.Units[s.Name] = s
	}
	st.UnitsErr = l.err
	trace.Mark("units")
}

// readLinks reads the kernel's side of the state of master m: links, and the
// master's bond options, slave prios, addresses and routes.
func (e *Env) readLinks(c *config.Config, m, eventDev string) (st plan.State, err error) {
	// Only links the configuration gives to this master need udev's answers.
	r, err := e.source(func(name string) bool { return c.SlaveOf(name, m) }, eventDev)
	if err != nil {
		return st, err
	}
	if st.Links, err = r.Links(); err != nil {
		return st, err
	}
	trace.Mark("links")
	if l, ok := st.Links.Get(m); ok {
		if l.Kind == "bond" {
			b, err := r.Bond(m)
			if err != nil {
				return st, err
			}
			st.Bond = &b
			trace.Mark("bond")
		}
		if ps, ok := r.(netdev.PrioSource); ok && st.Bond != nil && plan.PrioApplies(cmOf(c, m)) {
			st.SlavePrio = map[string]int{}
			for _, s := range st.Links.SlavesOf(m) {
				// A slave pulled since the dump has no prio to plan: skipped.
				if prio, ok, err := ps.SlavePrio(s.Name); err == nil && ok {
					st.SlavePrio[s.Name] = prio
				}
			}
			trace.Mark("prio")
		}
		if st.Addrs, err = r.Addrs(m); err != nil {
			return st, err
		}
		if st.Routes, err = r.Routes(m); err != nil {
			return st, err
		}
		trace.Mark("addrs-routes")
	}
	return st, nil
}

// cmOf is the configured master m, or an unconfigured one (a master only a record
// names: bond-down of it plans no prio).
func cmOf(c *config.Config, m string) *config.Master {
	if cm, ok := c.Master(m); ok {
		return cm
	}
	return &config.Master{Name: m}
}

// job is what one run does for one master: which master, whether it may coalesce with
// other runs, what it does to the master's up mark, and how it plans from the
// configuration read under the master's lock. Each verb has its own constructor:
// upJob, downJob, hotplugJob.
type job struct {
	master string
	// coalesce: the job plans the whole desired state of the master (bond-up, an add
	// event), so a run that converged after this one started, from the same file,
	// did its work.
	coalesce bool
	// mark: bond-up marks the master up, bond-down marks it down, hot-plug keeps it.
	mark mark
	// prepare makes, from the configuration read under the lock, what to plan with.
	prepare func(c *config.Config) (work, error)
	// eventDev is the device of the udev event a hot-plug run handles: udev runs RUN
	// programs after it renamed the device, so it is final even if another reader of
	// the udev database could not tell yet.
	eventDev string
	// linksFirst: the run applies the kernel steps of its plan before systemd's unit
	// list is in (applyLinks): a hot-plugged NIC is enslaved, and bond-up at boot
	// creates the master, without waiting for D-Bus. Hot-plug and bond-up plan alike
	// (plan.Up), whose unit steps come after its kernel steps but for a supplicant's
	// stop (plan.LinksFirst).
	linksFirst bool
}

type mark int

const (
	keep mark = iota
	markUp
	markDown
)

// work is what a job plans with once the configuration is read.
type work struct {
	// in, when set, is the configured master: what of it is found in place is adopted
	// into the record (plan.Adopt). bond-down of an unconfigured master adopts nothing.
	in *plan.Input
	// plan makes the plan for the state read, and says whether it is a full plan
	// (the whole desired state: plan.Up), which waiting runs may coalesce with.
	plan func(st plan.State) (p plan.Plan, full bool, err error)
	// unconfigured: a master only a record names (bond-down keeps an empty record).
	unconfigured bool
	// skip, when set, says why there is nothing to do (the file changed under us).
	skip string
}

// upJob brings master to its configured state and marks it up. heldBy receives the
// masters that still held one of its slaves (see Up).
func (e *Env) upJob(master string, coalesce bool, heldBy map[string][]string) job {
	return job{master: master, coalesce: coalesce, mark: markUp, linksFirst: true, prepare: func(c *config.Config) (work, error) {
		m, ok := c.Master(master)
		if !ok {
			return work{}, fmt.Errorf("no longer a master in %s (the file changed while this run waited)", c.Path)
		}
		in := plan.Input{Config: c, Master: m, Programs: e.programs()}
		return work{in: &in, plan: func(st plan.State) (plan.Plan, bool, error) {
			p, err := plan.Up(in, st)
			heldBy[master] = p.HeldBy
			return p, true, err
		}}, nil
	}}
}

// downJob tears master down and marks it down.
func (e *Env) downJob(master string, stopSupplicants bool) job {
	return job{master: master, mark: markDown, prepare: func(c *config.Config) (work, error) {
		m, configured := c.Master(master)
		if !configured {
			// Only a record names it: torn down as far as the record says it is ours.
			m = &config.Master{Name: master}
			if rec, err := e.store().Load(master); err == nil && rec != nil {
				m.Kind = config.Kind(rec.Kind)
			}
		}
		in := plan.Input{Config: c, Master: m, Programs: e.programs()}
		return work{unconfigured: !configured, plan: func(st plan.State) (plan.Plan, bool, error) {
			p, err := plan.Down(in, st, stopSupplicants)
			return p, false, err
		}}, nil
	}}
}

// hotplugJob handles one udev event for master. A run that may only stop units
// neither coalesces nor lets others coalesce with it.
func (e *Env) hotplugJob(master string, ev plan.Event, onlyStops bool) job {
	return job{master: master, coalesce: !onlyStops, eventDev: ev.Ifname, linksFirst: true, prepare: func(c *config.Config) (work, error) {
		m, ok := plan.EventMaster(c, ev.Ifname)
		if !ok || m.Name != master {
			return work{skip: fmt.Sprintf("%s is no longer %s's in %s (edited while this run waited): %s %s left alone",
				ev.Ifname, master, c.Path, ev.Action, ev.Ifname)}, nil
		}
		in := plan.Input{Config: c, Master: m, Programs: e.programs()}
		return work{in: &in, plan: func(st plan.State) (plan.Plan, bool, error) {
			return plan.Hotplug(in, ev, st)
		}}, nil
	}}
}

// converge brings one master to what its job asks, top to bottom: take the master's
// lock (or find that a concurrent run did the work), read the configuration under it,
// open the master's record, then read the state, plan and apply, re-planning (a
// bounded number of times) when a device vanished under us or the master was set
// down. The record is written after each step that changes what we own. seen is the
// configuration this run read when it started, before waiting: only a run that read
// the same file may stand in for this one.
func (e *Env) converge(ctx context.Context, seen *config.Config, j job) (err error) {
	if e.DryRun {
		return e.preview(ctx, seen, j)
	}
	since := int64(-1)
	if j.coalesce && e.Since > 0 {
		since = e.Since
	}
	e.startUnits(ctx) // the lock may be free: connect to systemd meanwhile
	lk, coalesced, err := lock.AcquireOrCoalesce(ctx, e.LockDir, j.master, e.LockTimeout, since, seen.Digest)
	if err != nil {
		return err
	}
	trace.Mark("lock")
	if coalesced {
		e.Log.JournalOnly("%s: converged by a concurrent run", j.master)
		fmt.Fprintf(e.Out, "%s: nothing to do (converged by a concurrent run)\n", j.master)
		return nil
	}
	defer lk.Release()
	// Under the lock: what the file says now, not what it said while we waited (an
	// edit, then `systemctl reload`, must not be reverted by a run that started first).
	c, err := e.reloadConfig(seen)
	if err != nil {
		return err
	}
	trace.Mark("config-again")
	w, err := j.prepare(c)
	if err != nil {
		return err
	}
	if w.skip != "" {
		e.Log.Info("%s: %s", j.master, w.skip)
		return nil
	}
	s, err := e.openSession(j)
	if err != nil {
		return err
	}
	trace.Mark("record")
	defer func() {
		if serr := s.close(w.unconfigured, err); serr != nil {
			err = errors.Join(err, serr)
		}
	}()
	var unitErr error
	appliedLinks := false // by applyLinks, before the unit list was in
	for round := 0; round < maxRounds; round++ {
		if err := ctx.Err(); err != nil {
			return errors.Join(unitErr, fmt.Errorf("%w: stopped before reading %s's state again", context.Cause(ctx), j.master))
		}
		listed := e.listUnits(ctx)
		st, err := e.readLinks(c, j.master, j.eventDev)
		if err == nil && round == 0 && j.linksFirst {
			appliedLinks, err = e.applyLinks(ctx, w, s, st)
			if appliedLinks && err == nil {
				// What the steps changed; the unit list read meanwhile still holds.
				st, err = e.readLinks(c, j.master, j.eventDev)
			}
		}
		listed.fill(&st)
		if err != nil {
			return err
		}
		s.adopt(w.in, st)
		st.Owned = s.rec
		p, isFull, err := w.plan(st)
		if err != nil {
			return err
		}
		trace.Mark("plan")
		e.report(c, st, p)
		problems := errors.Join(p.Problems...)
		if p.Empty() {
			if round == 0 && !appliedLinks && problems == nil {
				// On stdout too: scripts and people ask "did it do anything?", and
				// the log reaches only the journal unless stderr is a terminal.
				fmt.Fprintf(e.Out, "%s: nothing to do\n", j.master)
				e.Log.JournalOnly("%s: nothing to do", j.master)
			}
			return e.settle(j, st, e.done(lk, c, isFull, errors.Join(unitErr, problems)))
		}
		vanished, err := e.apply(ctx, p, nil, s)
		unitErr = errors.Join(unitErr, err)
		if errors.Is(err, errInterrupted) {
			return unitErr
		}
		// bond-down deletes addresses too, but has nothing to add back.
		if !vanished && !p.DropsState() && !(isFull && p.DeletesAddrs()) {
			return e.settle(j, st, e.done(lk, c, isFull, errors.Join(unitErr, problems)))
		}
	}
	return errors.Join(unitErr, fmt.Errorf("still not converged after %d rounds of reading and planning", maxRounds))
}

// settle notes, for a bond-up run that ends without error (err), the links udev had
// finished with when it last read the state (st): their part of the plan was done, so
// their replayed events need no run of their own (waitRule). It returns err.
func (e *Env) settle(j job, st plan.State, err error) error {
	if j.mark != markUp {
		return err
	}
	if e.settled == nil {
		e.settled = map[string]map[string]bool{}
	}
	delete(e.settled, j.master)
	if err == nil {
		names := map[string]bool{}
		for _, l := range st.Links.Links {
			if l.Initialized {
				names[l.Name] = true
			}
		}
		e.settled[j.master] = names
	}
	return err
}

// errUnitsUnread stands for the unit list while applyLinks plans without it: Adopt
// then leaves the record's units as they are.
var errUnitsUnread = errors.New("the unit list is not read yet")

// applyLinks plans from the kernel's state read (st) before systemd's unit list is in,
// and applies the plan's kernel steps (plan.Plan.Links): none of them depends on which
// units run. It reports whether it applied any. The converging run then plans again
// with the list, from the state read again, and applies the rest (the unit steps) in
// the same run under the same lock. The record is kept as apply keeps it, step by
// step: a run killed between the two leaves a record true to what was done, and the
// next run converges the rest, as after a run killed at any other step. Nothing is
// applied early when the plan would first stop a supplicant (plan.LinksFirst): the
// order of teardown stays.
func (e *Env) applyLinks(ctx context.Context, w work, s *session, st plan.State) (bool, error) {
	if w.in == nil || !plan.LinksFirst(*w.in, s.rec) {
		return false, nil
	}
	st.UnitsErr = errUnitsUnread
	s.adopt(w.in, st)
	st.Owned = s.rec
	p, _, err := w.plan(st)
	if err != nil {
		// Said by the plan made with the unit list.
		return false, nil
	}
	links := p.Links()
	trace.Mark("plan-links")
	if links.Empty() {
		return false, nil
	}
	// A run stopped during the kernel steps names the unit steps that would have
	// followed too, as planned without the list.
	var later []plan.Action
	for _, a := range p.Actions {
		if a.IsUnit() {
			later = append(later, a)
		}
	}
	// A device that vanished, or a master set down: the plan that follows is made
	// from the state read again.
	_, err = e.apply(ctx, links, later, s)
	return true, err
}

// preview is a dry run: one plan from the state as it is, printed. It changes
// nothing, so it takes no lock: an ordinary user can run it, and it never creates the
// lock directory (as that user, where others could tamper).
func (e *Env) preview(ctx context.Context, c *config.Config, j job) error {
	if err := ctx.Err(); err != nil {
		return context.Cause(ctx)
	}
	w, err := j.prepare(c)
	if err != nil || w.skip != "" {
		return err
	}
	var notes []string
	rec, err := e.store().Load(j.master)
	if err != nil {
		// Perhaps an ordinary user: still show the rest of the plan.
		notes = append(notes, fmt.Sprintf("cannot read what earlier runs applied (%v): removals are not shown", err))
		rec = nil
	}
	if j.mark == markUp && rec == nil {
		rec = &record.Record{Master: j.master}
	}
	if rec != nil {
		rec.Up = rec.Up || j.mark == markUp
	}
	st, err := e.readState(ctx, c, j.master, j.eventDev)
	if err != nil {
		return err
	}
	if rec != nil && w.in != nil {
		plan.Adopt(*w.in, st, rec)
	}
	st.Owned = rec
	p, _, err := w.plan(st)
	if err != nil {
		return err
	}
	if st.UnitsErr != nil {
		notes = append(notes, fmt.Sprintf("cannot read unit states: %v", st.UnitsErr))
	}
	for _, cl := range e.claims(c, j.master, st) {
		notes = append(notes, cl.String()+" too")
	}
	p.Notes = append(p.Notes, notes...)
	fmt.Fprint(e.Out, p.String())
	return nil
}

// reloadConfig reads the file again under the lock; its warnings are logged only when
// it changed since seen (they were logged then).
func (e *Env) reloadConfig(seen *config.Config) (*config.Config, error) {
	c, err := config.Load(e.ConfigPath, config.Options{AllowInsecure: e.AllowInsecure})
	if err != nil {
		return nil, fmt.Errorf("read again after taking the lock: %w", err)
	}
	if c.Digest != seen.Digest {
		e.Log.Info("%s changed while this run waited for the lock: planning from what it says now", c.Path)
		for _, w := range c.Warnings {
			e.Log.Warn("%s", w)
		}
	}
	return c, nil
}

// report logs what the plan says besides its actions.
func (e *Env) report(c *config.Config, st plan.State, p plan.Plan) {
	e.warnClaims(c, p.Master, st)
	for _, n := range p.Notes {
		e.Log.Warn("%s: %s", p.Master, n)
	}
	for _, n := range p.Info {
		e.Log.Info("%s: %s", p.Master, n)
	}
	for _, pr := range p.Problems {
		e.Log.Error("%s: %v", p.Master, pr)
	}
}

// session is the master's record for one run, under its lock: loaded (an unreadable
// one set aside), written after every step that changes what we own, and finished
// when the run ends.
type session struct {
	e      *Env
	store  record.Store
	master string
	mark   mark
	rec    *record.Record // nil: none, and this run makes none
	before *record.Record // as loaded, for close
	saved  *record.Record // as last written
	// created: this run created the master and has not yet waited for udev's
	// announcement of it (waitUdev). Kept here, not per apply: with the kernel steps
	// first (applyLinks) the create and the unit starts are two applies.
	created bool
}

func (e *Env) openSession(j job) (*session, error) {
	s := &session{e: e, store: e.store(), master: j.master, mark: j.mark}
	rec, err := s.store.Load(j.master)
	if errors.Is(err, record.ErrCorrupt) {
		// An unreadable record must not wedge every run (bond-up, hot-plug, the
		// ExecStop at shutdown) until someone deletes it by hand. Without it nothing
		// is undone that the file does not name: what is configured and in place is
		// adopted again. Whether the master is up has its own marker: hot-plug goes on.
		aside, serr := s.store.SetAside(j.master)
		if serr != nil {
			return nil, errors.Join(err, serr)
		}
		e.Log.Warn("%s: %v; set aside as %s: what earlier runs applied and the file no longer names is not undone", j.master, err, aside)
		rec, err = nil, nil
		if s.store.IsUp(j.master) {
			rec = &record.Record{Master: j.master, Up: true}
		}
	}
	if err != nil {
		return nil, err
	}
	s.before = rec.Clone()
	s.saved = rec.Clone()
	switch j.mark {
	case markUp:
		if rec == nil {
			rec = &record.Record{Master: j.master}
		}
		rec.Up = true
	case markDown:
		// Down from the start: a hot-plug event queued behind this run leaves the
		// master alone, whether the teardown succeeds or not.
		if rec != nil {
			rec.Up = false
		}
	}
	s.rec = rec
	return s, s.save()
}

// adopt brings the record up to date with what the state shows (plan.Adopt).
func (s *session) adopt(in *plan.Input, st plan.State) {
	if s.rec != nil && in != nil {
		plan.Adopt(*in, st, s.rec)
	}
}

// save writes the record when it changed since it was last written.
func (s *session) save() error {
	if s.rec == nil || reflect.DeepEqual(s.saved, s.rec) {
		return nil
	}
	if err := s.store.Save(s.rec); err != nil {
		return err
	}
	s.saved = s.rec.Clone()
	return nil
}

// close writes what the run leaves owned. bond-down that succeeded leaves nothing
// (and the master down: hot-plug leaves it alone); one that failed keeps the rest of
// the record, marked down, for the next bond-down. A master the file no longer names
// keeps an empty record, down, until reboot: the ExecStop of its bond-up@ unit (or a
// second bond-down) then finds nothing to do instead of an unknown name.
func (s *session) close(unconfigured bool, runErr error) error {
	if s.mark == markDown && runErr == nil {
		switch {
		case s.before == nil:
			return s.store.Remove(s.master)
		case unconfigured:
			empty := &record.Record{Master: s.before.Master, Kind: s.before.Kind}
			if reflect.DeepEqual(s.saved, empty) {
				return nil
			}
			return s.store.Save(empty)
		}
		return s.store.Remove(s.master)
	}
	return s.save()
}

func (e *Env) store() record.Store { return record.Store{Dir: e.StateDir} }

// done stamps the lock of a successful full run with the configuration it read, so
// that waiting runs that read the same file coalesce.
func (e *Env) done(lk *lock.Lock, c *config.Config, isFull bool, err error) error {
	if err == nil && isFull {
		if serr := lk.Done(c.Digest); serr != nil {
			e.Log.Warn("stamp lock: %v", serr)
		}
	}
	return err
}

// errInterrupted marks a run stopped by SIGINT or SIGTERM between two steps.
var errInterrupted = errors.New("interrupted")

// apply runs a plan in order, recording each step that changes what we own as soon
// as it is done, so that a run killed at any point leaves a record that names what it
// made. A device that vanished is logged and skipped (the caller re-plans); a unit
// that cannot be started does not stop the network steps, but the run fails at the
// end; any other kernel error stops the run, and so does a signal (checked before
// each step). later are the steps planned to follow p (applyLinks: the unit steps),
// named with p's when a signal stops the run.
func (e *Env) apply(ctx context.Context, p plan.Plan, later []plan.Action, s *session) (vanished bool, err error) {
	fx, err := e.effects()
	if err != nil {
		return false, err
	}
	var unitErrs []error
	blocked := map[string]bool{} // cards whose radio was blocked mid-run: no more steps
	for i, a := range p.Actions {
		if ctx.Err() != nil {
			return vanished, errors.Join(append(unitErrs, e.interrupted(ctx, p, i, later))...)
		}
		if blocked[a.Link] && !a.IsUnit() {
			e.Log.Info("%s: %s: skipped, its radio is blocked", p.Master, a)
			continue
		}
		var undo *record.Record
		if a.Creates() {
			s.created = true
			// Recorded before it is done: a run killed right after the create must
			// leave a record saying the master is ours (the next run learns its
			// index); one killed before it leaves a record of a master that does not
			// exist, which the next run forgets (plan.Adopt).
			if s.rec != nil {
				undo = s.rec.Clone()
				a.Own(s.rec)
				if err := s.save(); err != nil {
					return vanished, errors.Join(append(unitErrs, err)...)
				}
			}
		}
		if s.created && a.Op == plan.OpStartUnit && a.Link == p.Master && e.WaitUdev {
			e.waitUdev(p.Master)
			s.created = false
		}
		err := a.Apply(ctx, fx)
		if err != nil && undo != nil {
			// Not created by us (a device of that name appeared first): not ours.
			s.rec = undo
			if serr := s.save(); serr != nil {
				err = errors.Join(err, serr)
			}
		}
		switch {
		case err == nil:
			if trace.Enabled {
				trace.Mark(traceName(a))
			}
			e.Log.Info("%s: %s", p.Master, a)
			if s.rec != nil {
				a.Own(s.rec)
				if a.Creates() && s.rec.Index == 0 {
					e.stampIndex(p.Master, s.rec)
				}
				if err := s.save(); err != nil {
					return vanished, errors.Join(append(unitErrs, err)...)
				}
			}
			testStep(ctx)
		case errors.Is(err, netdev.ErrGone):
			e.Log.Warn("%s: %s: skipped, %v", p.Master, a, err)
			vanished = true
		case errors.Is(err, netdev.ErrNoSlavePrio):
			// An older kernel: PRIMARY still orders the slaves, SLAVES' order cannot.
			e.Log.Info("%s: %s: skipped, %v", p.Master, a, err)
		case errors.Is(err, netdev.ErrBlocked):
			blocked[a.Link] = true
			// Blocked between our read and this step (airplane mode switched on):
			// nothing to do for that card until its unblock event runs us again;
			// the other devices must not wait for it.
			e.Log.Info("%s: %s: skipped, %v", p.Master, a, err)
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

// traceName is a step's name in a trace: its first three words, joined ("set-eth0-up").
func traceName(a plan.Action) string {
	f := strings.Fields(a.String())
	return strings.Join(f[:min(len(f), 3)], "-")
}

// interrupted says what a run stopped by a signal before step i did and did not do.
func (e *Env) interrupted(ctx context.Context, p plan.Plan, i int, later []plan.Action) error {
	var left []string
	for _, a := range append(p.Actions[i:len(p.Actions):len(p.Actions)], later...) {
		left = append(left, a.String())
	}
	n := len(p.Actions) + len(later)
	e.Log.Warn("%s: %v: %d of %d steps applied (each logged above); not applied: %s", p.Master, context.Cause(ctx), i, n, strings.Join(left, "; "))
	return fmt.Errorf("%w (%v) after %d of %d steps; not applied: %s; run it again to finish", errInterrupted, context.Cause(ctx), i, n, strings.Join(left, "; "))
}

// stampIndex records the ifindex of the master this run created, so that a device
// someone makes under that name after ours went is never taken for ours.
func (e *Env) stampIndex(master string, rec *record.Record) {
	src, err := e.source(func(string) bool { return false }, "")
	if err != nil {
		return
	}
	if s, err := src.Links(); err == nil {
		if l, ok := s.Get(master); ok {
			rec.Index = l.Index
		}
	}
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
	if s.Sandbox != nil && s.Sandbox.Resolvconf && f.e.PrepareDNS != nil {
		// Without it the lease's DNS is lost, not the lease: said, and the unit starts.
		if made, err := f.e.PrepareDNS(); err != nil {
			f.e.Log.Warn("%s: DNS may not reach resolvconf: %v", s.Name, err)
		} else if made != "" {
			f.e.Log.Info("%s: made %s, where resolvconf keeps its records, before the unit starts: its sandbox can write only what exists (bond-hotplug(8), DNS)", s.Name, made)
		}
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
// udev questions to the links it accepts; eventDev, when set, is a device udev is done
// with (see job).
func (e *Env) source(ask func(name string) bool, eventDev string) (netdev.Source, error) {
	if e.Source != nil {
		return e.Source, nil
	}
	h, err := e.handle()
	if err != nil {
		return nil, err
	}
	info := e.Info
	if info != nil && eventDev != "" {
		info = eventDevice{DeviceInfo: info, name: eventDev}
	}
	return &netdev.Reader{H: h, Info: info, Sys: e.Sys, Ask: ask, Reuse: true}, nil
}

// Up brings the named masters (all configured ones when none are named) to their
// configured state and marks them up: hot-plug events maintain them from now on.
func (e *Env) Up(ctx context.Context, masters []string) (err error) {
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
	// Every run below needs systemd: the connection is made while the rule is
	// written (issue 20: at boot both are on the way to the first lease).
	if !e.DryRun {
		e.startUnits(ctx)
	}
	// The rule names them before they converge (a device plugged meanwhile gets its
	// event), and again after, from what the runs recorded.
	errs := []error{e.syncRule(c, masterNames(ms)...)}
	defer func() { err = errors.Join(err, e.syncRule(c)); e.waitRule() }()
	heldBy := map[string][]string{}
	pass := func(ms []*config.Master, coalesce bool) {
		for _, m := range ms {
			if err := e.converge(ctx, c, e.upJob(m.Name, coalesce, heldBy)); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", m.Name, err))
			}
		}
	}
	pass(ms, true)
	// Slaves the file moved between masters (bond0's NIC now bond1's, and back): a
	// master that found its new slave still held by one converged after it, which
	// has released it since, runs once more so that this bond-up converges both.
	var again []*config.Master
	for i, m := range ms {
		if !e.DryRun && slices.ContainsFunc(ms[i+1:], func(o *config.Master) bool { return slices.Contains(heldBy[m.Name], o.Name) }) {
			again = append(again, m)
		}
	}
	// Our own first pass stamped their locks: it must not count as a concurrent run
	// that did the work.
	pass(again, false)
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
		e.Log.Warn("%s: no longer in %s but set up by an earlier run: left as it is; `bond-down %s` (or stopping bond-up@%s.service) tears it down", name, c.Path, name, name)
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
		if err := e.converge(ctx, c, e.downJob(m.Name, stopSupplicants)); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", m.Name, err))
		}
	}
	errs = append(errs, e.syncRule(c))
	e.waitRule()
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
		// A master both configured and recorded is one name.
		known := slices.Compact(slices.Sorted(slices.Values(append(c.MasterNames(), recorded...))))
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
	m, ok := plan.EventMaster(c, ifname)
	if !ok {
		return nil // not ours: touch nothing, connect to nothing, say nothing
	}
	if err := config.CheckName(ifname); err != nil {
		return usagef("interface %q (matched by %s's slaves): %v", ifname, m.Name, err)
	}
	ev := plan.Event{Action: action, Ifname: ifname}
	onlyStops := plan.OnlyStops(ev, m.Name, func(name string) bool { return !e.present(name) })
	return e.converge(ctx, c, e.hotplugJob(m.Name, ev, onlyStops))
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

// upUnblockedSlave sets ifname up at once when it is already master's slave, the
// master is up (bond-up ran, bond-down has not since), and its radio is unblocked:
// the one step an unblock asks of an enslaved card (airplane mode off), and the
// association can start only after it. The converging run that follows, under the
// master's lock, would do the same after reading everything (the units over D-Bus
// among them: most of a second on a slow machine), and now finds it done. A failure
// here is left to that run.
func (e *Env) upUnblockedSlave(master, ifname string) {
	if e.DryRun || !e.store().IsUp(master) {
		return
	}
	src, err := e.source(func(n string) bool { return n == ifname }, ifname)
	if err != nil {
		return
	}
	s, err := src.Links()
	if err != nil {
		return
	}
	l, ok := s.Get(ifname)
	if !ok || l.Master != master || l.AdminUp || l.RFKill.Blocked() {
		return
	}
	fx, err := e.effects()
	if err != nil {
		return
	}
	if err := fx.SetUp(ifname); err != nil {
		e.Log.Info("%s: set %s up at the unblock: %v (the run under the lock tries again)", master, ifname, err)
		return
	}
	e.Log.Info("%s: set %s up (radio unblocked)", master, ifname)
}

// RFKill handles the udev change event of rfkill device sysname (rfkill0) whose radio
// is now unblocked: cfg80211 set its interfaces down at the block and nobody sets them
// up again. Each interface of that radio that is a slave of ours converges its
// master, as an add event does (a master that is not up is left alone). Any other
// radio costs a few sysfs reads.
func (e *Env) RFKill(ctx context.Context, sysname string) error {
	sys := e.sysRoot()
	if err := netdev.CheckRFKillName(sysname); err != nil {
		return usagef("--rfkill: %v", err)
	}
	ifnames, err := netdev.RFKillInterfaces(sys, sysname)
	if err != nil {
		return err
	}
	if len(ifnames) == 0 {
		return nil
	}
	c, err := e.loadConfig()
	if err != nil {
		return err
	}
	var errs []error
	for _, ifname := range ifnames {
		m, ok := plan.EventMaster(c, ifname)
		if !ok || m.Name == ifname || config.CheckName(ifname) != nil {
			continue
		}
		e.Log.Info("%s: radio unblocked (%s): converging %s", ifname, sysname, m.Name)
		e.upUnblockedSlave(m.Name, ifname)
		ev := plan.Event{Action: "rfkill", Ifname: ifname}
		if err := e.converge(ctx, c, e.hotplugJob(m.Name, ev, false)); err != nil {
			errs = append(errs, fmt.Errorf("%s (%s unblocked): %w", m.Name, ifname, err))
		}
	}
	return errors.Join(errs...)
}
