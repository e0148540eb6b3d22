// SPDX-License-Identifier: Apache-2.0

//go:build !bondhotplug_testhooks

package app

import (
	"context"
	"flag"

	"github.com/bond-hotplug/bond-hotplug/lib/units"
)

// The installed binaries: no test hooks (see hooks_on.go). A root binary run by udev
// must not write a file at a path from its environment instead of talking to systemd,
// nor accept a configuration file anyone could have written.

func testUnits(context.Context) (units.Manager, bool) { return nil, false }

func testLockDir(def string) string { return def }

func registerTestFlags(*flag.FlagSet, *bool) {}

func testLinkRcvBuf(def int) int { return def }

func testStateDir(def string) string { return def }

func testStep(context.Context) {}

func testUdevRule(def string) (string, bool) { return def, true }
