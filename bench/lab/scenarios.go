// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// parts are the bench's parts, each one boot per contender. plug is measure 2 of hot
// alone (and its breakdown): a short boot for comparing builds of the hot-plug path.
var parts = []string{"hot", "cold", "burst", "plug"}

// guestSide is what a contender's boot needs from its script: the configuration of
// the lab's early boot (lab/bench/scenarios/conf; "" for none: the seed's units and
// ifupdown bring their own), the guest side that plays it (lab/bench/guest.sh reads
// CONTENDER), and the name its notes give it when the guest side is another's
// (BENCH_AS: ours with other DHCP clients is ours' guest side).
type guestSide struct {
	config, guest, as string
}

var guests = map[string]guestSide{
	"ours":         {config: "bench.conf", guest: "ours"},
	"ours-dhcpcd":  {config: "bench-dhcpcd.conf", guest: "ours", as: "ours-dhcpcd"},
	"ours-dhcpcd4": {config: "bench-dhcpcd4.conf", guest: "ours", as: "ours-dhcpcd4"},
	"ours-nov6":    {config: "bench-nov6.conf", guest: "ours", as: "ours-nov6"},
	"seed":         {guest: "seed"},
	"ifupdown":     {guest: "ifupdown"},
}

// scenarioScript is the guest script of one contender's part. The lab reads its
// headers in the guest (the devices at boot, the configuration, the guest's bound)
// and lab/bench/guest.sh does the rest: one template, written into each run's share,
// where 15 near-identical files used to be kept (issue 16, item 8).
func scenarioScript(contender, part string) (string, error) {
	g, ok := guests[contender]
	if !ok {
		return "", fmt.Errorf("no guest side for contender %q", contender)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "#!/bin/bash\n# SPDX-License-Identifier: Apache-2.0\n")
	fmt.Fprintf(&b, "# Benchmarks (docs/BENCHMARKS.md), contender %s, part %s. Written by bench/lab\n", contender, part)
	fmt.Fprintf(&b, "# for its run (bench/run.sh --lab); not a test scenario.\n")
	fmt.Fprintf(&b, "# lab-devices: eth0\n")
	fmt.Fprintf(&b, "# (a NIC at boot, the same for every contender; the bench starts by removing it)\n")
	fmt.Fprintf(&b, "# lab-timeout: 900\n")
	if g.config != "" {
		fmt.Fprintf(&b, "# lab-config: %s\n", g.config)
	}
	env := "CONTENDER=" + g.guest
	if g.as != "" {
		env += " BENCH_AS=" + g.as
	}
	fmt.Fprintf(&b, "export %s\n. /lab/bench/guest.sh\nbench_main %s\n", env, part)
	return b.String(), nil
}

// writeScenarios writes every contender's and part's script into dir, with the
// configurations they name (lab/bench/scenarios/conf).
func writeScenarios(root, dir string) error {
	if err := copyDir(filepath.Join(root, "lab", "bench", "scenarios", "conf"), filepath.Join(dir, "conf")); err != nil {
		return err
	}
	for _, c := range contenders {
		for _, p := range parts {
			s, err := scenarioScript(c, p)
			if err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(dir, "bench-"+c+"-"+p+".sh"), []byte(s), 0o755); err != nil {
				return fmt.Errorf("write the bench scenario: %w", err)
			}
		}
	}
	return nil
}
