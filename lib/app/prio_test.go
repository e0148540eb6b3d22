// SPDX-License-Identifier: Apache-2.0

package app

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
)

// Issue 17.6, the logic above the kernel (lab scenario 71 proves the driver's choice):
// the order of SLAVES gives each slave its prio, an edited order is applied to the
// slaves in place, and a kernel without per-slave prio costs a note, not a failure.
func TestSlavesOrderSetsThePrioAndAnEditReordersThem(t *testing.T) {
	e, k, _, log := fakeEnv(t, "bond0SLAVES='enx* eth0 wl*'\nbond0PRIMARY=eth0\nbond0DHCP=no\nbond0DHCP6=no\n")
	ctx := context.Background()
	for _, n := range []string{"enx0011", "eth0", "wlan0"} {
		k.AddLink(n, "device")
	}
	if err := e.Up(ctx, nil); err != nil {
		t.Fatalf("bond-up: %v\n%s", err, log)
	}
	if got := k.Prio; got["enx0011"] != 3 || got["eth0"] != 2 || got["wlan0"] != 1 {
		t.Fatalf("prios %v, want enx0011 3, eth0 2, wlan0 1", got)
	}
	e.Out = &bytes.Buffer{}
	if err := e.Up(ctx, nil); err != nil || e.Out.(*bytes.Buffer).String() != "bond0: nothing to do\n" {
		t.Fatalf("second bond-up: %v, %q", err, e.Out)
	}
	// Wi-Fi before the dock now: only the prios change, nobody is released.
	if err := os.WriteFile(e.ConfigPath, []byte("bond0SLAVES='wl* eth0 enx*'\nbond0PRIMARY=eth0\nbond0DHCP=no\nbond0DHCP6=no\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	k.Writes = nil
	if err := e.Up(ctx, nil); err != nil {
		t.Fatalf("bond-up after the edit: %v\n%s", err, log)
	}
	if want := "set enx0011 prio 1\nset wlan0 prio 3"; k.Transcript() != want {
		t.Errorf("writes after the edit:\n%s\nwant:\n%s", k.Transcript(), want)
	}
}

func TestAKernelWithoutSlavePrioCostsANoteNotAFailure(t *testing.T) {
	e, k, _, log := fakeEnv(t, "bond0SLAVES='eth* wl*'\nbond0DHCP=no\nbond0DHCP6=no\n")
	k.NoSlavePrio = true
	k.AddLink("eth0", "device")
	k.AddLink("wlan0", "device")
	ctx := context.Background()
	if err := e.Up(ctx, nil); err != nil {
		t.Fatalf("bond-up: %v\n%s", err, log)
	}
	if !strings.Contains(log.String(), "set eth0 prio 2: skipped") || !k.Devs["wlan0"].AdminUp {
		t.Errorf("want the prio skipped with a note and the slaves up:\n%s", log)
	}
	e.Out = &bytes.Buffer{}
	if err := e.Up(ctx, nil); err != nil || e.Out.(*bytes.Buffer).String() != "bond0: nothing to do\n" {
		t.Fatalf("the next run must not try again: %v, %q", err, e.Out)
	}
}
