// SPDX-License-Identifier: Apache-2.0

package config

import (
	"fmt"
	"strings"
)

// Setting suffixes. A key is <interface name with '-' as '_'><SUFFIX>.
const (
	sPrimary         = "PRIMARY"
	sSlaves          = "SLAVES"
	sAddrs           = "ADDRS"
	sRoutes          = "ROUTES"
	sMode            = "MODE"
	sMiimon          = "MIIMON"
	sFailOverMAC     = "FAIL_OVER_MAC"
	sPrimaryReselect = "PRIMARY_RESELECT"
	sUpdelay         = "UPDELAY"
	sDowndelay       = "DOWNDELAY"
	sDHCP            = "DHCP"
	sDHCPClient      = "DHCP_CLIENT"
	sDHCP6           = "DHCP6"
	sDHCP6Client     = "DHCP6_CLIENT"
	sSupplicant      = "SUPPLICANT"
	sSupplicantConf  = "SUPPLICANT_CONF"
)

type scope int

const (
	// scopeMaster settings make their prefix a master when set to a non-empty value.
	scopeMaster scope = iota
	// scopeStatic settings (ADDRS, ROUTES) belong to masters but do not make one: the
	// seed writes empty ones for its slaves.
	scopeStatic
	// scopeIface settings belong to slaves.
	scopeIface
)

// setting is everything about one key: its suffix, its scope, where its value is
// stored and how it is read. A new key is one entry here plus its field in types.go:
// Parse reads files through set*; the tests' Validate (validate_test.go) checks
// Configs built in code by writing each field back as text (get* and formatValue) and
// reading it through the same set*, so no rule is written twice.
type setting struct {
	suffix string
	scope  scope
	bond   bool // meaningless on a bridge
	// getMaster or getIface returns the field that set* fills, as a string, int, bool,
	// []string, []netip.Prefix or []Route (the types formatValue writes).
	getMaster func(m *Master) any
	getIface  func(i *Iface) any
	// setMaster (scopeMaster, scopeStatic) or setIface (scopeIface) stores a non-empty
	// value, reporting problems through bad and leaving the default in place.
	setMaster func(m *Master, v string, bad report)
	setIface  func(i *Iface, v string, bad report)
}

// report records one problem with a value (the parser adds the file:line and key).
type report = func(format string, args ...any)

// settings: one entry per key, each in the same order: suffix, scope, bond; the field
// it fills (get*); how a value is read into it (set*).
var settings = []setting{
	{
		suffix: sPrimary, scope: scopeMaster, bond: true,
		getMaster: func(m *Master) any { return m.Primary },
		setMaster: func(m *Master, v string, bad report) {
			if err := checkName(v); err != nil {
				bad("%v", err)
			} else {
				m.Primary = v
			}
		},
	},
	{
		suffix: sSlaves, scope: scopeMaster,
		getMaster: func(m *Master) any { return m.Slaves },
		setMaster: func(m *Master, v string, bad report) {
			m.Slaves = parseSlaves(v, bad)
		},
	},
	{
		suffix: sAddrs, scope: scopeStatic,
		getMaster: func(m *Master) any { return m.Addrs },
		setMaster: func(m *Master, v string, bad report) {
			addrs, problems := parseAddrs(v)
			for _, p := range problems {
				bad("%v", p)
			}
			m.Addrs = addrs
		},
	},
	{
		suffix: sRoutes, scope: scopeStatic,
		getMaster: func(m *Master) any { return m.Routes },
		setMaster: func(m *Master, v string, bad report) {
			m.Routes = parseRoutes(v, bad)
		},
	},
	{
		suffix: sMode, scope: scopeMaster, bond: true,
		getMaster: func(m *Master) any { return m.Bond.Mode },
		setMaster: func(m *Master, v string, bad report) {
			m.Bond.Mode = enumValue(v, bondModes, true, "bonding mode", m.Bond.Mode, bad)
		},
	},
	{
		suffix: sMiimon, scope: scopeMaster, bond: true,
		getMaster: func(m *Master) any { return m.Bond.Miimon },
		setMaster: func(m *Master, v string, bad report) {
			m.Bond.Miimon = millisValue(v, m.Bond.Miimon, bad)
		},
	},
	{
		suffix: sFailOverMAC, scope: scopeMaster, bond: true,
		getMaster: func(m *Master) any { return m.Bond.FailOverMAC },
		setMaster: func(m *Master, v string, bad report) {
			m.Bond.FailOverMAC = enumValue(v, failOverMACs, true, "fail_over_mac value", m.Bond.FailOverMAC, bad)
		},
	},
	{
		suffix: sPrimaryReselect, scope: scopeMaster, bond: true,
		getMaster: func(m *Master) any { return m.Bond.PrimaryReselect },
		setMaster: func(m *Master, v string, bad report) {
			m.Bond.PrimaryReselect = enumValue(v, primaryReselects, true, "primary_reselect value", m.Bond.PrimaryReselect, bad)
		},
	},
	{
		suffix: sUpdelay, scope: scopeMaster, bond: true,
		getMaster: func(m *Master) any { return m.Bond.Updelay },
		setMaster: func(m *Master, v string, bad report) {
			m.Bond.Updelay = millisValue(v, m.Bond.Updelay, bad)
		},
	},
	{
		suffix: sDowndelay, scope: scopeMaster, bond: true,
		getMaster: func(m *Master) any { return m.Bond.Downdelay },
		setMaster: func(m *Master, v string, bad report) {
			m.Bond.Downdelay = millisValue(v, m.Bond.Downdelay, bad)
		},
	},
	{
		suffix: sDHCP, scope: scopeMaster,
		getMaster: func(m *Master) any { return m.DHCP4.Enabled },
		setMaster: func(m *Master, v string, bad report) {
			m.DHCP4.Enabled = yesNoValue(v, m.DHCP4.Enabled, bad)
		},
	},
	{
		suffix: sDHCPClient, scope: scopeMaster,
		getMaster: func(m *Master) any { return m.DHCP4.Client },
		setMaster: func(m *Master, v string, bad report) {
			m.DHCP4.Client = enumValue(v, DHCP4Clients, false, "DHCP client", m.DHCP4.Client, bad)
		},
	},
	{
		suffix: sDHCP6, scope: scopeMaster,
		getMaster: func(m *Master) any { return m.DHCP6.Enabled },
		setMaster: func(m *Master, v string, bad report) {
			m.DHCP6.Enabled = yesNoValue(v, m.DHCP6.Enabled, bad)
		},
	},
	{
		suffix: sDHCP6Client, scope: scopeMaster,
		getMaster: func(m *Master) any { return m.DHCP6.Client },
		setMaster: func(m *Master, v string, bad report) {
			m.DHCP6.Client = enumValue(v, DHCP6Clients, false, "DHCPv6 client", m.DHCP6.Client, bad)
		},
	},
	{
		suffix: sSupplicant, scope: scopeIface,
		getIface: func(i *Iface) any { return string(i.Supplicant) },
		setIface: func(i *Iface, v string, bad report) {
			if s, ok := parseKernelEnum(v, supplicantModes, false); ok {
				i.Supplicant = Supplicant(s)
			} else {
				bad("unknown value %q (expected auto, yes or no)", v)
			}
		},
	},
	{
		suffix: sSupplicantConf, scope: scopeIface,
		getIface: func(i *Iface) any { return i.SupplicantConf },
		setIface: func(i *Iface, v string, bad report) {
			if err := checkConfPath(v); err != nil {
				bad("%v", err)
			} else {
				i.SupplicantConf = v
			}
		},
	},
}

// splitKey finds the longest known suffix of key: "bond0DHCP6_CLIENT" is bond0 +
// DHCP6_CLIENT, not "bond0DHCP6_" + nothing.
func splitKey(key string) (prefix string, s setting, ok bool) {
	best := -1
	for i, st := range settings {
		if strings.HasSuffix(key, st.suffix) && (best < 0 || len(st.suffix) > len(settings[best].suffix)) {
			best = i
		}
	}
	if best < 0 {
		return "", setting{}, false
	}
	s = settings[best]
	return key[:len(key)-len(s.suffix)], s, true
}

// unknownKey explains a key with no known suffix, suggesting the closest known key.
func unknownKey(key string) string {
	if guess := suggestKey(key); guess != "" {
		return fmt.Sprintf("unknown setting %s (did you mean %s?)", key, guess)
	}
	names := make([]string, len(settings))
	for i, s := range settings {
		names[i] = s.suffix
	}
	return fmt.Sprintf("unknown setting %s (keys are an interface name followed by one of %s)", key, strings.Join(names, " "))
}

// suggestKey tries every split of key into prefix + misspelt suffix and returns the
// prefix + known suffix with the smallest edit distance, if it is close enough.
func suggestKey(key string) string {
	upper := strings.ToUpper(key)
	best, bestDist := "", 1<<30
	for _, st := range settings {
		limit := len(st.suffix)/3 + 1
		// Only tails near the suffix's length can be close, which also keeps this cheap
		// on absurd keys.
		for tail := max(1, len(st.suffix)-limit); tail <= len(st.suffix)+limit && tail < len(key); tail++ {
			d := editDistance(upper[len(key)-tail:], st.suffix)
			if d <= limit && d < bestDist {
				best, bestDist = key[:len(key)-tail]+st.suffix, d
			}
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
