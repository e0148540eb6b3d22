// SPDX-License-Identifier: Apache-2.0

package plan

import (
	"strings"
	"testing"

	"github.com/bond-hotplug/bond-hotplug/lib/units"
)

// swapped is the converged laptop whose Wi-Fi card was just replaced by another of the
// same name (soak runs 20261207-143709 cycles w59, w95): the new wlp2s0 has ifindex 9,
// and the supplicant systemd still lists was started for the card before it (ifindex 4),
// as the record says. wpa is that unit's state as systemd reports it.
func swapped(t *testing.T, wpa units.State) State {
	st := owned(t)
	for i, l := range st.Links.Links {
		if l.Name == "wlp2s0" {
			st.Links.Links[i].Index = 9
		}
	}
	st.Owned.SetUnitIndex("bond-wpa@wlp2s0.service", 4)
	wpa.Name = "bond-wpa@wlp2s0.service"
	st.Units[wpa.Name] = wpa
	return st
}

const wpaRestart = "restart bond-wpa@wlp2s0.service"

// The new card's add event must end with a supplicant started for it, whether systemd's
// stop of the old card's unit (BindsTo its device) has begun when the run reads the
// unit list or comes after the run: nothing else runs us after that stop.
func TestSwappedCardRestartsTheOldCardsSupplicant(t *testing.T) {
	in := input(t, laptopConf, "bond0")
	for _, tc := range []struct {
		name string
		wpa  units.State
	}{
		{"stop not yet seen by systemd", units.State{Active: "active", Sub: "running"}},
		{"stop job queued", units.State{Active: "active", Sub: "running", Job: "stop"}},
		{"stopping", units.State{Active: "deactivating", Sub: "stop-sigterm", Job: "stop"}},
	} {
		st := swapped(t, tc.wpa)
		p, full, err := Hotplug(in, Event{Action: "add", Ifname: "wlp2s0"}, st)
		if err != nil || !full {
			t.Fatalf("%s: full %v, error %v", tc.name, full, err)
		}
		text := p.String()
		if !strings.Contains(text, wpaRestart) || len(p.Actions) != 1 {
			t.Errorf("%s: want only %q, got:\n%s", tc.name, wpaRestart, text)
			continue
		}
		// The restart records the new card's ifindex: the next run leaves it alone.
		a := p.Actions[0]
		a.Own(st.Owned)
		if got := st.Owned.UnitIndex[a.Unit.Name]; got != 9 {
			t.Errorf("%s: recorded ifindex %d after the restart, want 9", tc.name, got)
		}
		st.Units[a.Unit.Name] = units.State{Name: a.Unit.Name, Active: "active", Sub: "running"}
		if p, _, _ := Hotplug(in, Event{Action: "add", Ifname: "wlp2s0"}, st); len(p.Actions) != 0 {
			t.Errorf("%s: after the restart, want nothing to do, got:\n%s", tc.name, p)
		}
	}
}

// A supplicant started for this very card, or one no record gives an ifindex for
// (started by a version before the record had one), is left running.
func TestSupplicantOfThisCardIsLeftRunning(t *testing.T) {
	in := input(t, laptopConf, "bond0")
	st := swapped(t, units.State{Active: "active", Sub: "running"})
	st.Owned.SetUnitIndex("bond-wpa@wlp2s0.service", 9)
	if p, _, _ := Hotplug(in, Event{Action: "add", Ifname: "wlp2s0"}, st); len(p.Actions) != 0 {
		t.Errorf("same ifindex: want nothing to do, got:\n%s", p)
	}
	st.Owned.SetUnitIndex("bond-wpa@wlp2s0.service", 0)
	if p, _, _ := Hotplug(in, Event{Action: "add", Ifname: "wlp2s0"}, st); len(p.Actions) != 0 {
		t.Errorf("no recorded ifindex: want nothing to do, got:\n%s", p)
	}
}

// A start records the ifindex of the card it serves; a stop forgets it.
func TestSupplicantStartRecordsTheCardsIfindex(t *testing.T) {
	in := input(t, laptopConf, "bond0")
	st := swapped(t, units.State{})
	delete(st.Units, "bond-wpa@wlp2s0.service")
	st.Owned.DropUnit("bond-wpa@wlp2s0.service")
	p, _, err := Hotplug(in, Event{Action: "add", Ifname: "wlp2s0"}, st)
	if err != nil || len(p.Actions) != 1 || p.Actions[0].Op != OpStartUnit {
		t.Fatalf("want one start, got %v:\n%s", err, p)
	}
	p.Actions[0].Own(st.Owned)
	if got := st.Owned.UnitIndex["bond-wpa@wlp2s0.service"]; got != 9 {
		t.Errorf("recorded ifindex %d, want 9", got)
	}
	Action{Op: OpStopUnit, Name: "bond-wpa@wlp2s0.service"}.Own(st.Owned)
	if _, ok := st.Owned.UnitIndex["bond-wpa@wlp2s0.service"]; ok {
		t.Errorf("the stop left the ifindex recorded: %v", st.Owned.UnitIndex)
	}
}
