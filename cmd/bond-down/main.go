// SPDX-License-Identifier: Apache-2.0

// Command bond-down: see `bond-down --help`. All behaviour lives in lib/app.
package main

import (
	"os"

	"github.com/bond-hotplug/bond-hotplug/lib/app"
)

func main() { os.Exit(app.MainDown(os.Args[1:], os.Stderr)) }
