// SPDX-License-Identifier: Apache-2.0

package units

import (
	"strconv"
	"strings"
)

// Card is the interface a supplicant serves, as one piece of hardware: its name, and,
// when known, its index and sysfs device path.
//
// A unit is named by the interface name, and a card swapped for another (or a driver
// reloaded across a suspend) comes back under the same name while systemd may still
// list the old card's unit as active: systemd applies the old card's remove only after
// udev has run every rule of it, and the run for the new card can come first. Bound
// to the name's device unit, the old unit was then stopped after that run, and no run
// followed: no supplicant (soak 20261207-143709). So the unit binds to the card's own
// device unit (its sysfs path), and its description carries the index, which tells a
// run that the supplicant it finds serves a card that is gone (CardIndex).
type Card struct {
	Name  string
	Index int    // 0: unknown
	Path  string // /sys/devices/...; "": bind to the name's device unit
}

// indexTag precedes the index in a unit's description.
const indexTag = ", ifindex "

// describe ends an open "(..." description with the card's index, if known.
func (c Card) describe(open string) string {
	if c.Index > 0 {
		return open + indexTag + strconv.Itoa(c.Index) + ")"
	}
	return open + ")"
}

// CardIndex is the interface index a unit's description names (see Card); ok is
// false for a unit started without one (by an older version): nothing is known.
func CardIndex(description string) (int, bool) {
	_, rest, found := strings.Cut(description, indexTag)
	if !found {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimSuffix(rest, ")"))
	if err != nil || n <= 0 {
		return 0, false
	}
	return n, true
}
