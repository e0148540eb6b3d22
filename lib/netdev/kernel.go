// SPDX-License-Identifier: Apache-2.0

package netdev

import (
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
}

// Source is every read the planner's state needs. Reader implements it with netlink.
type Source interface {
	Links() (Snapshot, error)
	Bond(name string) (Bond, error)
	Addrs(name string) ([]Addr, error)
	Routes(name string) ([]Route, error)
}

var (
	_ Kernel = (*Writer)(nil)
	_ Source = (*Reader)(nil)
)
