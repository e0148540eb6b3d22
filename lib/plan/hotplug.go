// SPDX-License-Identifier: Apache-2.0

package plan

import (
	"fmt"

	"github.com/bond-hotplug/bond-hotplug/lib/config"
)

// udevActions are the actions udev sends for a network device.
var udevActions = map[string]bool{"add": true, "remove": true, "move": true, "change": true,
	"online": true, "offline": true, "bind": true, "unbind": true}

// EventActs says whether a udev action can change what we manage: add, move (a
// rename) and remove do; the others are accepted and ignored. An action udev never
// sends is an error.
func EventActs(action string) (bool, error) {
	if !udevActions[action] {
		return false, fmt.Errorf("ACTION %q: not a udev action (add, remove, move, change, ...)", action)
	}
	return action == "add" || action == "remove" || action == "move", nil
}

// Event is one udev event for a network interface.
type Event struct {
	Action string
	Ifname string
}

// EventMaster returns the configured master an interface's event concerns: the
// interface itself when it is a master, else the master it is a slave of. ok is false
// for a device that is not ours: its events touch nothing.
func EventMaster(c *config.Config, ifname string) (m *config.Master, ok bool) {
	if m, ok := c.Master(ifname); ok {
		return m, true
	}
	return c.MasterOf(ifname)
}

// OnlyStops says whether an event may only stop units: a remove of a device that is
// gone, when its master is gone too (bond-down ran) or it is the master itself.
// Building the master again from a remove would undo bond-down. absent reports a
// device that does not exist.
func OnlyStops(ev Event, master string, absent func(name string) bool) bool {
	return ev.Action == "remove" && absent(ev.Ifname) && (ev.Ifname == master || absent(master))
}

// Hotplug plans what one udev event asks for master in.Master, from the state read
// under the master's lock. full says whether the plan is the whole desired state
// (which concurrent runs may coalesce with). Any event other than OnlyStops converges
// the whole master, which also stops the units of a card that is gone.
func Hotplug(in Input, ev Event, st State) (p Plan, full bool, err error) {
	m := in.Master
	absent := func(name string) bool { _, ok := st.Links.Get(name); return !ok }
	if OnlyStops(ev, m.Name, absent) {
		return Removed(in.Config, ev.Ifname, st), false, nil
	}
	if ev.Ifname == m.Name && absent(m.Name) {
		// Our master appeared and vanished again; nothing to build on.
		return Plan{Master: m.Name}, false, nil
	}
	// Administrative state: hot-plug maintains only a master that bond-up brought up
	// (by hand or as bond-up@MASTER.service) and bond-down has not taken down. After
	// a reboot no record exists (tmpfs), so coldplug events before the unit runs do
	// nothing, and the unit's own run converges everything.
	if st.Owned == nil || !st.Owned.Up {
		p := Plan{Master: m.Name}
		p.Info = append(p.Info, fmt.Sprintf("%s is not up (bond-up@%s.service not started, or bond-down ran): %s %s left alone", m.Name, m.Name, ev.Action, ev.Ifname))
		return p, false, nil
	}
	p, err = Up(in, st)
	return p, true, err
}
