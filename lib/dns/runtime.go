// SPDX-License-Identifier: Apache-2.0

package dns

import (
	"fmt"
	"net"
	"strings"

	"github.com/bond-hotplug/bond-hotplug/lib/config"
)

// Ifindex is the link's index, 0 when it is gone.
func Ifindex(name string) int {
	if i, err := net.InterfaceByName(name); err == nil {
		return i.Index
	}
	return 0
}

// FromScript is `bond-hotplug --dns-update MASTER`, run by a DHCP client's script
// (the dhclient enter hook, installed with the product) in the client's unit: it keeps
// what the lease says for its protocol and applies the link's merged data.
func FromScript(u Updater, master string, getenv func(string) string) error {
	if err := config.CheckName(master); err != nil {
		return fmt.Errorf("--dns-update %q: %w", master, err)
	}
	ev, err := FromEnv(getenv)
	if err != nil {
		return fmt.Errorf("--dns-update %s: %w", master, err)
	}
	if ev.Iface != master {
		return fmt.Errorf("--dns-update %s: called for interface %s", master, ev.Iface)
	}
	if len(ev.Dropped) > 0 && u.Logf != nil {
		u.Logf("%s: %s lease (%s): left out: %s", master, ev.Proto, ev.Reason, strings.Join(ev.Dropped, "; "))
	}
	switch ev.Op {
	case OpSet:
		return u.Set(master, u.System.Index(master), ev.Proto, ev.Data)
	case OpClear:
		return u.Drop(master, u.System.Index(master), ev.Proto)
	}
	return nil
}

// Teardown drops proto's data of master when its client's unit stops (the
// supervisor's end): nothing of a stopped client stays in the resolver's
// configuration, even when its script never reported the release (a client that
// crashed, or was stopped without one). Without data kept there is nothing to do.
func Teardown(u Updater, master string, proto Proto) error {
	if !u.Store.has(master, proto) {
		return nil
	}
	return u.Drop(master, u.System.Index(master), proto)
}
