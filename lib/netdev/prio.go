// SPDX-License-Identifier: Apache-2.0

package netdev

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// The bonding driver's per-slave priority (Linux 6.0, "bonding: add per-port
// priority for failover re-selection"): among the slaves with link, when the primary
// has none (or is absent), the one with the highest prio becomes active, following
// primary_reselect. Netlink only (no sysfs file), and the vendored netlink library
// (vishvananda/netlink v1.3.1) neither writes nor parses it: its BondSlave stops at
// IFLA_BOND_SLAVE_AD_PARTNER_OPER_PORT_STATE. So the attribute is written and read here
// with the library's raw request API (package nl).
const iflaBondSlavePrio = 9 // IFLA_BOND_SLAVE_PRIO, after ..._AD_PARTNER_OPER_PORT_STATE (8)

// ErrNoSlavePrio marks a kernel (before 6.0) whose bonding driver has no per-slave
// priority: it ignores the attribute (liberal parsing of slave data) and reports none.
var ErrNoSlavePrio = errors.New("the bonding driver has no per-slave prio (Linux 6.0 or later)")

// SetSlavePrio sets the prio of bond slave link, then reads it back: a kernel without
// the option accepts the request and does nothing, which is reported as ErrNoSlavePrio.
func (w *Writer) SetSlavePrio(link string, prio int) error {
	l, err := w.link(link)
	if err != nil {
		return err
	}
	// RTM_NEWLINK on an existing device is rtnl_newlink's changelink path, which hands
	// IFLA_INFO_SLAVE_DATA to the master's slave_changelink (as `ip link set DEV type
	// bond_slave prio N` does); RTM_SETLINK ignores IFLA_LINKINFO.
	req := nl.NewNetlinkRequest(unix.RTM_NEWLINK, unix.NLM_F_ACK)
	msg := nl.NewIfInfomsg(unix.AF_UNSPEC)
	msg.Index = int32(l.Attrs().Index)
	req.AddData(msg)
	info := nl.NewRtAttr(unix.IFLA_LINKINFO, nil)
	data := info.AddRtAttr(nl.IFLA_INFO_SLAVE_DATA, nil)
	data.AddRtAttr(iflaBondSlavePrio, nl.Uint32Attr(uint32(int32(prio))))
	req.AddData(info)
	if _, err := req.Execute(unix.NETLINK_ROUTE, 0); err != nil {
		return gone(err, fmt.Sprintf("set %s prio %d", link, prio))
	}
	got, ok, err := readSlavePrio(l.Attrs().Index)
	switch {
	case err != nil:
		return gone(err, fmt.Sprintf("read %s prio", link))
	case !ok:
		return fmt.Errorf("set %s prio %d: %w", link, prio, ErrNoSlavePrio)
	case got != prio:
		return fmt.Errorf("set %s prio %d: the kernel keeps %d", link, prio, got)
	}
	return nil
}

// SlavePrio reads the prio of bond slave link; ok is false when the kernel reports
// none (not a bond slave, or a kernel before 6.0).
func (r *Reader) SlavePrio(link string) (prio int, ok bool, err error) {
	l, err := r.link(link)
	if err != nil {
		return 0, false, fmt.Errorf("read %s prio: %w", link, err)
	}
	return readSlavePrio(l.Attrs().Index)
}

// readSlavePrio asks RTM_GETLINK for one link and finds
// IFLA_LINKINFO > IFLA_INFO_SLAVE_DATA > IFLA_BOND_SLAVE_PRIO (a signed 32-bit value).
func readSlavePrio(index int) (int, bool, error) {
	req := nl.NewNetlinkRequest(unix.RTM_GETLINK, unix.NLM_F_ACK)
	msg := nl.NewIfInfomsg(unix.AF_UNSPEC)
	msg.Index = int32(index)
	req.AddData(msg)
	msgs, err := req.Execute(unix.NETLINK_ROUTE, unix.RTM_NEWLINK)
	if err != nil {
		return 0, false, err
	}
	if len(msgs) == 0 || len(msgs[0]) < unix.SizeofIfInfomsg {
		return 0, false, fmt.Errorf("link %d: empty answer", index)
	}
	return slavePrioOf(msgs[0][unix.SizeofIfInfomsg:])
}

// slavePrioOf parses a link message's attributes (after the ifinfomsg).
func slavePrioOf(b []byte) (int, bool, error) {
	attrs, err := nl.ParseRouteAttr(b)
	if err != nil {
		return 0, false, err
	}
	for _, a := range attrs {
		if a.Attr.Type != unix.IFLA_LINKINFO {
			continue
		}
		info, err := nl.ParseRouteAttr(a.Value)
		if err != nil {
			return 0, false, err
		}
		for _, i := range info {
			if i.Attr.Type != nl.IFLA_INFO_SLAVE_DATA {
				continue
			}
			data, err := nl.ParseRouteAttr(i.Value)
			if err != nil {
				return 0, false, err
			}
			for _, d := range data {
				if d.Attr.Type == iflaBondSlavePrio && len(d.Value) >= 4 {
					return int(int32(binary.NativeEndian.Uint32(d.Value[:4]))), true, nil
				}
			}
		}
	}
	return 0, false, nil
}
