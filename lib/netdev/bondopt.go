// SPDX-License-Identifier: Apache-2.0

package netdev

import (
	"fmt"
	"strconv"

	"github.com/bond-hotplug/bond-hotplug/lib/config"
	"github.com/vishvananda/netlink"
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

// bondOpt is everything about one option, in one place: its sysfs name, its value in
// the configuration's terms, how it is copied between two sets of options (the
// Fake's bond), and the netlink attribute that sets it (Writer).
type bondOpt struct {
	name    string
	of      func(config.BondOptions) string
	copy    func(dst *config.BondOptions, src config.BondOptions)
	netlink func(b *netlink.Bond, o config.BondOptions)
}

var bondOpts = [...]bondOpt{
	OptMode: {"mode",
		func(o config.BondOptions) string { return o.Mode },
		func(d *config.BondOptions, s config.BondOptions) { d.Mode = s.Mode },
		func(b *netlink.Bond, o config.BondOptions) { b.Mode = netlink.StringToBondMode(o.Mode) }},
	OptFailOverMAC: {"fail_over_mac",
		func(o config.BondOptions) string { return o.FailOverMAC },
		func(d *config.BondOptions, s config.BondOptions) { d.FailOverMAC = s.FailOverMAC },
		func(b *netlink.Bond, o config.BondOptions) { b.FailOverMac = failOverMAC[o.FailOverMAC] }},
	OptMiimon: {"miimon",
		func(o config.BondOptions) string { return strconv.Itoa(o.Miimon) },
		func(d *config.BondOptions, s config.BondOptions) { d.Miimon = s.Miimon },
		func(b *netlink.Bond, o config.BondOptions) { b.Miimon = o.Miimon }},
	OptUpdelay: {"updelay",
		func(o config.BondOptions) string { return strconv.Itoa(o.Updelay) },
		func(d *config.BondOptions, s config.BondOptions) { d.Updelay = s.Updelay },
		func(b *netlink.Bond, o config.BondOptions) { b.UpDelay = o.Updelay }},
	OptDowndelay: {"downdelay",
		func(o config.BondOptions) string { return strconv.Itoa(o.Downdelay) },
		func(d *config.BondOptions, s config.BondOptions) { d.Downdelay = s.Downdelay },
		func(b *netlink.Bond, o config.BondOptions) { b.DownDelay = o.Downdelay }},
	OptPrimaryReselect: {"primary_reselect",
		func(o config.BondOptions) string { return o.PrimaryReselect },
		func(d *config.BondOptions, s config.BondOptions) { d.PrimaryReselect = s.PrimaryReselect },
		func(b *netlink.Bond, o config.BondOptions) { b.PrimaryReselect = primaryReselect[o.PrimaryReselect] }},
}

var failOverMAC = map[string]netlink.BondFailOverMac{
	"none": netlink.BOND_FAIL_OVER_MAC_NONE, "active": netlink.BOND_FAIL_OVER_MAC_ACTIVE, "follow": netlink.BOND_FAIL_OVER_MAC_FOLLOW,
}

var primaryReselect = map[string]netlink.BondPrimaryReselect{
	"always": netlink.BOND_PRIMARY_RESELECT_ALWAYS, "better": netlink.BOND_PRIMARY_RESELECT_BETTER, "failure": netlink.BOND_PRIMARY_RESELECT_FAILURE,
}

func (o BondOpt) known() bool { return o >= 0 && int(o) < len(bondOpts) }

// String is the option's sysfs name.
func (o BondOpt) String() string {
	if !o.known() {
		return fmt.Sprintf("bond option %d", int(o))
	}
	return bondOpts[o].name
}

// Of renders the option's value in o.
func (o BondOpt) Of(b config.BondOptions) string {
	if !o.known() {
		return ""
	}
	return bondOpts[o].of(b)
}

// Options are the bond's settings in the configuration's terms.
func (b Bond) Options() config.BondOptions {
	return config.BondOptions{Mode: b.Mode, Miimon: b.Miimon, FailOverMAC: b.FailOverMAC,
		PrimaryReselect: b.PrimaryReselect, Updelay: b.Updelay, Downdelay: b.Downdelay}
}

// setOptions takes the settings of o (the Fake's bond).
func (b *Bond) setOptions(o config.BondOptions) {
	b.Mode, b.Miimon, b.FailOverMAC = o.Mode, o.Miimon, o.FailOverMAC
	b.PrimaryReselect, b.Updelay, b.Downdelay = o.PrimaryReselect, o.Updelay, o.Downdelay
}
