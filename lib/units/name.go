// SPDX-License-Identifier: Apache-2.0

// Package units owns the long-running helpers bond-hotplug starts: wpa_supplicant and
// the DHCP clients. They run as systemd transient units with stable names, bound to the
// device they serve, and are described here as plain data (Spec) so that a plan can be
// printed, compared in tests and applied through any Manager.
package units

import (
	"fmt"
	"strings"
)

// Role is what a transient unit does; it is the unit name's prefix.
type Role string

const (
	RoleWPA   Role = "bond-wpa"   // wpa_supplicant on a slave
	RoleDHCP4 Role = "bond-dhcp4" // DHCPv4 client on a master
	RoleDHCP6 Role = "bond-dhcp6" // DHCPv6 client on a master
)

// Roles lists every role, in teardown order (DHCP before supplicants).
var Roles = []Role{RoleDHCP4, RoleDHCP6, RoleWPA}

// Name is the unit name for role on interface ifname, for example
// bond-wpa@wlp2s0.service or bond-dhcp4@my\x2dbond.service.
func Name(role Role, ifname string) string {
	return string(role) + "@" + Escape(ifname) + ".service"
}

// DeviceUnit is systemd's device unit for a network interface. Binding to it makes
// systemd stop our unit when the card is pulled.
func DeviceUnit(ifname string) string {
	return "sys-subsystem-net-devices-" + Escape(ifname) + ".device"
}

// PathDeviceUnit is systemd's device unit for a sysfs device path
// (/sys/devices/...), named as systemd-escape --path names it. Unlike the name's unit,
// it belongs to one card: a new card that takes the name gets another one.
func PathDeviceUnit(path string) string {
	return Escape(strings.Trim(path, "/")) + ".device"
}

// Escape escapes s the way systemd-escape does for a unit name's instance part:
// '/' becomes '-', and every byte outside [A-Za-z0-9:_.] (a leading '.' too) becomes
// \xNN. Interface names never contain '/', but we escape it like systemd anyway.
func Escape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '/':
			b.WriteByte('-')
		case c == '.' && i == 0:
			fmt.Fprintf(&b, `\x%02x`, c)
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9',
			c == ':', c == '_', c == '.':
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, `\x%02x`, c)
		}
	}
	return b.String()
}

// Parse splits a unit name made by Name back into its role and interface. ok is false
// for any other unit.
func Parse(unit string) (role Role, ifname string, ok bool) {
	base, found := strings.CutSuffix(unit, ".service")
	if !found {
		return "", "", false
	}
	prefix, inst, found := strings.Cut(base, "@")
	if !found {
		return "", "", false
	}
	for _, r := range Roles {
		if string(r) == prefix {
			name, err := unescape(inst)
			if err != nil {
				return "", "", false
			}
			return r, name, true
		}
	}
	return "", "", false
}

func unescape(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '-':
			b.WriteByte('/')
		case s[i] == '\\' && i+3 < len(s) && s[i+1] == 'x':
			var c byte
			if _, err := fmt.Sscanf(s[i+2:i+4], "%02x", &c); err != nil {
				return "", fmt.Errorf("bad escape in %q: %w", s, err)
			}
			b.WriteByte(c)
			i += 3
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String(), nil
}
