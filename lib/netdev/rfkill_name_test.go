// SPDX-License-Identifier: Apache-2.0

package netdev

import "testing"

// The names the kernel gives rfkill devices pass; anything else (udev's $kernel could
// be any string when run by hand) is refused before it names a sysfs path.
func TestCheckRFKillName(t *testing.T) {
	for _, ok := range []string{"rfkill0", "rfkill12", "rfkill007"} {
		if err := CheckRFKillName(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "rfkill", "rfkill-1", "rfkill1x", "xrfkill1", "rfkill1/../phy0", "RFKILL1", "rfkill 1", "rfkill١"} {
		if err := CheckRFKillName(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
