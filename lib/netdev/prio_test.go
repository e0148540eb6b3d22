// SPDX-License-Identifier: Apache-2.0

package netdev

import (
	"testing"

	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// linkAttrs builds a link message's attributes as the kernel sends them for a bond
// slave: IFLA_IFNAME, then IFLA_LINKINFO with the slave kind and its slave data.
func linkAttrs(slaveData ...*nl.RtAttr) []byte {
	name := nl.NewRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated("wlan0"))
	info := nl.NewRtAttr(unix.IFLA_LINKINFO, nil)
	info.AddRtAttr(nl.IFLA_INFO_SLAVE_KIND, nl.ZeroTerminated("bond"))
	data := info.AddRtAttr(nl.IFLA_INFO_SLAVE_DATA, nil)
	for _, a := range slaveData {
		data.AddChild(a)
	}
	return append(name.Serialize(), info.Serialize()...)
}

func TestSlavePrioIsFoundInTheSlaveDataOfALinkMessage(t *testing.T) {
	state := nl.NewRtAttr(nl.IFLA_BOND_SLAVE_STATE, nl.Uint8Attr(1))
	queue := nl.NewRtAttr(nl.IFLA_BOND_SLAVE_QUEUE_ID, nl.Uint16Attr(0))
	for _, tc := range []struct {
		name   string
		msg    []byte
		want   int
		wantOK bool
	}{
		{"a 6.0 kernel's slave", linkAttrs(state, queue, nl.NewRtAttr(iflaBondSlavePrio, nl.Uint32Attr(3))), 3, true},
		{"a negative prio", linkAttrs(state, nl.NewRtAttr(iflaBondSlavePrio, nl.Uint32Attr(uint32(0xfffffffe)))), -2, true},
		{"a 5.10 kernel's slave (no prio)", linkAttrs(state, queue), 0, false},
		{"not a slave", nl.NewRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated("eth0")).Serialize(), 0, false},
	} {
		got, ok, err := slavePrioOf(tc.msg)
		if err != nil || got != tc.want || ok != tc.wantOK {
			t.Errorf("%s: %d, %v, %v; want %d, %v", tc.name, got, ok, err, tc.want, tc.wantOK)
		}
	}
}
