// SPDX-License-Identifier: Apache-2.0

// Command bond-hotplug: see `bond-hotplug --help`. All behaviour lives in lib/app.
package main

import (
	"os"

	"github.com/bond-hotplug/bond-hotplug/lib/app"
)

func main() { os.Exit(app.MainHotplug(os.Args[1:], os.Stderr)) }
