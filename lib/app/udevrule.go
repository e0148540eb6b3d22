// SPDX-License-Identifier: Apache-2.0

package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/bond-hotplug/bond-hotplug/lib/coexist"
	"github.com/bond-hotplug/bond-hotplug/lib/config"
	"github.com/bond-hotplug/bond-hotplug/lib/udevrule"
)

// syncRule makes the runtime udev rule name the devices of the masters that are up
// (lib/udevrule), plus going: bond-up names its masters before it converges, so that
// a device plugged during the run already gets its event. When the rule changed, udev
// reloads it and the present devices it now names differently get an event (retrigger):
// udev sets or clears their NM_UNMANAGED, and NetworkManager lets go of them or takes
// them back. Hot-plug runs never change which masters are up, so never call this.
func (e *Env) syncRule(c *config.Config, going ...string) error {
	if e.DryRun || e.UdevRule == "" {
		return nil
	}
	var ms []udevrule.Master
	for _, name := range c.MasterNames() {
		m, _ := c.Master(name)
		up := false
		for _, g := range going {
			up = up || g == name
		}
		if !up {
			rec, err := e.store().Load(name)
			// An unreadable record must not turn hot-plug off: the run that sets it
			// aside decides again.
			up = err != nil || (rec != nil && rec.Up)
		}
		if up {
			ms = append(ms, udevrule.Master{Name: name, Slaves: m.Slaves})
		}
	}
	text, err := udevrule.Text(ms)
	if err != nil {
		return err
	}
	old, err := udevrule.Read(e.UdevRule)
	if err != nil {
		return err
	}
	if changed, err := udevrule.Write(e.UdevRule, text); err != nil || !changed {
		return err
	}
	e.Log.JournalOnly("udev rule %s: masters up: %s", e.UdevRule, names(ms))
	if !e.UdevLive {
		return nil
	}
	// The reload, the devices' events and NetworkManager's hand-over run beside the
	// converging (waitRule collects them): they cost a udevadm process and a bus
	// connection, and no step of the run needs them done. A device that appears
	// after the reload gets its marks from the new rule.
	prev, done := e.ruleWork, make(chan struct{})
	e.ruleWork = done
	change := &ruleChange{old: udevrule.Parse(old), now: ms}
	e.ruleChanges = append(e.ruleChanges, change)
	go func() {
		defer close(done)
		if prev != nil {
			<-prev
		}
		// The rule is in place: udevd also reads it when it next checks its rule
		// directories, so a failed reload (udevd stopping at shutdown) only delays it.
		reload := e.reloadUdev
		if reload == nil {
			reload = reloadUdev
		}
		if err := reload(); err != nil {
			e.Log.Warn("udev rule: %v: udev reads the new rule when it next checks its rules", err)
			return
		}
		change.reloaded = true
		gained, lost := e.renamed(change.old, change.now)
		e.sendEvents(lost, func(string) string { return "change" })
		if e.nmHandOver != nil {
			e.nmHandOver(gained, lost)
		} else {
			e.handOver(gained, lost)
		}
	}()
	return nil
}

// ruleChange is one rewrite of the rule, whose devices get their events (renamed).
type ruleChange struct {
	old, now []udevrule.Master
	// reloaded: udev read the rule (set by the reload's goroutine before it ends).
	reloaded bool
}

// waitRule waits until what syncRule started in the background is done, then sends
// the events of the devices the rule now names, which waited for the runs to
// converge. The master itself, and a device its master's bond-up run settled (udev
// had finished with it when the run read the state, and the run ended without error)
// that is now enslaved to it, get "change": udev sets their marks, nothing of ours
// runs. Any other gets "add", as at coldplug: one whose own add event udev was still
// processing with the old rules when the run read the state (skipped then as not yet
// initialized), and every device of a run that failed (a unit that did not start),
// whose bond-hotplug run converges it or tries again. Sent to every device before the
// run had converged, "add" started one run per slave after the run that had done
// their work (the events came after its lock, so they could not coalesce with it):
// at boot, beside the DHCP clients' start (issue 20). The devices are listed again
// here, against the first rule this run replaced and the last it wrote: a device
// renamed since the reload is found by its new name, and one a later rewrite took
// out again (its master failed) gets no "add".
func (e *Env) waitRule() {
	if e.ruleWork == nil {
		return
	}
	<-e.ruleWork
	changes := e.ruleChanges
	e.ruleChanges = nil
	if len(changes) == 0 || !changes[len(changes)-1].reloaded {
		// udev may still judge by the old rules: no event (it reads them later).
		return
	}
	now := changes[len(changes)-1].now
	gained, _ := e.renamed(changes[0].old, now)
	e.sendEvents(gained, func(name string) string {
		m, _ := udevrule.Owner(now, name)
		if m == name || m != "" && e.settled[m][name] && e.slaveOf(name) == m {
			return "change"
		}
		return "add"
	})
}

// slaveOf is the master a device is enslaved to now ("": none, or unreadable).
func (e *Env) slaveOf(name string) string {
	t, err := os.Readlink(filepath.Join(e.sysRoot(), "class", "net", name, "master"))
	if err != nil {
		return ""
	}
	return filepath.Base(t)
}

// handOver tells a running NetworkManager what the rule now says about devices it
// already knows: it reads NM_UNMANAGED only when a device appears. The devices it
// let go of for us are listed in nmReleased, and only those are given back when they
// stop being ours (one it leaves alone for its own reasons, a veth, stays so).
func (e *Env) handOver(gained, lost []string) {
	file := filepath.Join(filepath.Dir(e.StateDir), "nm-released")
	b, _ := os.ReadFile(file)
	released := strings.Fields(string(b))
	var back []string
	for _, n := range lost {
		if slices.Contains(released, n) {
			back = append(back, n)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	let, err := coexist.SetNMManaged(ctx, gained, false)
	if err != nil {
		e.Log.Warn("%v", err)
	}
	took, err := coexist.SetNMManaged(ctx, back, true)
	if err != nil {
		e.Log.Warn("%v", err)
	}
	if len(let)+len(took) == 0 {
		return
	}
	if len(let) > 0 {
		e.Log.Info("NetworkManager let go of %s", strings.Join(let, " "))
	}
	if len(took) > 0 {
		e.Log.Info("NetworkManager manages %s again", strings.Join(took, " "))
	}
	released = slices.DeleteFunc(released, func(n string) bool { return slices.Contains(took, n) })
	for _, n := range let {
		if !slices.Contains(released, n) {
			released = append(released, n)
		}
	}
	if err := os.WriteFile(file, []byte(strings.Join(released, "\n")+"\n"), 0o644); err != nil {
		e.Log.Warn("NetworkManager hand-over: %v", err)
	}
}

func names(ms []udevrule.Master) string {
	var s []string
	for _, m := range ms {
		s = append(s, m.Name)
	}
	if len(s) == 0 {
		return "none (rule removed)"
	}
	return strings.Join(s, " ")
}

// reloadUdev has udevd read its rules again now; `udevadm control` returns once udevd
// has done so, and the change events sent after it see the new rule. Without a
// running udevd there is nothing to reload.
func reloadUdev() error {
	if _, err := os.Stat("/run/udev/control"); err != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "udevadm", "control", "--reload")
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("running [udevadm control --reload]: %w: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

// renamed lists the present network devices whose master in the rule differs
// between old and now: gained (now ours) and lost (no longer).
func (e *Env) renamed(old, now []udevrule.Master) (gained, lost []string) {
	ents, err := os.ReadDir(filepath.Join(e.sysRoot(), "class", "net"))
	if err != nil {
		e.Log.Warn("udev rule: %v: NetworkManager learns of the change at the devices' next event", err)
		return nil, nil
	}
	for _, ent := range ents {
		a, _ := udevrule.Owner(old, ent.Name())
		b, _ := udevrule.Owner(now, ent.Name())
		switch {
		case a == b:
		case b != "":
			gained = append(gained, ent.Name())
		default:
			lost = append(lost, ent.Name())
		}
	}
	return gained, lost
}

// sendEvents has the kernel send each device the uevent action(name) says, so that
// udev applies the rule's marks to it: "change" runs nothing of ours (the rule's RUN
// is for add, remove and move), "add" runs bond-hotplug for a slave.
func (e *Env) sendEvents(names []string, action func(name string) string) {
	var errs []error
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(e.sysRoot(), "class", "net", n, "uevent"), []byte(action(n)), 0); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		e.Log.Warn("udev rule: %v: NetworkManager learns of the change at the devices' next event", err)
	}
}

func masterNames(ms []*config.Master) []string {
	var s []string
	for _, m := range ms {
		s = append(s, m.Name)
	}
	return s
}
