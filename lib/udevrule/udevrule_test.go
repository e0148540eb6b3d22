// SPDX-License-Identifier: Apache-2.0

package udevrule

import (
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bond-hotplug/bond-hotplug/lib/config"
	"github.com/bond-hotplug/bond-hotplug/lib/udevrule/internal/fnmatch"
)

// slavesOf loads SLAVES the way users write them, through lib/config, so the patterns
// are exactly what bond-up hands to Text.
func slavesOf(t *testing.T, value string) []string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "network.conf")
	if err := os.WriteFile(f, []byte("bond0SLAVES='"+value+"'\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(f, config.Options{AllowInsecure: true})
	if err != nil {
		t.Fatal(err)
	}
	m, _ := c.Master("bond0")
	return m.Slaves
}

// Every glob the config accepts means the same to udev's matcher (the C library's
// fnmatch) as to ours (path.Match), name by name, including classes, ranges and both
// spellings of negation.
func TestGlobsMeanToUdevWhatTheyMeanToTheConfig(t *testing.T) {
	pats := slavesOf(t, "enp3s0 wl* usb[0-9] tap[!x]? veth[^a-c]* e?h[a-c.]* x[*?] [!e]*1 a.b_c-d m[0-9a-f_.]")
	names := []string{"enp3s0", "enp3s1", "wlan0", "wl", "w", "usb0", "usb9", "usba", "usb10", "tapa1",
		"tapx1", "tap", "vethd", "vetha0", "vethc", "veth", "eth0", "ehh", "e.h.", "x*", "x?", "xa",
		"lo", "bond0", "wlp2s0", "a.b_c-d", "a.b_c_d", "-z", ".z", "mz", "m-", "m_", "m5", "mg", "-lead", "dev.1", "m.", "x1", "e1"}
	for _, p := range pats {
		g, err := Glob(p)
		if err != nil {
			t.Fatalf("Glob(%q): %v", p, err)
		}
		if strings.ContainsAny(g, `^\|" `) {
			t.Errorf("Glob(%q) = %q: holds what udev reads differently", p, g)
		}
		for _, n := range names {
			want, _ := path.Match(p, n)
			if got := fnmatch.Match(g, n); got != want {
				t.Errorf("%q (udev %q) on %q: fnmatch %v, path.Match %v", p, g, n, got, want)
			}
		}
	}
}

func TestGlobRefusesWhatAUdevRuleCannotHold(t *testing.T) {
	for _, p := range []string{"", "a|b", `a\*`, `a"b`, "a b", "a[", "x{y}", "é"} {
		if g, err := Glob(p); err == nil {
			t.Errorf("Glob(%q) = %q, want an error", p, g)
		}
	}
}

func TestTextNamesUpMastersAndTheirDevicesOnly(t *testing.T) {
	got, err := Text([]Master{{Name: "br0", Slaves: []string{"veth[^0]"}}, {Name: "bond0", Slaves: []string{"enp3s0", "wl*"}}})
	if err != nil {
		t.Fatal(err)
	}
	want := header + `# up: bond0 enp3s0 wl*
# up: br0 veth[^0]
SUBSYSTEM=="rfkill", ENV{RFKILL_TYPE}=="wlan", ENV{BOND_HOTPLUG_RFKILL}="1", GOTO="bond_hotplug_up_end"
SUBSYSTEM!="net", GOTO="bond_hotplug_up_end"
NAME=="", KERNEL=="br0", ENV{BOND_HOTPLUG_MASTER}="br0", ENV{BOND_HOTPLUG_SLAVE}=""
NAME=="br0", ENV{BOND_HOTPLUG_MASTER}="br0", ENV{BOND_HOTPLUG_SLAVE}=""
NAME=="", KERNEL=="veth[!0]", ENV{BOND_HOTPLUG_MASTER}="br0", ENV{BOND_HOTPLUG_SLAVE}="1"
NAME=="veth[!0]", ENV{BOND_HOTPLUG_MASTER}="br0", ENV{BOND_HOTPLUG_SLAVE}="1"
NAME=="", KERNEL=="bond0", ENV{BOND_HOTPLUG_MASTER}="bond0", ENV{BOND_HOTPLUG_SLAVE}=""
NAME=="bond0", ENV{BOND_HOTPLUG_MASTER}="bond0", ENV{BOND_HOTPLUG_SLAVE}=""
NAME=="", KERNEL=="enp3s0|wl*", ENV{BOND_HOTPLUG_MASTER}="bond0", ENV{BOND_HOTPLUG_SLAVE}="1"
NAME=="enp3s0|wl*", ENV{BOND_HOTPLUG_MASTER}="bond0", ENV{BOND_HOTPLUG_SLAVE}="1"
ENV{BOND_HOTPLUG_MASTER}=="?*", ENV{NM_UNMANAGED}="1"
LABEL="bond_hotplug_up_end"
`
	if got != want {
		t.Errorf("rule:\n%s\nwant:\n%s", got, want)
	}
	if none, err := Text(nil); none != "" || err != nil {
		t.Errorf("no master up: %q, %v; want no rule", none, err)
	}
	ms := Parse(got)
	if len(ms) != 2 || ms[0].Name != "bond0" || strings.Join(ms[0].Slaves, " ") != "enp3s0 wl*" || ms[1].Name != "br0" {
		t.Errorf("Parse read back %+v", ms)
	}
	for name, want := range map[string]string{"bond0": "bond0", "wlan0": "bond0", "veth1": "br0", "veth0": "", "eth0": ""} {
		if o, _ := Owner(ms, name); o != want {
			t.Errorf("Owner(%q) = %q, want %q", name, o, want)
		}
	}
}

// Where two masters' globs match a device, lib/config gives it to the first by name;
// the rule's last assignment wins in udev, so the first master is written last.
func TestOverlappingGlobsGoToTheFirstMasterByName(t *testing.T) {
	got, err := Text([]Master{{Name: "bond0", Slaves: []string{"e*"}}, {Name: "bond1", Slaves: []string{"eth*"}}})
	if err != nil {
		t.Fatal(err)
	}
	if i, j := strings.Index(got, `="bond1"`), strings.Index(got, `="bond0"`); i < 0 || j < i {
		t.Errorf("bond0's assignment must come after bond1's:\n%s", got)
	}
	if o, _ := Owner(Parse(got), "eth0"); o != "bond0" {
		t.Errorf("Owner(eth0) = %q, want bond0", o)
	}
}

func TestWriteReplacesAtomicallyAndRemovesWhenEmpty(t *testing.T) {
	f := filepath.Join(t.TempDir(), "rules.d", "89-bond-hotplug-up.rules")
	for i, step := range []struct {
		text    string
		changed bool
	}{{"a\n", true}, {"a\n", false}, {"b\n", true}, {"", true}, {"", false}} {
		changed, err := Write(f, step.text)
		if err != nil || changed != step.changed {
			t.Fatalf("step %d: Write(%q) = %v, %v; want %v", i, step.text, changed, err, step.changed)
		}
		got, err := Read(f)
		if err != nil || got != step.text {
			t.Fatalf("step %d: file holds %q (%v), want %q", i, got, err, step.text)
		}
		ents, _ := os.ReadDir(filepath.Dir(f))
		for _, e := range ents {
			if e.Name() != filepath.Base(f) {
				t.Errorf("step %d: left %s behind", i, e.Name())
			}
		}
	}
	fi, err := os.Stat(filepath.Dir(f))
	if err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("rules.d: %v %v", fi, err)
	}
}
