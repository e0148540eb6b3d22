// SPDX-License-Identifier: Apache-2.0

package netdev

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"github.com/bond-hotplug/bond-hotplug/lib/config"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// ErrGone marks an operation on a device that vanished (pulled mid-run). Callers treat
// it as "nothing left to do" for that device.
var ErrGone = errors.New("device is gone")

// Writer changes kernel state through one netlink handle.
type Writer struct {
	H   *netlink.Handle
	Sys string // sysfs root, default /sys
}

func (w *Writer) sys() string {
	if w.Sys == "" {
		return "/sys"
	}
	return w.Sys
}

func (w *Writer) link(name string) (netlink.Link, error) {
	l, err := w.H.LinkByName(name)
	if err != nil {
		var nf netlink.LinkNotFoundError
		if errors.As(err, &nf) || errors.Is(err, unix.ENODEV) {
			return nil, fmt.Errorf("%s: %w", name, ErrGone)
		}
		return nil, fmt.Errorf("look up %s: %w", name, err)
	}
	return l, nil
}

// gone turns ENODEV from an operation into ErrGone, and ERFKILL into ErrBlocked.
func gone(err error, what string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, unix.ENODEV) {
		return fmt.Errorf("%s: %w: %w", what, ErrGone, err)
	}
	if errors.Is(err, unix.ERFKILL) {
		return fmt.Errorf("%s: %w: %w", what, ErrBlocked, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// CreateBond creates a bond with all its options in one request (mode and
// fail_over_mac can be set freely only while it has no slaves).
func (w *Writer) CreateBond(name string, o config.BondOptions) error {
	b := netlink.NewLinkBond(netlink.LinkAttrs{Name: name, TxQLen: -1})
	for _, opt := range bondOpts {
		opt.netlink(b, o)
	}
	if err := w.H.LinkAdd(b); err != nil {
		return fmt.Errorf("create bond %s: %w", name, err)
	}
	w.optimisticDAD(name)
	w.promoteSecondaries(name)
	return nil
}

// CreateBridge creates a bridge.
func (w *Writer) CreateBridge(name string) error {
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: name, TxQLen: -1}}
	if err := w.H.LinkAdd(br); err != nil {
		return fmt.Errorf("create bridge %s: %w", name, err)
	}
	w.optimisticDAD(name)
	w.promoteSecondaries(name)
	return nil
}

// promoteSecondaries sets net.ipv4.conf.NAME.promote_secondaries on a master whose
// addresses we change, before we add or delete one (as NetworkManager and networkd do
// on the devices they manage). Without it, deleting an IPv4 address also deletes every
// other address of its subnet on the device (its secondaries): an edit of ADDRS
// from 192.168.50.2/24 to .3/24 would take the DHCP lease 192.168.50.77/24 with it,
// and the client would not notice before its renewal, minutes later. With it, the
// kernel promotes a secondary instead. Best effort, like optimisticDAD: a kernel
// without IPv4 or a read-only /proc/sys (an older unit file) leaves the kernel's
// default, which is what runs did before.
func (w *Writer) promoteSecondaries(name string) {
	p := filepath.Join("/proc/sys/net/ipv4/conf", name, "promote_secondaries")
	if b, err := os.ReadFile(p); err == nil && strings.TrimSpace(string(b)) == "1" {
		return
	}
	_ = os.WriteFile(p, []byte("1\n"), 0)
}

// optimisticDAD turns on optimistic duplicate address detection (RFC 4429) for a
// master we just created, before it is up and has a link-local address: the DHCPv6
// client can then send its Solicit as soon as the link has carrier, instead of 1-2 s
// later (the kernel's DAD waits a random 0-1 s, then 1 s for an answer). The address
// is still checked and dropped if another host has it. Only masters we create get
// it, and it goes with them. It is a speed-up, not a requirement, so a failure (no
// IPv6 in this kernel, a read-only /proc/sys) is ignored: the DHCPv6 unit then waits
// for DAD to end, as it would anyway.
func (w *Writer) optimisticDAD(name string) {
	_ = os.WriteFile(filepath.Join("/proc/sys/net/ipv6/conf", name, "optimistic_dad"), []byte("1\n"), 0)
}

// SetBondOption changes one option of an existing bond to its value in o.
func (w *Writer) SetBondOption(name string, opt BondOpt, o config.BondOptions) error {
	l, err := w.link(name)
	if err != nil {
		return err
	}
	b := netlink.NewLinkBond(netlink.LinkAttrs{Name: name, Index: l.Attrs().Index, TxQLen: -1})
	if !opt.known() {
		return fmt.Errorf("set %s %v: unknown bond option", name, opt)
	}
	bondOpts[opt].netlink(b, o)
	return gone(w.H.LinkModify(b), fmt.Sprintf("set %s %s %s", name, opt, opt.Of(o)))
}

// SetPrimary names the bond's primary slave. It is written to sysfs by name, as the
// seed did, because the driver keeps the name and applies it when that device is
// enslaved later (netlink only takes the index of a present device). An empty name
// clears it (the driver takes a lone newline as "no primary").
func (w *Writer) SetPrimary(name, primary string) error {
	p := filepath.Join(w.sys(), "class/net", name, "bonding/primary")
	if err := os.WriteFile(p, []byte(primary+"\n"), 0); err != nil {
		return fmt.Errorf("set %s primary %s: %w", name, primary, err)
	}
	return nil
}

// SetUp brings a link up.
func (w *Writer) SetUp(name string) error {
	l, err := w.link(name)
	if err != nil {
		return err
	}
	return gone(w.H.LinkSetUp(l), "set "+name+" up")
}

// SetDown takes a link down.
func (w *Writer) SetDown(name string) error {
	l, err := w.link(name)
	if err != nil {
		return err
	}
	return gone(w.H.LinkSetDown(l), "set "+name+" down")
}

// Enslave makes link a slave (bond) or port (bridge) of master.
func (w *Writer) Enslave(link, master string) error {
	l, err := w.link(link)
	if err != nil {
		return err
	}
	m, err := w.link(master)
	if err != nil {
		return err
	}
	err = w.H.LinkSetMasterByIndex(l, m.Attrs().Index)
	if errors.Is(err, unix.EPERM) && m.Type() == "bond" {
		// "Device can not be enslaved while up": the plan saw it down, but something
		// set it up since. A swapped Wi-Fi card's old supplicant does, for the new
		// card that took its name, until systemd stops it (soak
		// 20261207-181623, Wi-Fi cycles at 432 s and 591 s). Down, and once more.
		if now, rerr := w.H.LinkByIndex(l.Attrs().Index); rerr == nil && now.Attrs().Flags&net.FlagUp != 0 {
			if derr := w.H.LinkSetDown(now); derr == nil {
				err = w.H.LinkSetMasterByIndex(now, m.Attrs().Index)
			}
		}
	}
	return gone(err, "enslave "+link+" to "+master)
}

// Release frees link from its master.
func (w *Writer) Release(link string) error {
	l, err := w.link(link)
	if err != nil {
		return err
	}
	return gone(w.H.LinkSetNoMaster(l), "release "+link)
}

func ipNet(p netip.Prefix) *net.IPNet {
	bits := 32
	if p.Addr().Is6() {
		bits = 128
	}
	return &net.IPNet{IP: net.IP(p.Addr().AsSlice()), Mask: net.CIDRMask(p.Bits(), bits)}
}

// AddAddr adds an address; one that is already there is success.
func (w *Writer) AddAddr(link string, p netip.Prefix) error {
	l, err := w.link(link)
	if err != nil {
		return err
	}
	if p.Addr().Is4() {
		w.promoteSecondaries(link)
	}
	err = w.H.AddrAdd(l, &netlink.Addr{IPNet: ipNet(p)})
	if errors.Is(err, unix.EEXIST) {
		return nil
	}
	return gone(err, fmt.Sprintf("add address %s to %s", p, link))
}

// DelAddr deletes an address; one that is already gone is success. Its secondaries
// stay (promoteSecondaries).
func (w *Writer) DelAddr(link string, p netip.Prefix) error {
	l, err := w.link(link)
	if err != nil {
		return err
	}
	if p.Addr().Is4() {
		w.promoteSecondaries(link)
	}
	err = w.H.AddrDel(l, &netlink.Addr{IPNet: ipNet(p)})
	if errors.Is(err, unix.EADDRNOTAVAIL) {
		return nil
	}
	return gone(err, fmt.Sprintf("delete address %s from %s", p, link))
}

func (w *Writer) route(link string, r config.Route) (*netlink.Route, error) {
	l, err := w.link(link)
	if err != nil {
		return nil, err
	}
	nr := &netlink.Route{
		LinkIndex: l.Attrs().Index,
		Dst:       ipNet(r.Dst.Masked()),
		Priority:  r.Metric,
		Table:     r.Table,
	}
	if r.Dst.Addr().Is6() {
		nr.Family = unix.AF_INET6
	} else {
		nr.Family = unix.AF_INET
	}
	if r.Via.IsValid() {
		nr.Gw = net.IP(r.Via.AsSlice())
	} else {
		nr.Scope = netlink.SCOPE_LINK
	}
	if r.Src.IsValid() {
		nr.Src = net.IP(r.Src.AsSlice())
	}
	if r.OnLink {
		nr.Flags = int(netlink.FLAG_ONLINK)
	}
	return nr, nil
}

// ReplaceRoute adds or replaces a route through link (ip route replace ... dev link).
func (w *Writer) ReplaceRoute(link string, r config.Route) error {
	nr, err := w.route(link, r)
	if err != nil {
		return err
	}
	return gone(w.H.RouteReplace(nr), fmt.Sprintf("add route %q on %s", r.Text, link))
}

// DelRoute deletes a route; one that is already gone is success.
func (w *Writer) DelRoute(link string, r config.Route) error {
	nr, err := w.route(link, r)
	if err != nil {
		return err
	}
	err = w.H.RouteDel(nr)
	if errors.Is(err, unix.ESRCH) {
		return nil
	}
	return gone(err, fmt.Sprintf("delete route %q from %s", r.Text, link))
}

// DeleteLink deletes a master; one that is already gone is success.
func (w *Writer) DeleteLink(name string) error {
	l, err := w.link(name)
	if errors.Is(err, ErrGone) {
		return nil
	}
	if err != nil {
		return err
	}
	err = w.H.LinkDel(l)
	if errors.Is(err, unix.ENODEV) {
		return nil
	}
	return gone(err, "delete "+name)
}

// FlushAddrs removes every address of link but IPv6 link-local ones, as the seed's
// slave unit did (ip address flush) before enslaving: a slave's own addresses would
// answer for the host behind the bond's back.
func (w *Writer) FlushAddrs(link string) error {
	l, err := w.link(link)
	if err != nil {
		return err
	}
	as, err := w.H.AddrList(l, netlink.FAMILY_ALL)
	if err != nil {
		return gone(err, "list addresses of "+link)
	}
	for _, a := range as {
		if ip, ok := netip.AddrFromSlice(a.IP); ok && ip.Unmap().IsLinkLocalUnicast() {
			continue
		}
		if err := w.H.AddrDel(l, &a); err != nil && !errors.Is(err, unix.EADDRNOTAVAIL) {
			return gone(err, fmt.Sprintf("delete address %s from %s", a.IPNet, link))
		}
	}
	return nil
}
