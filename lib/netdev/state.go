// SPDX-License-Identifier: Apache-2.0

// Package netdev owns reading the kernel's network state (links, bond options,
// addresses and routes of a master) into plain data, and changing it through netlink.
// The state it returns is what the planner compares with the configuration.
package netdev

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/bond-hotplug/bond-hotplug/lib/config"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Link is one network interface as the kernel sees it.
type Link struct {
	Name     string
	Index    int
	Kind     string // netlink's type: bond, bridge, veth, device, dummy, ...
	Master   string // name of the master it is enslaved to, "" if none
	AdminUp  bool
	Carrier  bool // lower layer up (cable in, associated)
	MAC      string
	Wireless bool
	// RFKill is the state of a wireless device's kill switches (read for the links
	// Reader.Ask accepts): a blocked radio can be neither set up nor enslaved.
	RFKill      RFKill
	Initialized bool // udev has finished with it (it will not be renamed any more)
	// Device is its sysfs device path (/sys/devices/..., read for the links
	// Reader.Ask accepts): a supplicant binds to that card, not to whichever card
	// has the name (units.Card).
	Device string
	// Addrs are its addresses other than IPv6 link-local ones: a slave must carry none.
	Addrs []netip.Prefix
	// Unportable names the link-layer type of a device no bond or bridge can take
	// (loopback, none for tun and WireGuard, ipip, ...): "" for Ethernet, which Wi-Fi
	// stations are too.
	Unportable string
}

// Bond is the bonding driver's state of one bond.
type Bond struct {
	Mode            string
	Miimon          int
	FailOverMAC     string
	PrimaryReselect string
	Updelay         int
	Downdelay       int
	Primary         string // as the driver keeps it (by name, may name an absent device)
	ActiveSlave     string
}

// Addr is an address on an interface.
type Addr struct {
	Prefix  netip.Prefix
	Dynamic bool // has a finite lifetime (DHCP, SLAAC), so not ours
}

// Route is a route through an interface, in the same terms as config.Route.
type Route struct {
	Dst    netip.Prefix
	Via    netip.Addr
	Src    netip.Addr
	Metric int
	Table  int
	OnLink bool
	Proto  int
}

// RouteOf is the configured route as the kernel stores it (config.Route.Normal).
func RouteOf(c config.Route) Route {
	n := c.Normal()
	return Route{Dst: n.Dst, Via: n.Via, Src: n.Src, Metric: n.Metric, Table: n.Table, OnLink: n.OnLink}
}

// SameKey reports whether the kernel takes two routes for one: in a table it tells
// routes apart by destination and metric (and TOS, which we never set), so adding one
// replaces the other.
func (r Route) SameKey(o Route) bool {
	return r.Dst == o.Dst && r.Table == o.Table && r.Metric == o.Metric
}

// Snapshot is every link in the namespace, sorted by name.
type Snapshot struct {
	Links []Link
}

// Get returns the named link.
func (s Snapshot) Get(name string) (Link, bool) {
	for _, l := range s.Links {
		if l.Name == name {
			return l, true
		}
	}
	return Link{}, false
}

// SlavesOf returns the links enslaved to master, sorted by name.
func (s Snapshot) SlavesOf(master string) []Link {
	var out []Link
	for _, l := range s.Links {
		if l.Master == master {
			out = append(out, l)
		}
	}
	return out
}

// DeviceInfo answers what netlink cannot: is a device wireless, and has udev finished
// with it. The real one asks libudev; tests may fake it.
type DeviceInfo interface {
	Wireless(name string) bool
	Initialized(name string) bool
}

// Reader reads state through one netlink handle.
type Reader struct {
	H    *netlink.Handle
	Info DeviceInfo
	// Ask limits the DeviceInfo questions (libudev look-ups, the costly part of a
	// read) to the links it accepts, the ones that may become slaves; nil asks for all.
	Ask func(name string) bool
	// Sys is the sysfs root (default /sys); the bond's primary is read there by name.
	Sys string
	// Reuse answers Bond, SlavePrio, Addrs and Routes with the links and addresses of
	// the last Links dump instead of a request per link and another address dump: one
	// run's reads, one snapshot (issue 20: each request is a round trip and a parse,
	// paid before a hot-plugged NIC is enslaved). A reader that polls (the DHCP
	// units') leaves it off.
	Reuse bool
	dump  *dump
}

// dump is what the last Links read, for Reuse.
type dump struct {
	byName  map[string]netlink.Link
	byIndex map[int]string
	addrs   []netlink.Addr
}

// link returns the named link: from the last dump with Reuse, else asked for.
func (r *Reader) link(name string) (netlink.Link, error) {
	if r.Reuse && r.dump != nil {
		if l, ok := r.dump.byName[name]; ok {
			return l, nil
		}
	}
	return r.H.LinkByName(name)
}

const dumpRetries = 12

// retry repeats a netlink dump that the kernel interrupted because the data changed
// under it (a burst of hotplug events does this). From the third try on it first
// waits a little, growing up to 64 ms, so that on a loaded machine (64 runs of a
// burst on 2 CPUs) a run does not give up while the others are still changing links:
// 5 tries in a row without a pause were seen to fail there.
func retry[T any](what string, f func() (T, error)) (T, error) {
	var v T
	var err error
	for i := 0; i < dumpRetries; i++ {
		if i >= 2 {
			time.Sleep(time.Millisecond << min(i-2, 6))
		}
		v, err = f()
		if !errors.Is(err, netlink.ErrDumpInterrupted) {
			break
		}
	}
	if err != nil {
		return v, fmt.Errorf("%s: %w", what, err)
	}
	return v, nil
}

// Links reads every link.
func (r *Reader) Links() (Snapshot, error) {
	nls, err := retry("list links", r.H.LinkList)
	if err != nil {
		return Snapshot{}, err
	}
	byIndex := map[int]string{}
	for _, l := range nls {
		byIndex[l.Attrs().Index] = l.Attrs().Name
	}
	// One dump for every link's addresses, rather than one request per link.
	all, err := retry("list addresses", func() ([]netlink.Addr, error) { return r.H.AddrList(nil, netlink.FAMILY_ALL) })
	if err != nil {
		return Snapshot{}, err
	}
	addrs := map[int][]netip.Prefix{}
	for _, a := range all {
		if p, ok := prefixOf(a.IPNet); ok && !p.Addr().IsLinkLocalUnicast() {
			addrs[a.LinkIndex] = append(addrs[a.LinkIndex], p)
		}
	}
	if r.Reuse {
		r.dump = &dump{byName: map[string]netlink.Link{}, byIndex: byIndex, addrs: all}
		for _, l := range nls {
			r.dump.byName[l.Attrs().Name] = l
		}
	}
	var s Snapshot
	for _, l := range nls {
		a := l.Attrs()
		link := Link{
			Name:        a.Name,
			Index:       a.Index,
			Kind:        l.Type(),
			AdminUp:     a.Flags&net.FlagUp != 0,
			Carrier:     a.RawFlags&unix.IFF_LOWER_UP != 0,
			MAC:         a.HardwareAddr.String(),
			Initialized: true,
			Addrs:       addrs[a.Index],
		}
		if a.EncapType != "ether" {
			link.Unportable = a.EncapType
		}
		if a.MasterIndex != 0 {
			link.Master = byIndex[a.MasterIndex]
			if link.Master == "" {
				link.Master = fmt.Sprintf("#%d", a.MasterIndex)
			}
		}
		if r.Info != nil && (r.Ask == nil || r.Ask(a.Name)) {
			link.Wireless = r.Info.Wireless(a.Name)
			link.Initialized = r.Info.Initialized(a.Name)
			if link.Wireless {
				link.RFKill = ReadRFKill(r.sys(), a.Name)
			}
			link.Device = DevicePath(r.sys(), a.Name)
		}
		s.Links = append(s.Links, link)
	}
	sort.Slice(s.Links, func(i, j int) bool { return s.Links[i].Name < s.Links[j].Name })
	return s, nil
}

func (r *Reader) sys() string {
	if r.Sys == "" {
		return "/sys"
	}
	return r.Sys
}

// Bond reads the bonding options of the named bond.
func (r *Reader) Bond(name string) (Bond, error) {
	l, err := r.link(name)
	if err != nil {
		return Bond{}, fmt.Errorf("read bond %s: %w", name, err)
	}
	b, ok := l.(*netlink.Bond)
	if !ok {
		return Bond{}, fmt.Errorf("read bond %s: it is a %s, not a bond", name, l.Type())
	}
	out := Bond{
		Mode:            b.Mode.String(),
		Miimon:          b.Miimon,
		FailOverMAC:     b.FailOverMac.String(),
		PrimaryReselect: b.PrimaryReselect.String(),
		Updelay:         b.UpDelay,
		Downdelay:       b.DownDelay,
	}
	if b.ActiveSlave > 0 {
		if n, ok := r.dumped(b.ActiveSlave); ok {
			out.ActiveSlave = n
		} else if al, err := r.H.LinkByIndex(b.ActiveSlave); err == nil {
			out.ActiveSlave = al.Attrs().Name
		}
	}
	// The driver keeps the primary by name, even while that device is absent; netlink
	// only reports it while it is enslaved, sysfs always.
	p, err := os.ReadFile(filepath.Join(r.sys(), "class/net", name, "bonding/primary"))
	if err == nil {
		out.Primary = strings.TrimSpace(string(p))
	} else if b.Primary > 0 {
		if n, ok := r.dumped(b.Primary); ok {
			out.Primary = n
		} else if pl, err := r.H.LinkByIndex(b.Primary); err == nil {
			out.Primary = pl.Attrs().Name
		}
	}
	return out, nil
}

// dumped is the name of link index in the last dump (with Reuse).
func (r *Reader) dumped(index int) (string, bool) {
	if !r.Reuse || r.dump == nil {
		return "", false
	}
	n, ok := r.dump.byIndex[index]
	return n, ok
}

// Addrs reads the addresses of the named link.
func (r *Reader) Addrs(name string) ([]Addr, error) {
	l, err := r.link(name)
	if err != nil {
		return nil, fmt.Errorf("read addresses of %s: %w", name, err)
	}
	var nas []netlink.Addr
	if r.Reuse && r.dump != nil {
		for _, a := range r.dump.addrs {
			if a.LinkIndex == l.Attrs().Index {
				nas = append(nas, a)
			}
		}
	} else if nas, err = retry("list addresses of "+name, func() ([]netlink.Addr, error) { return r.H.AddrList(l, netlink.FAMILY_ALL) }); err != nil {
		return nil, err
	}
	var out []Addr
	for _, a := range nas {
		p, ok := prefixOf(a.IPNet)
		if !ok {
			continue
		}
		out = append(out, Addr{Prefix: p, Dynamic: a.Flags&unix.IFA_F_PERMANENT == 0})
	}
	return out, nil
}

// Routes reads the routes whose output device is the named link, in every table.
func (r *Reader) Routes(name string) ([]Route, error) {
	l, err := r.link(name)
	if err != nil {
		return nil, fmt.Errorf("read routes of %s: %w", name, err)
	}
	filter := &netlink.Route{LinkIndex: l.Attrs().Index, Table: unix.RT_TABLE_UNSPEC}
	nrs, err := retry("list routes of "+name, func() ([]netlink.Route, error) {
		return r.H.RouteListFiltered(netlink.FAMILY_ALL, filter, netlink.RT_FILTER_OIF|netlink.RT_FILTER_TABLE)
	})
	if err != nil {
		return nil, err
	}
	var out []Route
	for _, nr := range nrs {
		if nr.Type != unix.RTN_UNICAST {
			continue
		}
		rt := Route{Metric: nr.Priority, Table: nr.Table, Proto: int(nr.Protocol), OnLink: nr.Flags&unix.RTNH_F_ONLINK != 0}
		if p, ok := prefixOf(nr.Dst); ok {
			rt.Dst = p.Masked()
		} else if nr.Family == unix.AF_INET6 {
			rt.Dst = netip.PrefixFrom(netip.IPv6Unspecified(), 0)
		} else {
			rt.Dst = netip.PrefixFrom(netip.IPv4Unspecified(), 0)
		}
		if a, ok := netip.AddrFromSlice(nr.Gw); ok {
			rt.Via = a.Unmap()
		}
		if a, ok := netip.AddrFromSlice(nr.Src); ok {
			rt.Src = a.Unmap()
		}
		out = append(out, rt)
	}
	return out, nil
}

func prefixOf(n *net.IPNet) (netip.Prefix, bool) {
	if n == nil {
		return netip.Prefix{}, false
	}
	a, ok := netip.AddrFromSlice(n.IP)
	if !ok {
		return netip.Prefix{}, false
	}
	ones, _ := n.Mask.Size()
	return netip.PrefixFrom(a.Unmap(), ones), true
}

// NewHandle opens the netlink handle a Reader or Writer uses: route netlink only (the
// library's default would also open XFRM and netfilter sockets).
func NewHandle() (*netlink.Handle, error) {
	h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("open netlink: %w", err)
	}
	return h, nil
}
