// SPDX-License-Identifier: Apache-2.0

package netdev

import (
	"fmt"
	"net/netip"

	"github.com/bond-hotplug/bond-hotplug/lib/config"
)

// Kernel is every change a plan makes to the kernel's network state. Writer does it
// through netlink and sysfs; Fake models it in memory and prints each write, so the
// apply path above it runs as a plain test (the namespace tests prove Writer).
type Kernel interface {
	CreateBond(name string, o config.BondOptions) error
	CreateBridge(name string) error
	// SetBondOption sets the one option opt of an existing bond to its value in o.
	SetBondOption(name string, opt BondOpt, o config.BondOptions) error
	// SetPrimary names the bond's primary; "" clears it.
	SetPrimary(name, primary string) error
	SetUp(name string) error
	SetDown(name string) error
	Enslave(link, master string) error
	Release(link string) error
	AddAddr(link string, p netip.Prefix) error
	DelAddr(link string, p netip.Prefix) error
	ReplaceRoute(link string, r config.Route) error
	DelRoute(link string, r config.Route) error
	DeleteLink(name string) error
	FlushAddrs(link string) error
	// SetSlavePrio sets a bond slave's prio; ErrNoSlavePrio on a kernel without it.
	SetSlavePrio(link string, prio int) error
}

// Source is every read the planner's state needs. Reader implements it with netlink.
type Source interface {
	Links() (Snapshot, error)
	Bond(name string) (Bond, error)
	Addrs(name string) ([]Addr, error)
	Routes(name string) ([]Route, error)
	// SlavePrio reads a bond slave's prio; ok is false when the kernel reports none.
	SlavePrio(link string) (prio int, ok bool, err error)
}

var (
	_ Kernel = (*Writer)(nil)
	_ Source = (*Reader)(nil)
)

// BondOpt is one bonding option that can be changed on an existing bond.
type BondOpt int

const (
	OptMode BondOpt = iota
	OptFailOverMAC
	OptMiimon
	OptUpdelay
	OptDowndelay
	OptPrimaryReselect
)

// BondOpts lists the options in the order a plan sets them: mode and fail_over_mac
// first (they need the bond down and without slaves), primary_reselect last (only
// the modes with a primary have it).
var BondOpts = []BondOpt{OptMode, OptFailOverMAC, OptMiimon, OptUpdelay, OptDowndelay, OptPrimaryReselect}

// String is the option's sysfs name.
func (o BondOpt) String() string {
	switch o {
	case OptMode:
		return "mode"
	case OptFailOverMAC:
		return "fail_over_mac"
	case OptMiimon:
		return "miimon"
	case OptUpdelay:
		return "updelay"
	case OptDowndelay:
		return "downdelay"
	case OptPrimaryReselect:
		return "primary_reselect"
	}
	return fmt.Sprintf("bond option %d", int(o))
}

// Of renders the option's value in o.
func (o BondOpt) Of(b config.BondOptions) string {
	switch o {
	case OptMode:
		return b.Mode
	case OptFailOverMAC:
		return b.FailOverMAC
	case OptMiimon:
		return fmt.Sprint(b.Miimon)
	case OptUpdelay:
		return fmt.Sprint(b.Updelay)
	case OptDowndelay:
		return fmt.Sprint(b.Downdelay)
	case OptPrimaryReselect:
		return b.PrimaryReselect
	}
	return ""
}

// Options are the bond's settings in the configuration's terms.
func (b Bond) Options() config.BondOptions {
	return config.BondOptions{Mode: b.Mode, Miimon: b.Miimon, FailOverMAC: b.FailOverMAC,
		PrimaryReselect: b.PrimaryReselect, Updelay: b.Updelay, Downdelay: b.Downdelay}
}
