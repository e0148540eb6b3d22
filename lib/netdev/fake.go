// SPDX-License-Identifier: Apache-2.0

package netdev

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/bond-hotplug/bond-hotplug/lib/config"
)

// Fake is a kernel in memory, for tests of the logic above Kernel and Source (the
// namespace tests and the VM lab prove Writer and Reader). It keeps links, bond
// options, addresses and routes, answers reads from them, and records every write as
// one line of text. It models the kernel behaviour the planner depends on: a bond or
// bridge set down loses its IPv4 routes and, unless KeepAddrOnDown, its IPv6
// addresses; a deleted master frees its slaves; operations on an absent device fail
// with ErrGone.
type Fake struct {
	Devs     map[string]*Link
	BondOf   map[string]*Bond
	AddrsOf  map[string][]Addr
	RoutesOf map[string][]Route
	// KeepAddrOnDown is net.ipv6.conf.*.keep_addr_on_down (default 0: dropped).
	KeepAddrOnDown bool
	// Vanish names devices that disappear the moment they are next written to, as a
	// card pulled mid-run does.
	Vanish map[string]bool
	Writes []string
	next   int
}

// NewFake returns an empty kernel.
func NewFake() *Fake {
	return &Fake{Devs: map[string]*Link{}, BondOf: map[string]*Bond{}, AddrsOf: map[string][]Addr{},
		RoutesOf: map[string][]Route{}, Vanish: map[string]bool{}}
}

// AddLink adds a device (as plugging a card does), initialized and down.
func (f *Fake) AddLink(name, kind string) *Link {
	f.next++
	l := &Link{Name: name, Index: f.next, Kind: kind, Initialized: true}
	f.Devs[name] = l
	return l
}

// Transcript is every write so far, one a line.
func (f *Fake) Transcript() string { return strings.Join(f.Writes, "\n") }

func (f *Fake) write(format string, args ...any) {
	f.Writes = append(f.Writes, fmt.Sprintf(format, args...))
}

func (f *Fake) get(name string) (*Link, error) {
	if f.Vanish[name] {
		f.del(name)
		delete(f.Vanish, name)
	}
	l, ok := f.Devs[name]
	if !ok {
		return nil, fmt.Errorf("%s: %w", name, ErrGone)
	}
	return l, nil
}

func (f *Fake) del(name string) {
	delete(f.Devs, name)
	delete(f.BondOf, name)
	delete(f.AddrsOf, name)
	delete(f.RoutesOf, name)
	for _, l := range f.Devs {
		if l.Master == name {
			l.Master = ""
		}
	}
}

func (f *Fake) CreateBond(name string, o config.BondOptions) error {
	f.write("create bond %s %+v", name, o)
	if _, ok := f.Devs[name]; ok {
		return fmt.Errorf("create bond %s: file exists", name)
	}
	f.AddLink(name, "bond")
	b := &Bond{}
	b.setOptions(o)
	f.BondOf[name] = b
	return nil
}

func (f *Fake) CreateBridge(name string) error {
	f.write("create bridge %s", name)
	if _, ok := f.Devs[name]; ok {
		return fmt.Errorf("create bridge %s: file exists", name)
	}
	f.AddLink(name, "bridge")
	return nil
}

func (f *Fake) SetBondOption(name string, opt BondOpt, o config.BondOptions) error {
	f.write("set %s %s %s", name, opt, opt.Of(o))
	if _, err := f.get(name); err != nil {
		return err
	}
	b := f.BondOf[name]
	if b == nil {
		return fmt.Errorf("set %s %s: not a bond", name, opt)
	}
	cur := b.Options()
	bondOpts[opt].copy(&cur, o)
	b.setOptions(cur)
	return nil
}

func (f *Fake) SetPrimary(name, primary string) error {
	f.write("set %s primary %q", name, primary)
	if _, err := f.get(name); err != nil {
		return err
	}
	if b := f.BondOf[name]; b != nil {
		b.Primary = primary
	}
	return nil
}

func (f *Fake) SetUp(name string) error {
	f.write("set %s up", name)
	l, err := f.get(name)
	if err != nil {
		return err
	}
	l.AdminUp = true
	return nil
}

// SetDown takes a link down; a master loses what the kernel drops with it.
func (f *Fake) SetDown(name string) error {
	f.write("set %s down", name)
	l, err := f.get(name)
	if err != nil {
		return err
	}
	l.AdminUp = false
	var keep []Route
	for _, r := range f.RoutesOf[name] {
		if r.Dst.Addr().Is6() {
			keep = append(keep, r)
		}
	}
	f.RoutesOf[name] = keep
	if !f.KeepAddrOnDown {
		var ka []Addr
		for _, a := range f.AddrsOf[name] {
			if a.Prefix.Addr().Is4() {
				ka = append(ka, a)
			}
		}
		f.AddrsOf[name] = ka
		// IPv6 routes go with the addresses that made their gateways reachable.
		f.RoutesOf[name] = nil
	}
	return nil
}

func (f *Fake) Enslave(link, master string) error {
	f.write("enslave %s to %s", link, master)
	l, err := f.get(link)
	if err != nil {
		return err
	}
	if _, err := f.get(master); err != nil {
		return err
	}
	l.Master = master
	return nil
}

func (f *Fake) Release(link string) error {
	f.write("release %s", link)
	l, err := f.get(link)
	if err != nil {
		return err
	}
	if f.Devs[l.Master] != nil && f.Devs[l.Master].Kind == "bond" {
		l.AdminUp = false // the bonding driver closes a released slave
	}
	l.Master = ""
	return nil
}

func (f *Fake) AddAddr(link string, p netip.Prefix) error {
	f.write("add address %s to %s", p, link)
	if _, err := f.get(link); err != nil {
		return err
	}
	for _, a := range f.AddrsOf[link] {
		if a.Prefix == p {
			return nil
		}
	}
	f.AddrsOf[link] = append(f.AddrsOf[link], Addr{Prefix: p})
	return nil
}

func (f *Fake) DelAddr(link string, p netip.Prefix) error {
	f.write("delete address %s from %s", p, link)
	if _, err := f.get(link); err != nil {
		return err
	}
	var keep []Addr
	v4 := false
	for _, a := range f.AddrsOf[link] {
		if a.Prefix != p {
			keep = append(keep, a)
			v4 = v4 || a.Prefix.Addr().Is4()
		}
	}
	f.AddrsOf[link] = keep
	// As the kernel (fib_disable_ip): the last IPv4 address gone, the device's IPv4
	// routes go with it.
	if p.Addr().Is4() && !v4 {
		var rs []Route
		for _, r := range f.RoutesOf[link] {
			if !r.Dst.Addr().Is4() {
				rs = append(rs, r)
			}
		}
		f.RoutesOf[link] = rs
	}
	return nil
}

func (f *Fake) ReplaceRoute(link string, r config.Route) error {
	f.write("replace route %q dev %s", r.Text, link)
	if _, err := f.get(link); err != nil {
		return err
	}
	kr := RouteOf(r)
	var keep []Route
	for _, x := range f.RoutesOf[link] {
		if !x.SameKey(kr) {
			keep = append(keep, x)
		}
	}
	f.RoutesOf[link] = append(keep, kr)
	return nil
}

func (f *Fake) DelRoute(link string, r config.Route) error {
	f.write("delete route %q dev %s", r.Text, link)
	if _, err := f.get(link); err != nil {
		return err
	}
	kr := RouteOf(r)
	var keep []Route
	for _, x := range f.RoutesOf[link] {
		if !x.SameKey(kr) {
			keep = append(keep, x)
		}
	}
	f.RoutesOf[link] = keep
	return nil
}

func (f *Fake) DeleteLink(name string) error {
	f.write("delete %s", name)
	if _, ok := f.Devs[name]; ok {
		f.del(name)
	}
	return nil
}

func (f *Fake) FlushAddrs(link string) error {
	f.write("flush addresses of %s", link)
	l, err := f.get(link)
	if err != nil {
		return err
	}
	l.Addrs = nil
	return nil
}

var _ interface {
	Kernel
	Source
} = (*Fake)(nil)

// Links returns every link, sorted by name; a master carries its addresses.
func (f *Fake) Links() (Snapshot, error) {
	var s Snapshot
	for _, l := range f.Devs {
		c := *l
		if c.Kind == "bond" || c.Kind == "bridge" {
			c.Addrs = nil
			for _, a := range f.AddrsOf[c.Name] {
				c.Addrs = append(c.Addrs, a.Prefix)
			}
		}
		s.Links = append(s.Links, c)
	}
	sort.Slice(s.Links, func(i, j int) bool { return s.Links[i].Name < s.Links[j].Name })
	return s, nil
}

// Bond returns a bond's options, its primary and an active slave (the primary when it
// is a slave, else the first slave), as the driver with carrier everywhere would.
func (f *Fake) Bond(name string) (Bond, error) {
	b := f.BondOf[name]
	if b == nil {
		return Bond{}, fmt.Errorf("read bond %s: %w", name, ErrGone)
	}
	out := *b
	s, _ := f.Links()
	slaves := s.SlavesOf(name)
	out.ActiveSlave = ""
	for _, l := range slaves {
		if l.Name == b.Primary || out.ActiveSlave == "" {
			out.ActiveSlave = l.Name
		}
	}
	// The driver shows a primary only while it is a slave.
	if _, ok := f.Devs[b.Primary]; !ok {
		out.Primary = ""
	}
	return out, nil
}

func (f *Fake) Addrs(name string) ([]Addr, error) {
	return append([]Addr(nil), f.AddrsOf[name]...), nil
}

func (f *Fake) Routes(name string) ([]Route, error) {
	return append([]Route(nil), f.RoutesOf[name]...), nil
}

// Dump is the Fake's whole state as text, for tests that assert state rather than a
// transcript of writes: one line a device (sorted by name), then under it its bond
// options, addresses and routes, each sorted.
func (f *Fake) Dump() string {
	var b strings.Builder
	names := make([]string, 0, len(f.Devs))
	for n := range f.Devs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		l := f.Devs[n]
		fmt.Fprintf(&b, "%s %s %s", n, l.Kind, map[bool]string{true: "up", false: "down"}[l.AdminUp])
		if l.Carrier {
			b.WriteString(" carrier")
		}
		if l.Master != "" {
			fmt.Fprintf(&b, " master %s", l.Master)
		}
		b.WriteString("\n")
		if bd := f.BondOf[n]; bd != nil {
			fmt.Fprintf(&b, "  bond mode %s miimon %d fail_over_mac %s primary %q primary_reselect %s updelay %d downdelay %d\n",
				bd.Mode, bd.Miimon, bd.FailOverMAC, bd.Primary, bd.PrimaryReselect, bd.Updelay, bd.Downdelay)
		}
		var lines []string
		for _, a := range f.AddrsOf[n] {
			lines = append(lines, fmt.Sprintf("  address %s%s", a.Prefix, map[bool]string{true: " dynamic"}[a.Dynamic]))
		}
		for _, r := range f.RoutesOf[n] {
			s := fmt.Sprintf("  route %s", r.Dst)
			if r.Via.IsValid() {
				s += " via " + r.Via.String()
			}
			if r.Src.IsValid() {
				s += " src " + r.Src.String()
			}
			lines = append(lines, s+fmt.Sprintf(" metric %d table %d", r.Metric, r.Table))
		}
		sort.Strings(lines)
		for _, s := range lines {
			b.WriteString(s + "\n")
		}
	}
	return b.String()
}
