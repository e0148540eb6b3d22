// SPDX-License-Identifier: Apache-2.0

package netdev

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strings"
)

// Udev answers DeviceInfo questions from sysfs and udev's database: DEVTYPE=wlan marks
// a wireless device, and udev's database entry for it says udev has finished renaming
// it. At boot bond-up must not enslave a device udev is about to rename
// (eth0 -> enp3s0): the rename would fail and the add event of the final name does the
// job.
//
// It reads the files libudev reads, the same way, without libudev: the kernel's uevent
// file for DEVTYPE (libudev's udev_device_get_devtype), and the existence of
// /run/udev/data/n<ifindex> for "initialized" (libudev's udev_device_get_is_initialized
// is true exactly when it finds that file: udevd writes it when the device's rules have
// run, before their RUN programs, and deletes it on remove). Without libudev the
// binaries need no cgo and link no library (scripts/build): their start, most of a
// hot-plug run's time on a slow machine, is the loader's relocations and Go's runtime
// only (docs/BENCHMARKS.md, issue 20).
type Udev struct {
	// Running is false where no udev daemon runs (containers, namespace tests): then
	// nothing is ever "initialized" and we must not wait for it.
	Running bool
	// Sys is sysfs's mount point, Data udev's database directory (/run/udev/data).
	Sys  string
	Data string
}

// NewUdev checks whether udevd runs (its control socket exists).
func NewUdev() *Udev {
	_, err := os.Stat("/run/udev/control")
	return &Udev{Running: err == nil, Sys: "/sys", Data: "/run/udev/data"}
}

// Wireless reports DEVTYPE=wlan in the device's uevent file, or a phy80211 link in
// sysfs (drivers that predate DEVTYPE).
func (d *Udev) Wireless(name string) bool {
	if b, err := os.ReadFile(filepath.Join(d.Sys, "class/net", name, "uevent")); err == nil {
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			if sc.Text() == "DEVTYPE=wlan" {
				return true
			}
		}
	}
	for _, p := range []string{"phy80211", "wireless"} {
		if _, err := os.Stat(filepath.Join(d.Sys, "class/net", name, p)); err == nil {
			return true
		}
	}
	return false
}

// Initialized reports whether udev has processed the device: its database entry, named
// by the interface index as udev names network devices ("n" and the index), exists.
func (d *Udev) Initialized(name string) bool {
	if !d.Running {
		return true
	}
	b, err := os.ReadFile(filepath.Join(d.Sys, "class/net", name, "ifindex"))
	if err != nil {
		return true // vanished or not in this sysfs: netlink's view wins
	}
	idx := strings.TrimSpace(string(b))
	if idx == "" || strings.ContainsAny(idx, "/.") {
		return true // not an index: nothing to look up (and no path to build from it)
	}
	_, err = os.Stat(filepath.Join(d.Data, "n"+idx))
	return err == nil
}

// DevicePath is the sysfs path of interface name's device as systemd names its device
// unit (/sys/devices/...), read from the class/net link under sysfs root sys; "" if
// it cannot be read (gone already).
func DevicePath(sys, name string) string {
	p, err := filepath.EvalSymlinks(filepath.Join(sys, "class/net", name))
	if err != nil {
		return ""
	}
	rel, err := filepath.Rel(sys, p)
	if err != nil || !strings.HasPrefix(rel, "devices/") {
		return ""
	}
	return "/sys/" + rel
}
