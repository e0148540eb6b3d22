// SPDX-License-Identifier: Apache-2.0

package config

import "testing"

func TestSlavePrioFollowsTheOrderOfSlaves(t *testing.T) {
	c, err := Parse("network.conf", []byte("bond0SLAVES='enx* eth0 wl* eth*'\nbond1SLAVES='usb*'\nbond2PRIMARY=eth9\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		master, ifname string
		want           int
	}{
		{"bond0", "enx00e04c680001", 4},
		{"bond0", "eth0", 3}, // named before the eth* glob that also matches it
		{"bond0", "wlp2s0", 2},
		{"bond0", "eth1", 1},
		{"bond0", "wwan0", 0},
		{"bond1", "usb0", 0}, // one entry: the kernel's default
		{"bond2", "eth9", 0}, // the seed's way: PRIMARY only
	} {
		m, _ := c.Master(tc.master)
		if got := m.SlavePrio(tc.ifname); got != tc.want {
			t.Errorf("%s %s: prio %d, want %d", tc.master, tc.ifname, got, tc.want)
		}
	}
}
