// SPDX-License-Identifier: Apache-2.0

package dhcpunit

import (
	"context"
	"fmt"
	"time"

	"github.com/bond-hotplug/bond-hotplug/lib/config"
	"github.com/bond-hotplug/bond-hotplug/lib/netdev"
	"github.com/vishvananda/netlink"
)

// recheck bounds how long a missed netlink notification can delay the wait. The bonding
// driver announces most active-slave changes, but not all through one message type.
const recheck = time.Second

// activeSlave reports whether master carries traffic: a bond has an active slave
// with carrier, a bridge has carrier (a port is up).
func activeSlave(r netdev.Source, master string) (string, bool) {
	s, err := r.Links()
	if err != nil {
		return "", false
	}
	m, ok := s.Get(master)
	if !ok || !m.AdminUp {
		return "", false
	}
	if m.Kind != "bond" {
		return m.MAC, m.Carrier
	}
	b, err := r.Bond(master)
	if err != nil || b.ActiveSlave == "" {
		return "", false
	}
	sl, ok := s.Get(b.ActiveSlave)
	return b.ActiveSlave + " " + m.MAC, ok && sl.Carrier
}

// WaitActive blocks until master has an active slave with carrier (the
// --wait-active command, for scripts and tests; the DHCP units wait inside their
// supervisor, see Supervise).
func (e *Env) WaitActive(ctx context.Context, master string) error {
	if err := config.CheckName(master); err != nil {
		return usagef("--wait-active %q: %v", master, err)
	}
	h, err := e.handle()
	if err != nil {
		return err
	}
	w, err := watchLinks(e.Log, e.rcvBuf())
	if err != nil {
		return err
	}
	defer w.Stop()
	return e.waitActive(ctx, &netdev.Reader{H: h, Sys: e.Sys}, master, w.C)
}

// waitActive returns once master carries traffic: on a netlink notification, not on a
// timer (the recheck only covers a notification the driver does not send).
func (e *Env) waitActive(ctx context.Context, r netdev.Source, master string, updates <-chan netlink.LinkUpdate) error {
	start := time.Now()
	tick := time.NewTicker(recheck)
	defer tick.Stop()
	for {
		if what, ok := activeSlave(r, master); ok {
			e.Log.Info("%s: active (%s) after %.2f s", master, what, time.Since(start).Seconds())
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for an active slave on %s: %w", master, ctx.Err())
		case <-updates:
			drain(updates)
		case <-tick.C:
		}
	}
}
