// SPDX-License-Identifier: Apache-2.0

package config

import (
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
)

// Bonding modes by number, as the kernel numbers them.
var bondModes = []string{"balance-rr", "active-backup", "balance-xor", "broadcast", "802.3ad", "balance-tlb", "balance-alb"}

var (
	failOverMACs     = []string{"none", "active", "follow"}
	primaryReselects = []string{"always", "better", "failure"}
	supplicantModes  = []string{string(SupplicantAuto), string(SupplicantYes), string(SupplicantNo)}
)

// The DHCP clients DHCP_CLIENT and DHCP6_CLIENT accept: those lib/units has a unit
// for (its dhcpClients table; a test there holds the two lists to each other).
var (
	DHCP4Clients = []string{"dhclient", "dhcpcd"}
	DHCP6Clients = []string{"dhcp6c", "dhclient", "dhcpcd"}
)

// Defaults for settings that are not set (or set to the empty string).
const (
	DefaultMode            = "active-backup"
	DefaultMiimon          = 100
	DefaultFailOverMAC     = "active"
	DefaultPrimaryReselect = "always"
	DefaultDHCPClient      = "dhclient"
	DefaultDHCP6Client     = "dhcp6c"
)

// UsesPrimary lists the modes in which the kernel accepts a primary slave (and
// primary_reselect): the one answer for the configuration's checks and the planner.
func UsesPrimary(mode string) bool {
	return mode == "active-backup" || mode == "balance-tlb" || mode == "balance-alb"
}

// parseKernelEnum accepts a name (any case) or, when numbered, its index, as sysfs
// does for bonding options.
func parseKernelEnum(v string, names []string, numbered bool) (string, bool) {
	low := strings.ToLower(v)
	for i, n := range names {
		if low == n || numbered && v == strconv.Itoa(i) {
			return n, true
		}
	}
	return "", false
}

func enumList(names []string, numbered bool) string {
	s := make([]string, len(names))
	for i, n := range names {
		s[i] = n
		if numbered {
			s[i] = fmt.Sprintf("%s (%d)", n, i)
		}
	}
	return strings.Join(s, ", ")
}

// parseMillis accepts plain decimal digits only: "+5", "0x10" and "1e3" are typos
// here, not numbers.
func parseMillis(v string) (int, error) {
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return 0, fmt.Errorf("%q is not a whole number of milliseconds from 0 to %d", v, math.MaxInt32)
		}
	}
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("%q is out of range: milliseconds must be from 0 to %d", v, math.MaxInt32)
	}
	return int(n), nil
}

func parseYesNo(v string) (bool, bool) {
	switch strings.ToLower(v) {
	case "yes", "true", "1", "on":
		return true, true
	case "no", "false", "0", "off":
		return false, true
	}
	return false, false
}

// parseAddrs reads ADDRS: space-separated address/length pairs. Host bits are kept:
// "192.168.0.2/24" is the address 192.168.0.2 on a /24, as ip-address reads it.
func parseAddrs(v string) ([]netip.Prefix, []error) {
	var out []netip.Prefix
	var problems []error
	seen := map[netip.Addr]string{}
	for _, w := range strings.Fields(v) {
		p, err := parseAddr(w)
		if err != nil {
			problems = append(problems, err)
			continue
		}
		if first, dup := seen[p.Addr()]; dup {
			problems = append(problems, fmt.Errorf("address %s is listed twice (%s and %s)", p.Addr(), first, w))
			continue
		}
		seen[p.Addr()] = w
		out = append(out, p)
	}
	return out, problems
}

func parseAddr(w string) (netip.Prefix, error) {
	if !strings.Contains(w, "/") {
		return netip.Prefix{}, fmt.Errorf("address %q has no prefix length: write it as ADDRESS/LENGTH, e.g. %s/24", w, w)
	}
	p, err := netip.ParsePrefix(w)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("address %q is not ADDRESS/LENGTH (IPv4 lengths 0-32, IPv6 0-128)", w)
	}
	return p, checkAddr(p)
}

func checkAddr(p netip.Prefix) error {
	a := p.Addr()
	switch {
	case !p.IsValid():
		return fmt.Errorf("invalid address %s", p)
	case a.Zone() != "":
		return fmt.Errorf("address %s has a zone", p)
	case a.IsUnspecified():
		return fmt.Errorf("address %s is the unspecified address", p)
	case a.IsMulticast():
		return fmt.Errorf("address %s is a multicast address", p)
	case a.Is4In6():
		// Netlink would send it as IPv4 with a length of up to 128: EINVAL on every
		// run, and nothing after it (addresses, routes, DHCP units) applied.
		return fmt.Errorf("address %s is an IPv4-mapped IPv6 address, which the kernel cannot put on an interface; write the IPv4 address (%s)", p, a.Unmap())
	}
	return nil
}

// checkConfPath checks SUPPLICANT_CONF: it is passed to wpa_supplicant -c by a unit,
// so it must not depend on a working directory or break a command line.
func checkConfPath(v string) error {
	switch {
	case !strings.HasPrefix(v, "/"):
		return fmt.Errorf("%q is not an absolute path", v)
	case strings.ContainsAny(v, "\x00\n"):
		return fmt.Errorf("%q contains a NUL or newline", v)
	}
	for _, r := range v {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("%q contains control character %U", v, r)
		}
	}
	return nil
}
