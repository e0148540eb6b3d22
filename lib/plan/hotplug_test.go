// SPDX-License-Identifier: Apache-2.0

package plan

import (
	"fmt"
	"strings"
	"testing"

	"github.com/bond-hotplug/bond-hotplug/lib/netdev"
	"github.com/bond-hotplug/bond-hotplug/lib/record"
)

// upRecord is the record bond-up leaves on the converged laptop.
func upRecord(t *testing.T) *record.Record {
	r := &record.Record{Master: "bond0", Up: true, Created: true}
	Adopt(input(t, laptopConf, "bond0"), converged(), r)
	return r
}

func TestEventActsOnlyForAddMoveAndRemove(t *testing.T) {
	var b strings.Builder
	for _, a := range []string{"add", "remove", "move", "change", "online", "offline", "bind", "unbind", "explode", ""} {
		acts, err := EventActs(a)
		fmt.Fprintf(&b, "%q: acts %v, error %v\n", a, acts, err)
	}
	golden(t, "hotplug-which-events-act", b.String())
}

func TestEventMaster(t *testing.T) {
	c := mustConfig(t, laptopConf+"br0SLAVES='veth*'\n")
	var b strings.Builder
	for _, ifname := range []string{"bond0", "enp3s0", "wlp2s0", "br0", "veth3", "eth9"} {
		m, ok := EventMaster(c, ifname)
		name := "-"
		if ok {
			name = m.Name
		}
		isMaster := ok && m.Name == ifname
		fmt.Fprintf(&b, "%s: master %s, is the master %v, ours %v\n", ifname, name, isMaster, ok)
	}
	golden(t, "hotplug-which-master-an-event-concerns", b.String())
}

func TestHotplugPlans(t *testing.T) {
	without := func(st State, names ...string) State {
		var keep []netdev.Link
		for _, l := range st.Links.Links {
			if !contains(names, l.Name) {
				keep = append(keep, l)
			}
		}
		st.Links.Links = keep
		return st
	}
	for _, tc := range []struct {
		name string
		ev   Event
		st   func() State
	}{
		{"add-of-wired-enslaves-it", Event{"add", "enp3s0"}, func() State {
			st := converged()
			st.Links.Links[1] = link("enp3s0", "device", "", false)
			st.Bond.Primary = ""
			return st
		}},
		{"remove-of-wifi-card-with-master-up-converges-and-stops-its-supplicant", Event{"remove", "wlp2s0"}, func() State {
			return without(converged(), "wlp2s0")
		}},
		{"remove-after-bond-down-only-stops-the-cards-units", Event{"remove", "wlp2s0"}, func() State {
			return without(converged(), "wlp2s0", "bond0")
		}},
		{"remove-of-the-master-only-stops-its-units", Event{"remove", "bond0"}, func() State {
			return without(converged(), "bond0")
		}},
		{"remove-arriving-after-the-card-is-back-converges", Event{"remove", "wlp2s0"}, func() State {
			st := converged()
			st.Links.Links[3] = link("wlp2s0", "device", "", true, "wireless")
			return st
		}},
		{"add-of-the-master-that-vanished-again-does-nothing", Event{"add", "bond0"}, func() State {
			return without(converged(), "bond0")
		}},
		{"add-while-no-bond-up-ran-since-boot-does-nothing", Event{"add", "enp3s0"}, func() State {
			st := converged()
			st.Links.Links[1] = link("enp3s0", "device", "", false)
			st.Owned = &record.Record{} // stands for none: see below
			return st
		}},
		{"add-after-bond-down-does-nothing", Event{"add", "enp3s0"}, func() State {
			st := without(converged(), "bond0")
			st.Links.Links[0] = link("enp3s0", "device", "", false)
			st.Owned = &record.Record{Master: "bond0", Kind: "bond"}
			return st
		}},
		{"move-to-a-configured-name-enslaves-it", Event{"move", "enp3s0"}, func() State {
			st := converged()
			st.Links.Links[1] = link("enp3s0", "device", "", true)
			return st
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := input(t, laptopConf, "bond0")
			st := tc.st()
			switch {
			case st.Owned == nil:
				st.Owned = upRecord(t)
			case st.Owned.Master == "":
				st.Owned = nil
			}
			p, full, err := Hotplug(in, tc.ev, st)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, "hotplug-"+tc.name, fmt.Sprintf("event %s %s: full run %v\n%s", tc.ev.Action, tc.ev.Ifname, full, p))
			if full {
				sameLinksWithoutUnits(t, in, st, p)
			}
		})
	}
}

func contains(s []string, x string) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}
