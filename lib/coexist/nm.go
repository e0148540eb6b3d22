// SPDX-License-Identifier: Apache-2.0

package coexist

import (
	"context"
	"errors"
	"fmt"

	"github.com/godbus/dbus/v5"
)

const (
	nmBus    = "org.freedesktop.NetworkManager"
	nmPath   = "/org/freedesktop/NetworkManager"
	nmDevice = "org.freedesktop.NetworkManager.Device"
)

// SetNMManaged asks a running NetworkManager to stop managing (managed false) or to
// manage again (true) the named devices, through its D-Bus Device.Managed property,
// which lasts until NetworkManager restarts. NetworkManager reads udev's NM_UNMANAGED
// only when a device appears: a device it already manages keeps being managed when
// the property is set later. It returns the devices whose setting it changed. No
// NetworkManager on the bus (none installed, not started, no system bus) is not an
// error: nothing is asked, nothing is started (no bus activation).
func SetNMManaged(ctx context.Context, ifaces []string, managed bool) ([]string, error) {
	if len(ifaces) == 0 {
		return nil, nil
	}
	conn, err := dbus.ConnectSystemBus(dbus.WithContext(ctx))
	if err != nil {
		return nil, nil
	}
	defer conn.Close()
	var has bool
	if err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, nmBus).Store(&has); err != nil || !has {
		return nil, nil
	}
	nm := conn.Object(nmBus, nmPath)
	var changed []string
	var errs []error
	for _, name := range ifaces {
		var p dbus.ObjectPath
		if err := nm.CallWithContext(ctx, nmBus+".GetDeviceByIpIface", dbus.FlagNoAutoStart, name).Store(&p); err != nil {
			continue // a device NetworkManager does not know
		}
		dev := conn.Object(nmBus, p)
		if v, err := dev.GetProperty(nmDevice + ".Managed"); err == nil {
			if cur, ok := v.Value().(bool); ok && cur == managed {
				continue
			}
		}
		if err := dev.SetProperty(nmDevice+".Managed", dbus.MakeVariant(managed)); err != nil {
			errs = append(errs, fmt.Errorf("NetworkManager: set %s managed=%v: %w", name, managed, err))
			continue
		}
		changed = append(changed, name)
	}
	return changed, errors.Join(errs...)
}
