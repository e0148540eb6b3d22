// SPDX-License-Identifier: Apache-2.0

package config

import (
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
)

// Routing tables with names: main is what "no table" means, local is the kernel's own
// (addresses of this host) and no business of a configuration file.
const (
	TableMain  = 254
	tableLocal = 255
)

// MetricDefault6 is the metric the kernel gives an IPv6 route added without one (an
// IPv4 route gets 0).
const MetricDefault6 = 1024

// Normal is the route as the kernel stores it: the destination masked, table main
// and the family's default metric where none was written, and no Text. Compare a
// kernel route with a configured one in this form (plan.RouteMatches).
func (r Route) Normal() Route {
	r.Text = ""
	r.Dst = r.Dst.Masked()
	if r.Table == 0 {
		r.Table = TableMain
	}
	if r.Metric == 0 && r.Dst.Addr().Is6() {
		r.Metric = MetricDefault6
	}
	return r
}

// Same reports whether two configured routes are the same, however they were written
// ("to 10.0.0.0/8" and "10.0.0.0/8"): the one equality of configured routes (the
// record, the settings' write-back check, the teardown's duplicates).
func (r Route) Same(o Route) bool {
	r.Text, o.Text = "", ""
	return r == o
}

// splitRoutes reads a ROUTES value: each double-quoted string is one route (the
// seed's syntax). A value without any double quote is a single route.
func splitRoutes(v string) ([]string, []error) {
	if !strings.Contains(v, `"`) {
		if t := strings.TrimSpace(v); t != "" {
			return []string{t}, nil
		}
		return nil, nil
	}
	var routes []string
	var problems []error
	isSpace := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' }
	for i := 0; i < len(v); {
		switch {
		case isSpace(v[i]):
			i++
		case v[i] == '"':
			end := strings.IndexByte(v[i+1:], '"')
			if end < 0 {
				return routes, append(problems, fmt.Errorf("unterminated double quote in routes: %s", v[i:]))
			}
			r := v[i+1 : i+1+end]
			i += end + 2
			if strings.TrimSpace(r) == "" {
				problems = append(problems, fmt.Errorf(`empty route ""`))
			} else {
				routes = append(routes, strings.TrimSpace(r))
			}
			if i < len(v) && !isSpace(v[i]) {
				j := i
				for j < len(v) && !isSpace(v[j]) {
					j++
				}
				problems = append(problems, fmt.Errorf("text %q right after the quoted route %q; separate routes with spaces", v[i:j], r))
				i = j
			}
		default:
			j := i
			for j < len(v) && !isSpace(v[j]) && v[j] != '"' {
				j++
			}
			problems = append(problems, fmt.Errorf(`word %q is outside double quotes; write each route in double quotes, e.g. '"default via 192.168.0.1" "10.0.0.0/8 via 192.168.0.254"'`, v[i:j]))
			i = j
		}
	}
	return routes, problems
}

// parseRoute reads one route in ip-route words:
// [to] PREFIX|ADDRESS|default [via GW] [metric N] [src ADDR] [table N|main] [onlink].
func parseRoute(text string) (Route, error) {
	r := Route{Text: text}
	words := strings.Fields(text)
	if len(words) > 0 && words[0] == "to" {
		words = words[1:]
	}
	if len(words) == 0 {
		return r, fmt.Errorf("route %q has no destination", text)
	}
	isDefault := words[0] == "default"
	if !isDefault {
		dst, err := parseDst(words[0])
		if err != nil {
			return r, fmt.Errorf("route %q: %w", text, err)
		}
		r.Dst = dst
	}
	seen := map[string]bool{}
	for i := 1; i < len(words); i++ {
		w := words[i]
		switch w {
		case "via", "src", "metric", "table", "onlink":
		default:
			return r, fmt.Errorf("route %q: unknown word %q (expected via, src, metric, table or onlink)", text, w)
		}
		if seen[w] {
			return r, fmt.Errorf("route %q: %s given twice", text, w)
		}
		seen[w] = true
		if w == "onlink" {
			r.OnLink = true
			continue
		}
		if i+1 == len(words) {
			return r, fmt.Errorf("route %q: %s needs a value", text, w)
		}
		i++
		arg := words[i]
		var err error
		switch w {
		case "via":
			r.Via, err = parseHost(arg, "gateway")
		case "src":
			r.Src, err = parseHost(arg, "source address")
		case "metric":
			r.Metric, err = parseUint32(arg, "metric")
		case "table":
			r.Table, err = parseTable(arg)
		}
		if err != nil {
			return r, fmt.Errorf("route %q: %w", text, err)
		}
	}
	if isDefault {
		// ip takes the family of "default" from the rest of the command; IPv4 otherwise.
		switch {
		case r.Via.IsValid():
			r.Dst = netip.PrefixFrom(zeroOf(r.Via), 0)
		case r.Src.IsValid():
			r.Dst = netip.PrefixFrom(zeroOf(r.Src), 0)
		default:
			r.Dst = netip.PrefixFrom(netip.IPv4Unspecified(), 0)
		}
	}
	if err := checkRoute(r); err != nil {
		return r, fmt.Errorf("route %q: %w", text, err)
	}
	return r, nil
}

func zeroOf(a netip.Addr) netip.Addr {
	if a.Is4() {
		return netip.IPv4Unspecified()
	}
	return netip.IPv6Unspecified()
}

func parseDst(w string) (netip.Prefix, error) {
	if !strings.Contains(w, "/") {
		// Like ip, a bare address is a host route.
		a, err := netip.ParseAddr(w)
		if err != nil || a.Zone() != "" {
			return netip.Prefix{}, fmt.Errorf("destination %q is not PREFIX/LENGTH, an address or default", w)
		}
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(w)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("destination %q is not PREFIX/LENGTH (IPv4 lengths 0-32, IPv6 0-128)", w)
	}
	return p, nil
}

func parseHost(w, what string) (netip.Addr, error) {
	a, err := netip.ParseAddr(w)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("%s %q is not an IPv4 or IPv6 address", what, w)
	}
	return a, nil
}

func parseUint32(w, what string) (int, error) {
	for i := 0; i < len(w); i++ {
		if w[i] < '0' || w[i] > '9' {
			return 0, fmt.Errorf("%s %q is not a decimal number", what, w)
		}
	}
	n, err := strconv.ParseUint(w, 10, 32)
	if err != nil || n > math.MaxInt {
		return 0, fmt.Errorf("%s %q is out of range (0-%d)", what, w, uint32(math.MaxUint32))
	}
	return int(n), nil
}

func parseTable(w string) (int, error) {
	switch w {
	case "main":
		return 0, nil
	case "local":
		return 0, fmt.Errorf("table local holds the kernel's own routes; use main or a number from 1 to %d", uint32(math.MaxUint32))
	}
	if w == "" || w[0] < '0' || w[0] > '9' {
		return 0, fmt.Errorf("table %q: the only table name allowed is main; use a number from 1 to %d", w, uint32(math.MaxUint32))
	}
	n, err := parseUint32(w, "table")
	if err != nil {
		return 0, err
	}
	switch n {
	case 0:
		return 0, fmt.Errorf("table 0 is not a table (ip reads it as unspec); use main or a number from 1 to %d", uint32(math.MaxUint32))
	case TableMain:
		return 0, nil // Route.Table 0 means main
	}
	return n, nil
}

// checkRoute holds the rules that do not depend on how a route was written (the
// word syntax is parseRoute's).
func checkRoute(r Route) error {
	d := r.Dst
	switch {
	case !d.IsValid():
		return fmt.Errorf("no destination")
	case d.Addr().Zone() != "":
		return fmt.Errorf("destination %s has a zone", d)
	case d != d.Masked():
		return fmt.Errorf("destination %s has host bits set (did you mean %s?)", d, d.Masked())
	case d.Addr().Is4In6():
		return fmt.Errorf("destination %s is an IPv4-mapped IPv6 prefix, which the kernel cannot route; write it in IPv4", d)
	}
	for _, h := range []struct {
		a    netip.Addr
		what string
	}{{r.Via, "gateway"}, {r.Src, "source address"}} {
		if !h.a.IsValid() {
			continue
		}
		switch {
		case h.a.Is4() != d.Addr().Is4():
			return fmt.Errorf("%s %s is %s but the destination %s is %s", h.what, h.a, family(h.a), d, family(d.Addr()))
		case h.a.Zone() != "":
			return fmt.Errorf("%s %s has a zone", h.what, h.a)
		case h.a.IsUnspecified() || h.a.IsMulticast():
			return fmt.Errorf("%s %s is not a unicast address", h.what, h.a)
		case h.a.Is4In6():
			return fmt.Errorf("%s %s is an IPv4-mapped IPv6 address; write it in IPv4 (%s)", h.what, h.a, h.a.Unmap())
		}
	}
	switch {
	case r.Metric < 0 || uint64(r.Metric) > math.MaxUint32:
		return fmt.Errorf("metric %d is out of range (0-%d)", r.Metric, uint32(math.MaxUint32))
	case r.Table < 0 || uint64(r.Table) > math.MaxUint32:
		return fmt.Errorf("table %d is out of range (1-%d)", r.Table, uint32(math.MaxUint32))
	case r.Table == tableLocal:
		return fmt.Errorf("table %d is the local table, which holds the kernel's own routes", r.Table)
	case r.OnLink && !r.Via.IsValid():
		return fmt.Errorf("onlink needs a gateway (via)")
	}
	return nil
}

func family(a netip.Addr) string {
	if a.Is4() {
		return "IPv4"
	}
	return "IPv6"
}

// String is the route in canonical ip-route words; parsing it gives the same Route
// (apart from Text).
func (r Route) String() string {
	var b strings.Builder
	b.WriteString(r.Dst.String())
	if r.Via.IsValid() {
		b.WriteString(" via " + r.Via.String())
	}
	if r.Metric != 0 {
		b.WriteString(" metric " + strconv.Itoa(r.Metric))
	}
	if r.Src.IsValid() {
		b.WriteString(" src " + r.Src.String())
	}
	if r.Table != 0 {
		b.WriteString(" table " + strconv.Itoa(r.Table))
	}
	if r.OnLink {
		b.WriteString(" onlink")
	}
	return b.String()
}

// routeKey is what the kernel uses to tell routes apart in one table (ignoring TOS):
// two ROUTES entries with the same key would replace each other.
type routeKey struct {
	dst    netip.Prefix
	table  int
	metric int
}
