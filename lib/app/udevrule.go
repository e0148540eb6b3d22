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
	// The reload, the events and NetworkManager's hand-over run beside the
	// converging (waitRule collects them): they cost a udevadm process and a bus
	// connection, and no step of the run needs them done. A device present when
	// retrigger lists them gets its event after the reload; one that appears later,
	// from the new rule.
	prev, done := e.ruleWork, make(chan struct{})
	e.ruleWork = done
	go func() {
		defer close(done)
		if prev != nil {
			<-prev
		}
		// The rule is in place: udevd also reads it when it next checks its rule
		// directories, so a failed reload (udevd stopping at shutdown) only delays it.
		if err := reloadUdev(); err != nil {
			e.Log.Warn("udev rule: %v: udev reads the new rule when it next checks its rules", err)
			return
		}
		gained, lost := e.retrigger(udevrule.Parse(old), ms)
		e.handOver(gained, lost)
	}()
	return nil
}

// waitRule waits until what syncRule started in the background is done.
func (e *Env) waitRule() {
	if e.ruleWork != nil {
		<-e.ruleWork
	}
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

// retrigger sends a uevent to each present network device whose master in the rule
// differs between old and now, so that udev sets or clears its marks. A device that
// is now ours gets "add" (as at coldplug): its bond-hotplug run queues on the lock and
// coalesces with this bond-up, and a device whose own add event udev was still
// processing with the old rules (so bond-up's state read skipped it as not yet
// initialized) is not lost. A device no longer ours gets "change", which runs nothing
// of ours.
func (e *Env) retrigger(old, now []udevrule.Master) (gained, lost []string) {
	sys := e.Sys
	if sys == "" {
		sys = "/sys"
	}
	dir := filepath.Join(sys, "class", "net")
	ents, err := os.ReadDir(dir)
	if err != nil {
		e.Log.Warn("udev rule: %v: NetworkManager learns of the change at the devices' next event", err)
		return nil, nil
	}
	var errs []error
	for _, ent := range ents {
		a, _ := udevrule.Owner(old, ent.Name())
		b, _ := udevrule.Owner(now, ent.Name())
		if a == b {
			continue
		}
		action := "change"
		if b != "" {
			action = "add"
			gained = append(gained, ent.Name())
		} else {
			lost = append(lost, ent.Name())
		}
		if err := os.WriteFile(filepath.Join(dir, ent.Name(), "uevent"), []byte(action), 0); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		e.Log.Warn("udev rule: %v: NetworkManager learns of the change at the devices' next event", err)
	}
	return gained, lost
}

func masterNames(ms []*config.Master) []string {
	var s []string
	for _, m := range ms {
		s = append(s, m.Name)
	}
	return s
}
