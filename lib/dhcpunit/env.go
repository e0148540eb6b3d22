// SPDX-License-Identifier: Apache-2.0

// Package dhcpunit is the second program in bond-hotplug's binary: the main process
// and the ExecStop of the DHCP units (--supervise, --wait-then, --release) and the
// --wait-active command. It waits on the kernel's state (an active slave with carrier,
// a settled MAC, a usable IPv6 link-local address), runs the DHCP client, restarts it
// when what it started with no longer holds, and releases its lease on stop. It never
// plans nor changes the network: lib/app does that.
package dhcpunit

import (
	"fmt"

	"github.com/bond-hotplug/bond-hotplug/lib/logx"
	"github.com/bond-hotplug/bond-hotplug/lib/netdev"
	"github.com/vishvananda/netlink"
)

// Env is what a DHCP unit's process touches, injected by the caller (lib/app's cli).
type Env struct {
	Log *logx.Logger
	// Sys is the sysfs root (default /sys).
	Sys string
	// Handle is the netlink handle for reads; nil: one is opened on first need.
	Handle *netlink.Handle
	// LinkRcvBuf is the link subscription's receive buffer in bytes (0: linkRcvBuf).
	LinkRcvBuf int
}

func (e *Env) handle() (*netlink.Handle, error) {
	if e.Handle == nil {
		h, err := netdev.NewHandle()
		if err != nil {
			return nil, err
		}
		e.Handle = h
	}
	return e.Handle, nil
}

// Close releases the netlink handle.
func (e *Env) Close() {
	if e.Handle != nil {
		e.Handle.Close()
	}
}

func (e *Env) rcvBuf() int {
	if e.LinkRcvBuf > 0 {
		return e.LinkRcvBuf
	}
	return linkRcvBuf
}

// UsageError marks bad arguments: the caller exits 2, nothing was started.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

func usagef(format string, args ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, args...)}
}

func (e *Env) sysRoot() string {
	if e.Sys == "" {
		return "/sys"
	}
	return e.Sys
}
