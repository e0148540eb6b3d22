// SPDX-License-Identifier: Apache-2.0

package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// header reads a "# lab-NAME: value" header as lab/guest/early.sh and run.sh do.
func header(script, name string) string {
	m := regexp.MustCompile(`(?m)^# lab-` + name + `: *(.*)$`).FindStringSubmatch(script)
	if m == nil {
		return ""
	}
	return strings.TrimSpace(m[1])
}

// TestEveryContenderAndPartHasItsScript: the scripts bench/lab writes carry what the
// 15 files they replace carried: the same boot (eth0), bound and configuration, and
// the guest side with the contender's name.
func TestEveryContenderAndPartHasItsScript(t *testing.T) {
	dir := t.TempDir()
	if err := writeScenarios(filepath.Join("..", ".."), dir); err != nil {
		t.Fatal(err)
	}
	want := map[string]struct{ config, export string }{
		"ours":         {"bench.conf", "export CONTENDER=ours\n"},
		"ours-dhcpcd":  {"bench-dhcpcd.conf", "export CONTENDER=ours BENCH_AS=ours-dhcpcd\n"},
		"ours-dhcpcd4": {"bench-dhcpcd4.conf", "export CONTENDER=ours BENCH_AS=ours-dhcpcd4\n"},
		"ours-nov6":    {"bench-nov6.conf", "export CONTENDER=ours BENCH_AS=ours-nov6\n"},
		"seed":         {"", "export CONTENDER=seed\n"},
		"ifupdown":     {"", "export CONTENDER=ifupdown\n"},
	}
	if len(want) != len(contenders) {
		t.Fatalf("contenders %v: the test knows %d", contenders, len(want))
	}
	for _, c := range contenders {
		for _, p := range parts {
			b, err := os.ReadFile(filepath.Join(dir, "bench-"+c+"-"+p+".sh"))
			if err != nil {
				t.Fatal(err)
			}
			s := string(b)
			if header(s, "devices") != "eth0" || header(s, "timeout") != "900" || header(s, "config") != want[c].config {
				t.Errorf("%s %s: devices %q, timeout %q, config %q", c, p, header(s, "devices"), header(s, "timeout"), header(s, "config"))
			}
			if !strings.Contains(s, want[c].export) || !strings.HasSuffix(s, ". /lab/bench/guest.sh\nbench_main "+p+"\n") {
				t.Errorf("%s %s:\n%s", c, p, s)
			}
			if cfg := want[c].config; cfg != "" {
				if _, err := os.Stat(filepath.Join(dir, "conf", cfg)); err != nil {
					t.Errorf("%s: %v", c, err)
				}
			}
		}
	}
	if _, err := scenarioScript("nobody", "hot"); err == nil {
		t.Error("a contender with no guest side got a script")
	}
}
