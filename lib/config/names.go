// SPDX-License-Identifier: Apache-2.0

package config

import (
	"fmt"
	"path"
	"strings"
)

// maxName is IFNAMSIZ-1: the kernel refuses longer interface names.
const maxName = 15

// maxPattern bounds a SLAVES glob; patterns may be longer than a name
// ("enp[0-9]s[0-9]*") but nothing sensible needs more.
const maxPattern = 64

// KeyPrefix is how an interface name is written in keys: environment variable names
// cannot hold '-', so the seed writes it as '_'.
func KeyPrefix(ifname string) string { return strings.ReplaceAll(ifname, "-", "_") }

// checkName applies the kernel's rules (dev_valid_name) and, on top, allows only
// [A-Za-z0-9_.-]: names end up in unit names and command lines, so no shell
// metacharacters and nothing that looks different from what it is.
func checkName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("empty interface name")
	case len(name) > maxName:
		return fmt.Errorf("interface name %q is %d bytes, longer than %d", name, len(name), maxName)
	case name == "." || name == "..":
		return fmt.Errorf("%q is not a valid interface name", name)
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !isNameByte(c) {
			return fmt.Errorf("interface name %q contains %s; names may only use A-Z a-z 0-9 _ . -", name, describeByte(name, i))
		}
	}
	return nil
}

func isNameByte(c byte) bool { return isKeyByte(c) || c == '-' }

func describeByte(s string, i int) string {
	switch c := s[i]; {
	case c == '/':
		return "'/'"
	case c == ' ' || c == '\t':
		return "a space"
	case c >= 0x80:
		return "a non-ASCII character"
	case c < 0x20 || c == 0x7f:
		return fmt.Sprintf("control character %q", c)
	default:
		return fmt.Sprintf("%q", c)
	}
}

func hasMeta(p string) bool { return strings.ContainsAny(p, "*?[") }

// normalizePattern checks a SLAVES entry (a name or a glob) and returns it in
// path.Match syntax: the shell's "[!...]" negation becomes "[^...]", since path.Match
// would otherwise read '!' as a literal that no valid name contains.
func normalizePattern(p string) (string, error) {
	if !hasMeta(p) {
		if strings.ContainsAny(p, "]!^") {
			return "", fmt.Errorf("%q: ']', '!' and '^' are only allowed inside a [...] class", p)
		}
		return p, checkName(p)
	}
	if len(p) > maxPattern {
		return "", fmt.Errorf("pattern %q is %d bytes, longer than %d", p, len(p), maxPattern)
	}
	var b strings.Builder
	inClass := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '[' && !inClass:
			inClass = true
			b.WriteByte(c)
			if i+1 < len(p) && (p[i+1] == '!' || p[i+1] == '^') {
				b.WriteByte('^')
				i++
			}
			continue
		case c == ']' && inClass:
			inClass = false
		case c == '*' || c == '?':
		case inClass && c == '-':
		case !isNameByte(c):
			return "", fmt.Errorf("pattern %q contains %s; patterns may only use A-Z a-z 0-9 _ . - * ? [ ]", p, describeByte(p, i))
		}
		b.WriteByte(c)
	}
	q := b.String()
	if _, err := path.Match(q, ""); err != nil {
		return "", fmt.Errorf("pattern %q is not a valid glob: %w", p, err)
	}
	return q, nil
}

// CheckName validates an interface name given outside the file (arguments, udev's
// environment) by the same rules as names inside it.
func CheckName(name string) error { return checkName(name) }
