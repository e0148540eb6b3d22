// SPDX-License-Identifier: Apache-2.0

package netdev

import (
	"os"
	"path/filepath"
	"testing"
)

// udevTree lays out what the kernel and udevd would show for a few devices: sysfs's
// class/net entries (uevent, ifindex, phy80211) and udev's database entries. The
// lab's boots check the same answers against a real udevd (scenario 01).
func udevTree(t *testing.T) *Udev {
	t.Helper()
	root := t.TempDir()
	sys, data := filepath.Join(root, "sys"), filepath.Join(root, "data")
	write := func(p, s string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dev := func(name, ifindex, uevent string) {
		write(filepath.Join(sys, "class/net", name, "ifindex"), ifindex+"\n")
		write(filepath.Join(sys, "class/net", name, "uevent"), uevent)
	}
	// wlan0: a cfg80211 device (the kernel says DEVTYPE=wlan), processed by udev.
	dev("wlan0", "3", "DEVTYPE=wlan\nINTERFACE=wlan0\nIFINDEX=3\n")
	write(filepath.Join(data, "n3"), "I:123456\nE:ID_NET_NAME_MAC=wlx020000000000\n")
	// wlold: an old driver with no DEVTYPE, but a phy80211 link; not yet processed.
	dev("wlold", "4", "INTERFACE=wlold\nIFINDEX=4\n")
	if err := os.MkdirAll(filepath.Join(sys, "class/net/wlold/phy80211"), 0o755); err != nil {
		t.Fatal(err)
	}
	// eth0: wired, processed; eth1: wired, udev still at work (no entry yet).
	dev("eth0", "5", "INTERFACE=eth0\nIFINDEX=5\n")
	write(filepath.Join(data, "n5"), "I:1\n")
	dev("eth1", "6", "INTERFACE=eth1\nIFINDEX=6\n")
	// An entry for index 66 must not answer for index 6.
	write(filepath.Join(data, "n66"), "I:1\n")
	// odd: a sysfs entry whose ifindex is not a number (a path must not be built from it).
	dev("odd", "../n5", "INTERFACE=odd\n")
	return &Udev{Running: true, Sys: sys, Data: data}
}

func TestUdevWireless(t *testing.T) {
	u := udevTree(t)
	for name, want := range map[string]bool{"wlan0": true, "wlold": true, "eth0": false, "eth1": false, "gone0": false} {
		if got := u.Wireless(name); got != want {
			t.Errorf("Wireless(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestUdevInitialized(t *testing.T) {
	u := udevTree(t)
	for name, want := range map[string]bool{
		"wlan0": true,  // its entry exists
		"eth0":  true,  // its entry exists
		"wlold": false, // udev has not finished it
		"eth1":  false, // n66 is another device
		"gone0": true,  // vanished: netlink's view wins, no waiting for it
		"odd":   true,  // no index to look up
	} {
		if got := u.Initialized(name); got != want {
			t.Errorf("Initialized(%q) = %v, want %v", name, got, want)
		}
	}
	// Where no udevd runs, nothing is awaited.
	u.Running = false
	if !u.Initialized("eth1") {
		t.Error("Initialized(eth1) with no udevd = false, want true")
	}
}
