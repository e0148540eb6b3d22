// SPDX-License-Identifier: Apache-2.0

// Command bond-up: see `bond-up --help`. All behaviour lives in lib/app.
package main

import (
	"os"

	"github.com/bond-hotplug/bond-hotplug/lib/app"
)

func main() { os.Exit(app.MainUp(os.Args[1:], os.Stderr)) }
