// SPDX-License-Identifier: Apache-2.0

package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/bond-hotplug/bond-hotplug/lib/config"
	"github.com/bond-hotplug/bond-hotplug/lib/online"
	"github.com/bond-hotplug/bond-hotplug/lib/units"
)

// DefaultOnlineTimeout is how long bond-wait-online.service waits, as
// systemd-networkd-wait-online does by default.
const DefaultOnlineTimeout = 120 * time.Second

// onlinePoll is the safety net under the netlink notifications.
const onlinePoll = time.Second

// WaitOnline waits until each master (default: each configured master whose
// bond-up@MASTER.service is enabled, or that bond-up brought up by hand) has an active
// slave and a usable address, at most timeout. With no master to wait for it returns
// at once: nothing of ours is meant to be online.
func (e *Env) WaitOnline(ctx context.Context, masters []string, timeout time.Duration) error {
	c, err := e.loadConfig()
	if err != nil {
		return err
	}
	var names []string
	if len(masters) > 0 {
		ms, err := selectMasters(c, masters)
		if err != nil {
			return err
		}
		names = masterNames(ms)
	} else if names, err = e.enabledMasters(ctx, c); err != nil {
		return err
	}
	if len(names) == 0 {
		e.Log.Info("no master of %s is enabled (bond-up@MASTER.service) or up: nothing to wait for", c.Path)
		return nil
	}
	h, err := e.handle()
	if err != nil {
		return err
	}
	done := make(chan struct{})
	defer close(done)
	changes, err := online.Changes(done)
	if err != nil {
		return err
	}
	start := time.Now()
	sts, err := online.Wait(ctx, names, timeout, onlinePoll, online.Netlink(h), changes)
	if err != nil {
		return fmt.Errorf("waited for %s: %w", strings.Join(names, ", "), err)
	}
	for _, s := range sts {
		e.Log.Info("%s online after %.2f s: active slave %s, address %s", s.Master, time.Since(start).Seconds(), s.Active, s.Addr)
	}
	return nil
}

// enabledMasters are the configured masters the boot brings up (bond-up@ enabled)
// and those bond-up brought up since (by hand).
func (e *Env) enabledMasters(ctx context.Context, c *config.Config) ([]string, error) {
	var unitNames []string
	for _, m := range c.MasterNames() {
		unitNames = append(unitNames, "bond-up@"+m+".service")
	}
	states, err := units.UnitFileStates(ctx, unitNames)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, m := range c.MasterNames() {
		st := states["bond-up@"+m+".service"]
		if strings.HasPrefix(st, "enabled") || e.store().IsUp(m) {
			out = append(out, m)
		}
	}
	return out, nil
}
