// SPDX-License-Identifier: Apache-2.0

package plan

import (
	"net/netip"

	"github.com/bond-hotplug/bond-hotplug/lib/config"
)

func mustPrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }
func mustAddr(s string) netip.Addr     { return netip.MustParseAddr(s) }

// stub is a master only a record names, as bond-down builds it.
func stub(name string) *config.Master { return &config.Master{Name: name, Kind: config.KindBond} }
