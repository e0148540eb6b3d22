// SPDX-License-Identifier: Apache-2.0

package netdev

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// sysTree lays out what the kernel shows for a Wi-Fi card (its wiphy with its
// rfkill switch, and its interface linking to the wiphy as phy80211), a Bluetooth
// switch with no interface, and a wired NIC.
func sysTree(t *testing.T) string {
	t.Helper()
	sys := t.TempDir()
	dev := filepath.Join(sys, "devices/pci0000:00/0000:02:00.0")
	phy := filepath.Join(dev, "ieee80211/phy0")
	rf := filepath.Join(phy, "rfkill1")
	bt := filepath.Join(sys, "devices/platform/bt/rfkill0")
	for _, d := range []string{rf, bt, filepath.Join(dev, "net/wlp2s0"), filepath.Join(sys, "devices/virtual/net/eth0"),
		filepath.Join(sys, "class/net"), filepath.Join(sys, "class/rfkill")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Symlink(phy, filepath.Join(rf, "device")))
	must(os.Symlink(filepath.Join(dev, "net/wlp2s0"), filepath.Join(sys, "class/net/wlp2s0")))
	must(os.Symlink(phy, filepath.Join(dev, "net/wlp2s0/phy80211")))
	must(os.Symlink(filepath.Join(sys, "devices/virtual/net/eth0"), filepath.Join(sys, "class/net/eth0")))
	must(os.Symlink(rf, filepath.Join(sys, "class/rfkill/rfkill1")))
	must(os.Symlink(bt, filepath.Join(sys, "class/rfkill/rfkill0")))
	setSwitch(t, sys, "soft", "0")
	setSwitch(t, sys, "hard", "0")
	return sys
}

func setSwitch(t *testing.T, sys, which, v string) {
	t.Helper()
	p := filepath.Join(sys, "devices/pci0000:00/0000:02:00.0/ieee80211/phy0/rfkill1", which)
	if err := os.WriteFile(p, []byte(v+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestReadRFKillFollowsBothSwitches(t *testing.T) {
	sys := sysTree(t)
	if r := ReadRFKill(sys, "wlp2s0"); r.Blocked() {
		t.Errorf("both switches 0: %+v, want unblocked", r)
	}
	setSwitch(t, sys, "soft", "1")
	if r := ReadRFKill(sys, "wlp2s0"); !r.Soft || r.Hard || r.String() != "soft" {
		t.Errorf("soft block: %+v (%q)", r, r)
	}
	setSwitch(t, sys, "hard", "1")
	if r := ReadRFKill(sys, "wlp2s0"); !r.Soft || !r.Hard || r.String() != "soft and hard" {
		t.Errorf("both: %+v (%q)", r, r)
	}
	setSwitch(t, sys, "soft", "0")
	if r := ReadRFKill(sys, "wlp2s0"); r.Soft || !r.Hard || !r.Blocked() {
		t.Errorf("hard block only: %+v", r)
	}
	for _, n := range []string{"eth0", "gone0"} {
		if r := ReadRFKill(sys, n); r.Blocked() {
			t.Errorf("%s has no radio, yet reads %+v", n, r)
		}
	}
}

func TestRFKillInterfacesAreThoseOfTheRadio(t *testing.T) {
	sys := sysTree(t)
	for _, tc := range []struct {
		sysname string
		want    []string
	}{
		{"rfkill1", []string{"wlp2s0"}},
		{"rfkill0", nil}, // Bluetooth: no wiphy, no interface
		{"rfkill7", nil}, // gone before we ran
	} {
		got, err := RFKillInterfaces(sys, tc.sysname)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %q, %v; want %q", tc.sysname, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "rfkill", "rfkill1/../..", "../rfkill1", "phy0"} {
		if _, err := RFKillInterfaces(sys, bad); err == nil {
			t.Errorf("%q accepted as an rfkill device name", bad)
		}
	}
}
