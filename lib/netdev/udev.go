// SPDX-License-Identifier: Apache-2.0

package netdev

import (
	"os"
	"path/filepath"

	"github.com/jochenvg/go-udev"
)

// Udev answers DeviceInfo questions from libudev: DEVTYPE=wlan marks a wireless device,
// and is_initialized says udev has finished renaming it. At boot bond-up must not
// enslave a device udev is about to rename (eth0 -> enp3s0): the rename would fail
// and the add event of the final name does the job.
type Udev struct {
	u udev.Udev
	// Running is false where no udev daemon runs (containers, namespace tests): then
	// nothing is ever "initialized" and we must not wait for it.
	Running bool
	Sys     string
}

// NewUdev checks whether udevd runs (its control socket exists).
func NewUdev() *Udev {
	_, err := os.Stat("/run/udev/control")
	return &Udev{Running: err == nil, Sys: "/sys"}
}

func (d *Udev) device(name string) *udev.Device {
	return d.u.NewDeviceFromSubsystemSysname("net", name)
}

// Wireless reports DEVTYPE=wlan, or a phy80211 link in sysfs (drivers that predate
// DEVTYPE).
func (d *Udev) Wireless(name string) bool {
	if dev := d.device(name); dev != nil && dev.Devtype() == "wlan" {
		return true
	}
	for _, p := range []string{"phy80211", "wireless"} {
		if _, err := os.Stat(filepath.Join(d.Sys, "class/net", name, p)); err == nil {
			return true
		}
	}
	return false
}

// Initialized reports whether udev has processed the device.
func (d *Udev) Initialized(name string) bool {
	if !d.Running {
		return true
	}
	dev := d.device(name)
	if dev == nil {
		return true // vanished or not in this sysfs: netlink's view wins
	}
	return dev.IsInitialized()
}
