// SPDX-License-Identifier: Apache-2.0

package units

import (
	"strings"
	"testing"
)

// A known card binds the supplicant to that card's own device unit, named as
// systemd-escape --path names it, and its description carries the index back to
// the planner through systemd's unit list.
func TestSupplicantBindsToItsCardNotToTheName(t *testing.T) {
	card := Card{Name: "wlan0", Index: 7, Path: "/sys/devices/pci0000:00/0000:00:1c.0/0000:02:00.0/usb1/1-1/net/wlan0"}
	s, err := WPA(progs, card, "/etc/w.conf")
	if err != nil {
		t.Fatal(err)
	}
	want := `sys-devices-pci0000:00-0000:00:1c.0-0000:02:00.0-usb1-1\x2d1-net-wlan0.device`
	props := map[string]string{}
	for _, p := range mustProps(t, s) {
		props[p.Name] = p.Value.String()
	}
	for _, name := range []string{"BindsTo", "After"} {
		if !strings.Contains(props[name], strings.ReplaceAll(want, `\`, `\\`)) || strings.Contains(props[name], "sys-subsystem-net") {
			t.Errorf("%s = %s, want only the card's own device unit %s", name, props[name], want)
		}
	}
	if idx, ok := CardIndex(s.Description); !ok || idx != 7 {
		t.Errorf("CardIndex(%q) = %d, %v; want 7", s.Description, idx, ok)
	}
}

func TestCardIndexOfOtherDescriptions(t *testing.T) {
	for _, d := range []string{
		"wpa_supplicant on wlan0 (bond-hotplug)", // an older version's unit
		"wpa_supplicant on wlan0 (bond-hotplug, ifindex x)",
		"wpa_supplicant on wlan0 (bond-hotplug, ifindex -3)",
		"",
	} {
		if idx, ok := CardIndex(d); ok {
			t.Errorf("CardIndex(%q) = %d, want none", d, idx)
		}
	}
	s, err := WPA(progs, Card{Name: "wlan0"}, "/etc/w.conf")
	if err != nil {
		t.Fatal(err)
	}
	if s.Description != "wpa_supplicant on wlan0 (bond-hotplug)" {
		t.Errorf("an unknown card's description = %q", s.Description)
	}
}

// systemd names the device unit of a path too long to escape into a unit name by a
// hash: the supplicant binds to the name's unit then, not to a name systemd rejects.
func TestSupplicantOfAVeryDeepCardBindsToTheName(t *testing.T) {
	deep := "/sys/devices/pci0000:00/0000:00:1d.0/0000:3c:00.0/0000:3d:04.0/0000:3e:00.0/0000:3f:00.0/0000:40:00.0/usb3/3-1/3-1.4/3-1.4.1/3-1.4.1.2/3-1.4.1.2.3/3-1.4.1.2.3.4/3-1.4.1.2.3.4/3-1.4.1.2.3.4.5/3-1.4.1.2.3.4.5:1.0/net/wlx001122334455"
	if len(PathDeviceUnit(deep)) < unitNameMax {
		t.Fatalf("the test's path is not deep enough: %d characters", len(PathDeviceUnit(deep)))
	}
	s, err := WPA(progs, Card{Name: "wlx001122334455", Index: 9, Path: deep}, "/etc/w.conf")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range mustProps(t, s) {
		if (p.Name == "BindsTo" || p.Name == "After") && !strings.Contains(p.Value.String(), "sys-subsystem-net-devices-wlx001122334455.device") {
			t.Errorf("%s = %s, want the name's device unit", p.Name, p.Value)
		}
	}
}
