// SPDX-License-Identifier: Apache-2.0

package config

import (
	"fmt"
	"maps"
	"net/netip"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// Validate is the tests' check of a Config built or changed in code (no program builds
// one: they all Load a file) against the rules Parse applies; a Config returned by
// Parse or Load always validates. It holds no rule of its own
// about values: it writes each setting back as the file would hold it and reads it
// through the parser's own code (buildMaster, buildIface, check), so a rule lives in
// one place, keys.go or parse.go. What is left here is what only code can get wrong:
// a map key that disagrees with the name stored under it, a nil entry, a kind that
// contradicts the name. Problems are located through Master.Line and Iface.Line when
// those are filled in.
func (c *Config) Validate() error {
	e := &errs{path: c.Path}
	for _, name := range c.MasterNames() {
		m := c.Masters[name]
		if m == nil {
			e.add(0, "", "master %s is nil", name)
			continue
		}
		validateMaster(e, c, name, m)
	}
	for _, key := range slices.Sorted(maps.Keys(c.Ifaces)) {
		i := c.Ifaces[key]
		if i == nil {
			e.add(0, "", "interface %s is nil", key)
			continue
		}
		validateIface(e, c, key, i)
	}
	if e.err() == nil {
		// The cross-setting rules assume each value is well formed.
		c.check(e)
	}
	return e.err()
}

func validateMaster(e *errs, c *Config, name string, m *Master) {
	if m.Name != name {
		e.add(0, "", "master stored as %q is named %q", name, m.Name)
	}
	if err := checkName(name); err != nil {
		e.add(0, "", "master: %v", err)
		return
	}
	if m.Kind != kindOf(name) {
		e.add(0, "", "master %s has kind %q; its name makes it a %s", name, m.Kind, kindOf(name))
	}
	if _, dup := c.Ifaces[KeyPrefix(name)]; dup {
		e.add(0, "", "%s has both master and per-slave settings", name)
	}
	// A bridge's unset bonding options are zero, which the file writes as nothing;
	// anything else is a bonding setting on a bridge, which buildMaster reports.
	bridge := kindOf(name) == KindBridge
	keep := func(st setting, v any) bool { return !(st.bond && bridge && reflect.ValueOf(v).IsZero()) }
	roundTrip(e, name, m, m.Line, func(st setting) func(*Master) any { return st.getMaster }, keep,
		func(g []keyed) *Master { return buildMaster(e, &Config{}, name, g) })
}

func validateIface(e *errs, c *Config, key string, i *Iface) {
	if i.Key != key {
		e.add(0, "", "interface stored as %q has key %q", key, i.Key)
	}
	if err := checkName(key); err != nil {
		e.add(0, "", "interface: %v", err)
		return
	}
	if KeyPrefix(key) != key {
		e.add(0, "", "interface key %q must be written with '_' for '-' (see KeyPrefix)", key)
	}
	if _, dup := c.Masters[key]; dup {
		e.add(0, "", "%s has both master and per-slave settings", key)
	}
	// Empty per-slave values mean the default, as IfaceFor fills it in.
	keep := func(_ setting, v any) bool { return formatValue(v) != "" }
	roundTrip(e, key, i, i.Line, func(st setting) func(*Iface) any { return st.getIface }, keep,
		func(g []keyed) *Iface { return buildIface(e, key, g) })
}

// roundTrip holds Validate's one rule: every field (of those keep selects) is written
// back as the file would hold it, read through build (the parser's own code), and
// must read back as itself. Where build reports a problem, its message stands alone.
func roundTrip[T any](e *errs, prefix string, orig *T, line map[string]int, get func(setting) func(*T) any,
	keep func(setting, any) bool, build func([]keyed) *T) {
	var g []keyed
	for _, st := range settings {
		if f := get(st); f != nil && keep(st, f(orig)) {
			g = append(g, keyed{entry{key: prefix + st.suffix, value: formatValue(f(orig)), line: line[st.suffix]}, st})
		}
	}
	before := len(e.list)
	read := build(g)
	if len(e.list) > before {
		return
	}
	for _, st := range settings {
		if f := get(st); f != nil && keep(st, f(orig)) && !sameValue(f(orig), f(read)) {
			e.add(line[st.suffix], "", "%s%s: %s cannot be written in the file: %q reads back as %s",
				prefix, st.suffix, describe(f(orig)), formatValue(f(orig)), describe(f(read)))
		}
	}
}

// describe renders a field for a message: strings and lists quoted, so a pattern with
// a space in it is told from two patterns.
func describe(v any) string {
	switch v := v.(type) {
	case string, []string:
		return fmt.Sprintf("%q", v)
	case []Route:
		s := make([]string, len(v))
		for i := range v {
			s[i] = v[i].String()
		}
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprintf("%v", v)
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
