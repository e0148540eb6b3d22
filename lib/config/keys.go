// SPDX-License-Identifier: Apache-2.0

package config

import (
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"strconv"
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

// setting is everything about one key: its suffix, its scope, how its value is read
// and where it is stored. A new key is one entry here plus its field in types.go:
// Parse reads files through set*, and Validate checks Configs built in code by writing
// each field back as text (get* and formatValue) and reading it through the same set*,
// so no rule is written twice.
type setting struct {
	suffix string
	scope  scope
	bond   bool // meaningless on a bridge
	// setMaster (scopeMaster, scopeStatic) or setIface (scopeIface) stores a non-empty
	// value, reporting problems through bad and leaving the default in place.
	setMaster func(m *Master, v string, bad func(string, ...any))
	setIface  func(i *Iface, v string, bad func(string, ...any))
	// getMaster or getIface returns the field that set* fills, as a string, int, bool,
	// []string, []netip.Prefix or []Route (the types formatValue writes).
	getMaster func(m *Master) any
	getIface  func(i *Iface) any
}

var settings = []setting{
	{suffix: sPrimary, getMaster: func(m *Master) any { return m.Primary }, scope: scopeMaster, bond: true, setMaster: func(m *Master, v string, bad func(string, ...any)) {
		if err := checkName(v); err != nil {
			bad("%v", err)
		} else {
			m.Primary = v
		}
	}},
	{suffix: sSlaves, getMaster: func(m *Master) any { return m.Slaves }, scope: scopeMaster, setMaster: func(m *Master, v string, bad func(string, ...any)) {
		m.Slaves = parseSlaves(v, bad)
	}},
	{suffix: sAddrs, getMaster: func(m *Master) any { return m.Addrs }, scope: scopeStatic, setMaster: func(m *Master, v string, bad func(string, ...any)) {
		addrs, problems := parseAddrs(v)
		for _, p := range problems {
			bad("%v", p)
		}
		m.Addrs = addrs
	}},
	{suffix: sRoutes, getMaster: func(m *Master) any { return m.Routes }, scope: scopeStatic, setMaster: func(m *Master, v string, bad func(string, ...any)) {
		m.Routes = parseRoutes(v, bad)
	}},
	{suffix: sMode, getMaster: func(m *Master) any { return m.Bond.Mode }, scope: scopeMaster, bond: true, setMaster: func(m *Master, v string, bad func(string, ...any)) {
		m.Bond.Mode = enumValue(v, bondModes, true, "bonding mode", m.Bond.Mode, bad)
	}},
	{suffix: sMiimon, getMaster: func(m *Master) any { return m.Bond.Miimon }, scope: scopeMaster, bond: true, setMaster: func(m *Master, v string, bad func(string, ...any)) {
		m.Bond.Miimon = millisValue(v, m.Bond.Miimon, bad)
	}},
	{suffix: sFailOverMAC, getMaster: func(m *Master) any { return m.Bond.FailOverMAC }, scope: scopeMaster, bond: true, setMaster: func(m *Master, v string, bad func(string, ...any)) {
		m.Bond.FailOverMAC = enumValue(v, failOverMACs, true, "fail_over_mac value", m.Bond.FailOverMAC, bad)
	}},
	{suffix: sPrimaryReselect, getMaster: func(m *Master) any { return m.Bond.PrimaryReselect }, scope: scopeMaster, bond: true, setMaster: func(m *Master, v string, bad func(string, ...any)) {
		m.Bond.PrimaryReselect = enumValue(v, primaryReselects, true, "primary_reselect value", m.Bond.PrimaryReselect, bad)
	}},
	{suffix: sUpdelay, getMaster: func(m *Master) any { return m.Bond.Updelay }, scope: scopeMaster, bond: true, setMaster: func(m *Master, v string, bad func(string, ...any)) {
		m.Bond.Updelay = millisValue(v, m.Bond.Updelay, bad)
	}},
	{suffix: sDowndelay, getMaster: func(m *Master) any { return m.Bond.Downdelay }, scope: scopeMaster, bond: true, setMaster: func(m *Master, v string, bad func(string, ...any)) {
		m.Bond.Downdelay = millisValue(v, m.Bond.Downdelay, bad)
	}},
	{suffix: sDHCP, getMaster: func(m *Master) any { return m.DHCP4.Enabled }, scope: scopeMaster, setMaster: func(m *Master, v string, bad func(string, ...any)) {
		m.DHCP4.Enabled = yesNoValue(v, m.DHCP4.Enabled, bad)
	}},
	{suffix: sDHCPClient, getMaster: func(m *Master) any { return m.DHCP4.Client }, scope: scopeMaster, setMaster: func(m *Master, v string, bad func(string, ...any)) {
		m.DHCP4.Client = enumValue(v, dhcp4Clients, false, "DHCP client", m.DHCP4.Client, bad)
	}},
	{suffix: sDHCP6, getMaster: func(m *Master) any { return m.DHCP6.Enabled }, scope: scopeMaster, setMaster: func(m *Master, v string, bad func(string, ...any)) {
		m.DHCP6.Enabled = yesNoValue(v, m.DHCP6.Enabled, bad)
	}},
	{suffix: sDHCP6Client, getMaster: func(m *Master) any { return m.DHCP6.Client }, scope: scopeMaster, setMaster: func(m *Master, v string, bad func(string, ...any)) {
		m.DHCP6.Client = enumValue(v, dhcp6Clients, false, "DHCPv6 client", m.DHCP6.Client, bad)
	}},
	{suffix: sSupplicant, getIface: func(i *Iface) any { return string(i.Supplicant) }, scope: scopeIface, setIface: func(i *Iface, v string, bad func(string, ...any)) {
		if s, ok := parseKernelEnum(v, supplicantModes, false); ok {
			i.Supplicant = Supplicant(s)
		} else {
			bad("unknown value %q (expected auto, yes or no)", v)
		}
	}},
	{suffix: sSupplicantConf, getIface: func(i *Iface) any { return i.SupplicantConf }, scope: scopeIface, setIface: func(i *Iface, v string, bad func(string, ...any)) {
		if err := checkConfPath(v); err != nil {
			bad("%v", err)
		} else {
			i.SupplicantConf = v
		}
	}},
}

// formatValue writes a field as a file would hold it: the inverse of set* for
// every value set* accepts.
func formatValue(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case int:
		return strconv.Itoa(v)
	case bool:
		if v {
			return "yes"
		}
		return "no"
	case []string:
		return strings.Join(v, " ")
	case []netip.Prefix:
		words := make([]string, len(v))
		for i, p := range v {
			words[i] = p.String()
			if !p.IsValid() {
				words[i] = "(invalid)" // one word, as the zero Prefix is one value
			}
		}
		return strings.Join(words, " ")
	case []Route:
		words := make([]string, len(v))
		for i, r := range v {
			words[i] = `"` + r.String() + `"`
		}
		return strings.Join(words, " ")
	}
	panic(fmt.Sprintf("config: formatValue of %T: add the type", v))
}

// sameValue compares two fields as the file would tell them apart: empty lists are
// equal whether nil or not, and a route's Text (how it was written) does not count.
func sameValue(a, b any) bool {
	ra, aRoutes := a.([]Route)
	rb, bRoutes := b.([]Route)
	if aRoutes && bRoutes {
		return slices.EqualFunc(ra, rb, Route.Same)
	}
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	if va.Kind() == reflect.Slice && vb.Kind() == reflect.Slice && va.Len() == 0 && vb.Len() == 0 {
		return true
	}
	return reflect.DeepEqual(a, b)
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
