// SPDX-License-Identifier: Apache-2.0

package netdev

import (
	"os"
	"path/filepath"
	"testing"
)

// class/net/NAME is a symlink into devices/: the path systemd names the card's
// device unit after, whatever the sysfs root.
func TestDevicePathFollowsClassNetIntoDevices(t *testing.T) {
	sys := t.TempDir()
	dev := filepath.Join(sys, "devices/virtual/mac80211_hwsim/hwsim3/net/wlan0")
	if err := os.MkdirAll(dev, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(sys, "class/net"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../../devices/virtual/mac80211_hwsim/hwsim3/net/wlan0", filepath.Join(sys, "class/net/wlan0")); err != nil {
		t.Fatal(err)
	}
	if got, want := DevicePath(sys, "wlan0"), "/sys/devices/virtual/mac80211_hwsim/hwsim3/net/wlan0"; got != want {
		t.Errorf("DevicePath = %q, want %q", got, want)
	}
	if got := DevicePath(sys, "gone0"); got != "" {
		t.Errorf("DevicePath of a missing link = %q, want none", got)
	}
}

// The real sysfs, for the loopback device every namespace has.
func TestDevicePathOnTheRealSysfs(t *testing.T) {
	if _, err := os.Stat("/sys/class/net/lo"); err != nil {
		t.Skip("no sysfs here:", err)
	}
	if got, want := DevicePath("/sys", "lo"), "/sys/devices/virtual/net/lo"; got != want {
		t.Errorf("DevicePath(lo) = %q, want %q", got, want)
	}
}
