// SPDX-License-Identifier: Apache-2.0

package netdev

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ErrBlocked marks an operation the kernel refused because the device's radio is
// blocked by rfkill (ERFKILL): cfg80211 refuses to open a blocked wireless interface,
// so it can be neither set up nor enslaved (the bonding driver opens its slaves). A
// run skips the step; the radio's unblock event runs us again.
var ErrBlocked = errors.New("radio blocked by rfkill")

// RFKill is the state of a wireless device's kill switches. cfg80211 sets the
// interface down when either blocks, and nobody sets it up again when both clear.
type RFKill struct {
	Soft bool // software switch (rfkill block, airplane mode, a saved state at boot)
	Hard bool // hardware switch (a slider, a BIOS setting): only the user can clear it
}

// Blocked reports whether the radio cannot be used.
func (r RFKill) Blocked() bool { return r.Soft || r.Hard }

// String names the switches that block, "" for none.
func (r RFKill) String() string {
	switch {
	case r.Soft && r.Hard:
		return "soft and hard"
	case r.Soft:
		return "soft"
	case r.Hard:
		return "hard"
	}
	return ""
}

// ReadRFKill reads the switches of the radio that carries interface name, from
// sysfs root sys: /sys/class/net/NAME/phy80211/rfkillN/{soft,hard}. An interface with
// no radio, or a radio with no rfkill switch, is not blocked.
func ReadRFKill(sys, name string) RFKill {
	var r RFKill
	dirs, _ := filepath.Glob(filepath.Join(sys, "class/net", name, "phy80211", "rfkill*"))
	for _, d := range dirs {
		r.Soft = r.Soft || readFlag(filepath.Join(d, "soft"))
		r.Hard = r.Hard || readFlag(filepath.Join(d, "hard"))
	}
	return r
}

func readFlag(p string) bool {
	b, err := os.ReadFile(p)
	return err == nil && strings.TrimSpace(string(b)) == "1"
}

// CheckRFKillName refuses what is not the name the kernel gives an rfkill device
// (rfkill and digits). Written out, not a regexp: every process of ours links this
// package, and a package-level regexp is compiled at every start (issue 20).
func CheckRFKillName(sysname string) error {
	n, ok := strings.CutPrefix(sysname, "rfkill")
	if !ok || n == "" || strings.Trim(n, "0123456789") != "" {
		return fmt.Errorf("%q is not an rfkill device name (rfkillN)", sysname)
	}
	return nil
}

// RFKillInterfaces returns the network interfaces of the radio whose rfkill device is
// sysname (rfkill0, as udev names it in $kernel). The rfkill device of a wireless
// card is a child of its wiphy (.../ieee80211/phy0/rfkill0), and each interface of
// that wiphy links to it as phy80211. An rfkill device of another kind (Bluetooth, a
// platform switch with no wiphy) has no interface: nil.
func RFKillInterfaces(sys, sysname string) ([]string, error) {
	if err := CheckRFKillName(sysname); err != nil {
		return nil, err
	}
	phy, err := filepath.EvalSymlinks(filepath.Join(sys, "class/rfkill", sysname, "device"))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil // gone already, or no parent device
		}
		return nil, fmt.Errorf("rfkill device %s: %w", sysname, err)
	}
	links, _ := filepath.Glob(filepath.Join(sys, "class/net/*/phy80211"))
	var out []string
	for _, l := range links {
		if p, err := filepath.EvalSymlinks(l); err == nil && p == phy {
			out = append(out, filepath.Base(filepath.Dir(l)))
		}
	}
	return out, nil
}
