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

type setting struct {
	suffix string
	scope  scope
	bond   bool // meaningless on a bridge
}

var settings = []setting{
	{sPrimary, scopeMaster, true},
	{sSlaves, scopeMaster, false},
	{sAddrs, scopeStatic, false},
	{sRoutes, scopeStatic, false},
	{sMode, scopeMaster, true},
	{sMiimon, scopeMaster, true},
	{sFailOverMAC, scopeMaster, true},
	{sPrimaryReselect, scopeMaster, true},
	{sUpdelay, scopeMaster, true},
	{sDowndelay, scopeMaster, true},
	{sDHCP, scopeMaster, false},
	{sDHCPClient, scopeMaster, false},
	{sDHCP6, scopeMaster, false},
	{sDHCP6Client, scopeMaster, false},
	{sSupplicant, scopeIface, false},
	{sSupplicantConf, scopeIface, false},
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
