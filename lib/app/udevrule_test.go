// SPDX-License-Identifier: Apache-2.0

package app

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/bond-hotplug/bond-hotplug/lib/udevrule"
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

func sentEvent(t *testing.T, sys, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(sys, "class", "net", name, "uevent"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Issue 20: after bond-up converged, a device its run enslaved, and the master, get "change" (udev
// marks it; no bond-hotplug run follows), a device the rule now names that is not
// enslaved gets "add" (its own run converges it), a device no longer named gets
// "change", and a device the rule names as before gets nothing. NetworkManager hears
// of the gained and lost devices.
func TestRuleChangeSendsAddOnlyToDevicesTheRunDidNotEnslave(t *testing.T) {
	e, log := testEnv(t, nil, "bond0SLAVES='eth* wl*'\n", nil)
	e.Sys = netSys(t, map[string]string{"eth0": "bond0", "wlan0": "bond0", "eth1": "", "veth9": "", "usb5": "", "bond0": ""})
	e.UdevRule = filepath.Join(t.TempDir(), "89-bond-hotplug-up.rules")
	old, err := udevrule.Text([]udevrule.Master{{Name: "br9", Slaves: []string{"usb*"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(e.UdevRule, []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	e.UdevLive = true
	reloads := 0
	e.reloadUdev = func() error { reloads++; return nil }
	var gained, lost []string
	e.nmHandOver = func(g, l []string) { gained, lost = g, l }
	c, err := e.loadConfig()
	if err != nil {
		t.Fatal(err)
	}
	if err := e.syncRule(c, "bond0"); err != nil {
		t.Fatalf("syncRule: %v\n%s", err, log)
	}
	e.waitRule()
	if reloads != 1 {
		t.Errorf("udev reloads: %d, want 1", reloads)
	}
	for name, want := range map[string]string{"eth0": "change", "wlan0": "change", "eth1": "add", "bond0": "change", "usb5": "change", "veth9": ""} {
		if got := sentEvent(t, e.Sys, name); got != want {
			t.Errorf("%s: event %q, want %q", name, got, want)
		}
	}
	slices.Sort(gained)
	if !slices.Equal(gained, []string{"bond0", "eth0", "eth1", "wlan0"}) || !slices.Equal(lost, []string{"usb5"}) {
		t.Errorf("NetworkManager told: gained %q, lost %q; want bond0 eth0 eth1 wlan0, and usb5", gained, lost)
	}
}

// A reload that fails (udevd stopping) sends no event: the devices would be judged
// by the old rules.
func TestRuleChangeWithAFailedReloadSendsNoEvent(t *testing.T) {
	e, log := testEnv(t, nil, "bond0SLAVES='eth*'\n", nil)
	e.Sys = netSys(t, map[string]string{"eth1": ""})
	e.UdevRule = filepath.Join(t.TempDir(), "89-bond-hotplug-up.rules")
	e.UdevLive = true
	e.reloadUdev = func() error { return errors.New("udevd is stopping") }
	e.nmHandOver = func(g, l []string) { t.Errorf("NetworkManager told %q %q after a failed reload", g, l) }
	c, err := e.loadConfig()
	if err != nil {
		t.Fatal(err)
	}
	if err := e.syncRule(c, "bond0"); err != nil {
		t.Fatalf("syncRule: %v\n%s", err, log)
	}
	e.waitRule()
	if got := sentEvent(t, e.Sys, "eth1"); got != "" {
		t.Errorf("eth1: event %q after a failed reload, want none", got)
	}
}
