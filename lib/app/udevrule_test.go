// SPDX-License-Identifier: Apache-2.0

package app

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/bond-hotplug/bond-hotplug/lib/netdev"
	"github.com/bond-hotplug/bond-hotplug/lib/udevrule"
	"github.com/bond-hotplug/bond-hotplug/lib/units"
)

// netSys is a sysfs with the network devices given (name -> master, "" for none),
// each with its uevent file (empty: nothing sent yet).
func netSys(t *testing.T, devs map[string]string) string {
	t.Helper()
	sys := t.TempDir()
	for name, master := range devs {
		d := filepath.Join(sys, "class", "net", name)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "uevent"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if master != "" {
			if err := os.Symlink("../"+master, filepath.Join(d, "master")); err != nil {
				t.Fatal(err)
			}
		}
	}
	return sys
}

// liveRuleEnv is an Env whose runtime rule udev "reloads" (counted in *reloads) over a
// sysfs with devs (netSys), NetworkManager's hand-over noted in *told.
func liveRuleEnv(t *testing.T, conf string, devs map[string]string, mgr units.Manager) (e *Env, log func() string, reloads *int, told *[2][]string) {
	t.Helper()
	e, buf := testEnv(t, nil, conf, func(context.Context) (units.Manager, error) { return mgr, nil })
	e.Sys = netSys(t, devs)
	e.UdevRule = filepath.Join(t.TempDir(), "89-bond-hotplug-up.rules")
	e.UdevLive = true
	reloads, told = new(int), new([2][]string)
	e.reloadUdev = func() error { *reloads++; return nil }
	e.nmHandOver = func(g, l []string) { told[0], told[1] = g, l }
	return e, buf.String, reloads, told
}

// syncAndWait is bond-up's rule change for going, collected.
func syncAndWait(t *testing.T, e *Env, log func() string, going ...string) {
	t.Helper()
	c, err := e.loadConfig()
	if err != nil {
		t.Fatal(err)
	}
	if err := e.syncRule(c, going...); err != nil {
		t.Fatalf("syncRule: %v\n%s", err, log())
	}
	e.waitRule()
}

func sentEvent(t *testing.T, sys, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(sys, "class", "net", name, "uevent"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Issue 20: after bond-up converged, a device its run settled and enslaved, and the
// master, get "change" (udev marks it; no bond-hotplug run follows); a device the
// rule now names that is not enslaved, or that is enslaved but was not settled when
// the run read the state (udev still had it: the run left it alone), gets "add" (its
// own run converges it); a device no longer named gets "change", and a device the
// rule names as before gets nothing. NetworkManager hears of the gained and lost
// devices.
func TestRuleChangeSendsAddOnlyToDevicesTheRunDidNotEnslave(t *testing.T) {
	e, log, reloads, told := liveRuleEnv(t, "bond0SLAVES='eth* wl*'\n",
		map[string]string{"eth0": "bond0", "wlan0": "bond0", "eth2": "bond0", "eth1": "", "veth9": "", "usb5": "", "bond0": ""}, nil)
	e.settled = map[string]map[string]bool{"bond0": {"eth0": true, "wlan0": true, "eth1": true, "bond0": true}}
	old, err := udevrule.Text([]udevrule.Master{{Name: "br9", Slaves: []string{"usb*"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(e.UdevRule, []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	syncAndWait(t, e, log, "bond0")
	if *reloads != 1 {
		t.Errorf("udev reloads: %d, want 1", *reloads)
	}
	for name, want := range map[string]string{"eth0": "change", "wlan0": "change", "eth2": "add", "eth1": "add", "bond0": "change", "usb5": "change", "veth9": ""} {
		if got := sentEvent(t, e.Sys, name); got != want {
			t.Errorf("%s: event %q, want %q", name, got, want)
		}
	}
	gained, lost := told[0], told[1]
	slices.Sort(gained)
	if !slices.Equal(gained, []string{"bond0", "eth0", "eth1", "eth2", "wlan0"}) || !slices.Equal(lost, []string{"usb5"}) {
		t.Errorf("NetworkManager told: gained %q, lost %q; want bond0 eth0 eth1 eth2 wlan0, and usb5", gained, lost)
	}
}

// A reload that fails (udevd stopping) sends no event: the devices would be judged
// by the old rules.
func TestRuleChangeWithAFailedReloadSendsNoEvent(t *testing.T) {
	e, log, _, told := liveRuleEnv(t, "bond0SLAVES='eth*'\n", map[string]string{"eth1": ""}, nil)
	e.reloadUdev = func() error { return errors.New("udevd is stopping") }
	syncAndWait(t, e, log, "bond0")
	if got := sentEvent(t, e.Sys, "eth1"); got != "" {
		t.Errorf("eth1: event %q after a failed reload, want none", got)
	}
	if told[0] != nil || told[1] != nil {
		t.Errorf("NetworkManager told %q after a failed reload", *told)
	}
}

// A master whose run failed (here: systemd would not start its DHCP client) settles
// nothing: its enslaved devices get "add", and their runs try again, as before issue
// 20's change. A master the second rewrite took out again (its run failed before it
// was up) gets no "add" for its devices: the rule udev judges by no longer names them.
func TestRuleChangeAfterAFailedRunSendsAdd(t *testing.T) {
	const conf = "bond0SLAVES='eth*'\nbond0DHCP='yes'\n"
	devs := map[string]string{"eth0": "bond0", "bond0": ""}
	for _, c := range []struct {
		name      string
		failStart error
		want      string
	}{
		{"systemd refuses every start", errors.New("no bus"), "add"},
		{"converged", nil, "change"},
	} {
		mgr := units.NewFake()
		mgr.FailStart = c.failStart
		e, log, _, _ := liveRuleEnv(t, conf, devs, mgr)
		k := netdev.NewFake()
		e.Kernel, e.Source = k, k
		k.AddLink("eth0", "device")
		if err := e.Up(context.Background(), nil); (err != nil) != (c.failStart != nil) {
			t.Fatalf("%s: bond-up: %v\n%s", c.name, err, log())
		}
		if got := sentEvent(t, e.Sys, "eth0"); got != c.want {
			t.Errorf("%s: eth0's event after bond-up: %q, want %q", c.name, got, c.want)
		}
		if settled := e.settled["bond0"] != nil; settled != (c.failStart == nil) {
			t.Errorf("%s: bond0 settled: %v", c.name, settled)
		}
	}
}

// Two rewrites in one run (bond-up names bond0, then takes it out again because its
// run failed before marking it up): the devices are judged by the last rule, so eth1
// gets no "add".
func TestRuleChangesAreJudgedByTheLastRule(t *testing.T) {
	e, log, _, _ := liveRuleEnv(t, "bond0SLAVES='eth*'\n", map[string]string{"eth1": ""}, nil)
	c, err := e.loadConfig()
	if err != nil {
		t.Fatal(err)
	}
	if err := e.syncRule(c, "bond0"); err != nil {
		t.Fatalf("syncRule: %v\n%s", err, log())
	}
	syncAndWait(t, e, log) // no record says bond0 is up
	if got := sentEvent(t, e.Sys, "eth1"); got == "add" {
		t.Errorf("eth1: event %q after the rule named bond0 and then nothing, want no add", got)
	}
}
