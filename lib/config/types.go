// SPDX-License-Identifier: Apache-2.0

// Package config owns /etc/conf.d/network.conf: reading it, checking every value, and
// turning it into the desired state of each master. Nothing here touches the system;
// a Config that loads without error is safe to act on.
package config

import (
	"net/netip"
)

// DefaultPath is the seed's configuration file.
const DefaultPath = "/etc/conf.d/network.conf"

// EnvPath names the environment variable that overrides DefaultPath.
const EnvPath = "BOND_HOTPLUG_CONFIG"

// Kind is what a master is made of. The seed decides it by name: "br" anywhere in the
// name makes a bridge, anything else a bond.
type Kind string

const (
	KindBond   Kind = "bond"
	KindBridge Kind = "bridge"
)

// Config is one loaded, validated configuration file.
type Config struct {
	Path    string
	Masters map[string]*Master // by master name
	// Ifaces holds per-interface settings for non-master interfaces (slaves), keyed by
	// the key prefix (interface name with '-' mapped to '_').
	Ifaces map[string]*Iface
	// Warnings are non-fatal remarks (for example a master with no SLAVES key), each
	// already prefixed with file:line.
	Warnings []string
	// Digest identifies the content read (hex SHA-256; set by Load): two runs that
	// read the same digest planned from the same file, whatever the clocks say.
	Digest string

	slaves *slaveIndex // built on first need (MasterOf)
}

// Master is the desired state of one bond or bridge.
type Master struct {
	Name string
	Kind Kind
	// Slaves are interface names or shell-style glob patterns (path.Match syntax), in
	// the order written. When SLAVES is not set, this is just the primary (seed files
	// have no SLAVES key: the seed enabled slaves with hard-linked unit files).
	Slaves  []string
	Primary string // empty: none (bridges never have one)
	Bond    BondOptions
	Addrs   []netip.Prefix
	Routes  []Route
	DHCP4   DHCP
	DHCP6   DHCP
	// Line records where each setting of this master was written ("SLAVES" -> 12), so
	// later checks (for example against the kernel) can still name file:line.
	Line map[string]int
}

// BondOptions are the bonding driver's settings we manage. Bridges ignore them.
type BondOptions struct {
	Mode            string // kernel name: balance-rr, active-backup, ... (default active-backup)
	Miimon          int    // ms (default 100)
	FailOverMAC     string // none, active, follow (default active)
	PrimaryReselect string // always, better, failure (default always)
	Updelay         int    // ms (default 0), a multiple of Miimon
	Downdelay       int    // ms (default 0), a multiple of Miimon
}

// DHCP says whether and how a DHCP client runs on a master.
type DHCP struct {
	Enabled bool
	Client  string // dhclient or dhcpcd for v4; dhcp6c, dhclient or dhcpcd for v6
}

// Supplicant is when wpa_supplicant runs on an interface.
type Supplicant string

const (
	SupplicantAuto Supplicant = "auto" // on wireless devices only
	SupplicantYes  Supplicant = "yes"
	SupplicantNo   Supplicant = "no"
)

// DefaultSupplicantConf is the seed's wpa_supplicant configuration file.
const DefaultSupplicantConf = "/etc/wpa_supplicant/wpa_supplicant.conf"

// Iface holds per-slave settings.
type Iface struct {
	Key            string // the key prefix as written
	Supplicant     Supplicant
	SupplicantConf string
	Line           map[string]int
}

// Route is one entry of a ROUTES list, in ip-route words:
// [to] PREFIX|default [via GW] [metric N] [src ADDR] [table N] [onlink].
type Route struct {
	Dst    netip.Prefix // "default" is 0.0.0.0/0 or ::/0 (family from Via or Src; IPv4 if neither)
	Via    netip.Addr   // zero: no gateway (on-link route)
	Src    netip.Addr
	Metric int // 0: kernel default
	Table  int // 0: main
	OnLink bool
	Text   string // as written, for messages
}
