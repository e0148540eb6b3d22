// SPDX-License-Identifier: Apache-2.0

package units

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bond-hotplug/bond-hotplug/lib/config"
	sd "github.com/coreos/go-systemd/v22/dbus"
)

func TestEscapeMatchesSystemd(t *testing.T) {
	cases := map[string]string{
		"wlp2s0":    "wlp2s0",
		"my-bond":   `my\x2dbond`,
		"eth0.100":  "eth0.100",
		".hidden":   `\x2ehidden`,
		"br_lan":    "br_lan",
		"wl p":      `wl\x20p`,
		"enx00e04c": "enx00e04c",
	}
	for in, want := range cases {
		if got := Escape(in); got != want {
			t.Errorf("Escape(%q) = %q, want %q", in, got, want)
		}
		// Where systemd-escape exists, it is the reference.
		if out, err := exec.Command("systemd-escape", "--", in).Output(); err == nil {
			if ref := strings.TrimSpace(string(out)); ref != Escape(in) {
				t.Errorf("systemd-escape %q = %q, Escape = %q", in, ref, Escape(in))
			}
		}
	}
}

func TestParseInvertsName(t *testing.T) {
	for _, r := range Roles {
		for _, ifname := range []string{"bond0", "my-bond", "eth0.100"} {
			role, got, ok := Parse(Name(r, ifname))
			if !ok || role != r || got != ifname {
				t.Errorf("Parse(Name(%s, %s)) = %s %s %v", r, ifname, role, got, ok)
			}
		}
	}
	for _, u := range []string{"sshd.service", "bond-wpa@x.socket", "dhclient@bond0.service"} {
		if _, _, ok := Parse(u); ok {
			t.Errorf("Parse(%q) claimed a foreign unit", u)
		}
	}
}

var progs = Programs{Self: "/usr/bin/bond-hotplug", WPASupplicant: "/usr/sbin/wpa_supplicant",
	Dhclient: "/usr/sbin/dhclient", Dhcp6c: "/usr/sbin/dhcp6c", Dhcpcd: "/usr/sbin/dhcpcd"}

// The DHCP clients wait for an active slave inside the supervisor (the main process),
// not in an ExecStartPre: a start job that never ends would hold up network.target.
func TestDHCPUnitsWaitForAnActiveSlaveAndBindToTheMaster(t *testing.T) {
	s, err := DHCP4(progs, "my-bond", config.DHCP{Enabled: true, Client: "dhclient"})
	if err != nil {
		t.Fatal(err)
	}
	props := map[string]string{}
	for _, p := range mustProps(t, s) {
		props[p.Name] = p.Value.String()
	}
	for name, want := range map[string]string{
		"BindsTo":         `sys-subsystem-net-devices-my\\x2dbond.device`,
		"ExecStart":       "--supervise",
		"ExecStop":        "-r",
		"CollectMode":     "inactive-or-failed",
		"Before":          "network.target",
		"TimeoutStopUSec": "5000000",
	} {
		if !strings.Contains(props[name], want) {
			t.Errorf("%s = %s, want it to contain %s", name, props[name], want)
		}
	}
	if s.Name != `bond-dhcp4@my\x2dbond.service` {
		t.Errorf("name %s", s.Name)
	}
	// Ordered after the master's device unit, although the supervisor waits for the
	// link itself: BindsTo= alone stops a unit whose device unit is not active yet
	// (systemd drops the device's start job as unnecessary). Without After= the lab's
	// cold starts lost bond-dhcp4@bond0 that way twice in ten (issue 20, bench run
	// 20261207-145804-2035308413: "Stopping" 2 s after "Started").
	if !strings.Contains(props["After"], `sys-subsystem-net-devices-my\\x2dbond.device`) {
		t.Errorf("After = %s, want the master's device unit", props["After"])
	}
}

// wpa_supplicant opens its interface at once: its unit starts when udev has
// announced the card.
func TestSupplicantUnitIsOrderedAfterItsCard(t *testing.T) {
	s, err := WPA(progs, Card{Name: "wlp2s0"}, "/etc/wpa_supplicant/wpa_supplicant.conf")
	if err != nil {
		t.Fatal(err)
	}
	props := map[string]string{}
	for _, p := range mustProps(t, s) {
		props[p.Name] = p.Value.String()
	}
	for _, name := range []string{"BindsTo", "After"} {
		if !strings.Contains(props[name], "sys-subsystem-net-devices-wlp2s0.device") {
			t.Errorf("%s = %s, want the card's device unit", name, props[name])
		}
	}
}

func TestSupplicantUnitRunsTheSeedsCommandAsArgv(t *testing.T) {
	s, err := WPA(progs, Card{Name: "wlp2s0"}, "/etc/wpa_supplicant/wpa_supplicant.conf")
	if err != nil {
		t.Fatal(err)
	}
	want := "/usr/sbin/wpa_supplicant -c/etc/wpa_supplicant/wpa_supplicant.conf -Dnl80211,wext,wired -i wlp2s0"
	if got := strings.Join(s.ExecStart, " "); got != want {
		t.Errorf("ExecStart = %s, want %s", got, want)
	}
	for _, p := range mustProps(t, s) {
		if p.Name == "ExecStartPre" {
			t.Errorf("a supplicant must start at once, got ExecStartPre %v", p.Value)
		}
	}
}

func TestMissingProgramIsNamed(t *testing.T) {
	p := progs
	p.Dhcp6c = ""
	_, err := DHCP6(p, "bond0", config.DHCP{Enabled: true, Client: "dhcp6c"})
	if err == nil || !strings.Contains(err.Error(), "dhcp6c not found") {
		t.Fatalf("got %v", err)
	}
	if _, err := DHCP4(progs, "bond0", config.DHCP{Enabled: true, Client: "udhcpc"}); err == nil {
		t.Fatal("unknown client accepted")
	}
}

func TestFileFakeKeepsUnitsAcrossProcessesInItsFile(t *testing.T) {
	f := FileFake{Path: t.TempDir() + "/units.json"}
	s, _ := WPA(progs, Card{Name: "wlan0"}, "/etc/w.conf")
	if err := f.Start(t.Context(), s); err != nil {
		t.Fatal(err)
	}
	st, err := FileFake{Path: f.Path}.List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(st) != 1 || st[0].Name != s.Name || !st[0].Running() {
		t.Fatalf("units %v", st)
	}
	if err := f.Stop(t.Context(), s.Name, true); err != nil {
		t.Fatal(err)
	}
	r, _ := f.Load()
	if len(r.Units) != 0 || !strings.Contains(strings.Join(r.Calls, "\n"), "stop bond-wpa@wlan0.service (wait)") {
		t.Fatalf("record %+v", r)
	}
}

func TestDHCPUnitsHaveNoBlockingStartStep(t *testing.T) {
	for _, mk := range []func(Programs, string, config.DHCP) (Spec, error){DHCP4, DHCP6} {
		s, err := mk(progs, "bond0", config.DHCP{Enabled: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range mustProps(t, s) {
			if p.Name == "ExecStartPre" || p.Name == "TimeoutStartUSec" {
				t.Errorf("%s has %s: its start job could block the boot", s.Name, p.Name)
			}
		}
		if s.ExecStart[0] != progs.Self || (s.ExecStart[1] != "--supervise" && s.ExecStart[1] != "--wait-then") {
			t.Errorf("%s does not run under the supervisor: %q", s.Name, s.ExecStart)
		}
	}
}

func mustProps(t *testing.T, s Spec) []sd.Property {
	t.Helper()
	p, err := Properties(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// sandboxSignatures are the D-Bus types systemd's transient-unit API takes for each
// property (org.freedesktop.systemd1(5)); a wrong type makes StartTransientUnit fail
// with "Invalid argument" in the lab, this catches it here first.
var sandboxSignatures = map[string]string{
	"CapabilityBoundingSet": "t", "AmbientCapabilities": "t", "NoNewPrivileges": "b",
	"ProtectSystem": "s", "ProtectHome": "s", "PrivateTmp": "b", "ProtectKernelTunables": "b",
	"ProtectKernelModules": "b", "ProtectKernelLogs": "b", "ProtectControlGroups": "b",
	"ProtectClock": "b", "ProtectHostname": "b", "ProtectProc": "s", "LockPersonality": "b",
	"MemoryDenyWriteExecute": "b", "RestrictNamespaces": "t", "RestrictRealtime": "b",
	"RestrictSUIDSGID": "b", "RemoveIPC": "b", "KeyringMode": "s", "SystemCallArchitectures": "as",
	"SystemCallFilter": "(bas)", "RestrictAddressFamilies": "(bas)", "SystemCallErrorNumber": "i",
	"UMask": "u", "ReadWritePaths": "as", "RuntimeDirectory": "as", "RuntimeDirectoryPreserve": "s", "PrivateDevices": "b",
	"DevicePolicy": "s", "DeviceAllow": "a(ss)", "IPAddressDeny": "a(iayu)", "IPAddressAllow": "a(iayu)",
}

func TestEveryUnitIsSandboxedWithSystemdsTypes(t *testing.T) {
	wpa, _ := WPA(progs, Card{Name: "wlan0"}, "/etc/w.conf")
	d4, _ := DHCP4(progs, "bond0", config.DHCP{Enabled: true})
	d6, _ := DHCP6(progs, "bond0", config.DHCP{Enabled: true})
	d4c, _ := DHCP4(progs, "bond0", config.DHCP{Enabled: true, Client: "dhcpcd"})
	for _, s := range []Spec{wpa, d4, d6, d4c} {
		seen := map[string]string{}
		for _, p := range mustProps(t, s) {
			want, ok := sandboxSignatures[p.Name]
			if !ok {
				continue
			}
			if got := p.Value.Signature().String(); got != want {
				t.Errorf("%s: %s has D-Bus type %s, systemd takes %s", s.Name, p.Name, got, want)
			}
			seen[p.Name] = p.Value.String()
		}
		for _, must := range []string{"CapabilityBoundingSet", "NoNewPrivileges", "ProtectSystem", "SystemCallFilter",
			"RestrictAddressFamilies", "RuntimeDirectory", "MemoryDenyWriteExecute", "RestrictNamespaces"} {
			if _, ok := seen[must]; !ok {
				t.Errorf("%s: no %s", s.Name, must)
			}
		}
		// Root without CAP_SYS_ADMIN or CAP_DAC_OVERRIDE: only the network capabilities
		// (dhcpcd: and what its privilege separation needs, checked below).
		if got := seen["CapabilityBoundingSet"]; s.Sandbox == d4c.Sandbox {
			want, _ := CapMask([]string{"CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_NET_BIND_SERVICE", "CAP_SETUID", "CAP_SETGID", "CAP_SYS_CHROOT", "CAP_KILL"})
			if got != fmt.Sprintf("@t %d", want) {
				t.Errorf("dhcpcd: capability bounding set %s, want %d", got, want)
			}
		} else if got != "@t 12288" && got != "@t 13312" {
			t.Errorf("%s: capability bounding set %s, want NET_ADMIN|NET_RAW[|NET_BIND_SERVICE]", s.Name, got)
		}
	}
	if m, _ := CapMask([]string{"CAP_NET_ADMIN"}); m != 1<<12 {
		t.Errorf("CAP_NET_ADMIN mask %x", m)
	}
	if _, err := CapMask([]string{"CAP_NOPE"}); err == nil {
		t.Error("unknown capability accepted")
	}
	// The pid files live in the unit's own runtime directory (the rest of /run is
	// read-only in the sandbox), and the stop command finds the same file.
	if !strings.Contains(strings.Join(d4.ExecStart, " "), "/run/bond-hotplug/bond-dhcp4-bond0/dhclient.pid") ||
		!strings.Contains(strings.Join(d4.ExecStop[0], " "), "/run/bond-hotplug/bond-dhcp4-bond0/dhclient.pid") {
		t.Errorf("dhclient pid file outside its runtime directory: %q %q", d4.ExecStart, d4.ExecStop)
	}
}

// Issue 11.8: each master's dhclient (v4 and v6) has its own lease file, named in both
// the start and the release command (dhclient -r reads the lease to release from it).
func TestEachMasterHasItsOwnDhclientLeaseFile(t *testing.T) {
	p := Programs{Self: "/bin/bond-hotplug", Dhclient: "/sbin/dhclient"}
	d := config.DHCP{Enabled: true, Client: "dhclient"}
	seen := map[string]string{}
	for _, m := range []string{"bond0", "bond1"} {
		for fam, mk := range map[string]func(Programs, string, config.DHCP) (Spec, error){"": DHCP4, "6": DHCP6} {
			s, err := mk(p, m, d)
			if err != nil {
				t.Fatal(err)
			}
			lf := LeaseFile(fam, m)
			for _, argv := range append([][]string{s.ExecStart}, s.ExecStop...) {
				got := strings.Join(argv, " ")
				if !strings.Contains(got, " -lf "+lf+" ") {
					t.Errorf("%s: %q lacks -lf %s", s.Name, got, lf)
				}
			}
			if other, dup := seen[lf]; dup {
				t.Errorf("%s and %s share the lease file %s", other, s.Name, lf)
			}
			seen[lf] = s.Name
		}
	}
}

// Issue 11.4: a DHCP client that crashes is restarted: the supervisor reports the
// crash as exit 1, which Restart=on-abnormal ignored.
func TestDHCPUnitsRestartAfterAFailureWithinALimit(t *testing.T) {
	p := Programs{Self: "/bin/bond-hotplug", Dhclient: "/sbin/dhclient", Dhcp6c: "/sbin/dhcp6c", Dhcpcd: "/sbin/dhcpcd"}
	for _, c := range []struct {
		mk     func(Programs, string, config.DHCP) (Spec, error)
		client string
	}{{DHCP4, "dhclient"}, {DHCP4, "dhcpcd"}, {DHCP6, "dhcp6c"}, {DHCP6, "dhclient"}, {DHCP6, "dhcpcd"}} {
		s, err := c.mk(p, "bond0", config.DHCP{Enabled: true, Client: c.client})
		if err != nil {
			t.Fatal(err)
		}
		if s.Restart != "on-failure" || s.StartLimitBurst == 0 || s.StartLimitInterval == 0 || s.RestartDelay == 0 {
			t.Errorf("%s (%s): Restart=%q RestartDelay=%v StartLimitBurst=%d StartLimitInterval=%v; want on-failure within a start limit",
				s.Name, c.client, s.Restart, s.RestartDelay, s.StartLimitBurst, s.StartLimitInterval)
		}
		for _, stop := range s.ExecStop {
			if len(stop) < 4 || stop[0] != p.Self || stop[1] != "--release" || stop[3] != "--" {
				t.Errorf("%s (%s): ExecStop %q does not go through bond-hotplug --release (a crash restart would release the lease)", s.Name, c.client, stop)
			}
		}
	}
}

// Every command's failure counts: systemd's a(sasb) flag is "ignore failure" (the "-"
// prefix), not go-systemd's name for it; set, a crashed client exited "successfully"
// and Restart= never fired (found by lab scenario 50).
func TestUnitCommandsDoNotIgnoreFailures(t *testing.T) {
	p := Programs{Self: "/bin/bond-hotplug", Dhclient: "/sbin/dhclient", WPASupplicant: "/sbin/wpa_supplicant"}
	d, err := DHCP4(p, "bond0", config.DHCP{Enabled: true, Client: "dhclient"})
	if err != nil {
		t.Fatal(err)
	}
	w, err := WPA(p, Card{Name: "wlan0"}, "/etc/wpa.conf")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []Spec{d, w} {
		props, err := Properties(s)
		if err != nil {
			t.Fatal(err)
		}
		for _, prop := range props {
			if prop.Name != "ExecStart" && prop.Name != "ExecStop" {
				continue
			}
			cmds, ok := prop.Value.Value().([]execCommand)
			if !ok || len(cmds) == 0 {
				t.Fatalf("%s %s: %T", s.Name, prop.Name, prop.Value.Value())
			}
			for _, c := range cmds {
				if c.IgnoreFailure {
					t.Errorf("%s %s %v ignores its failure", s.Name, prop.Name, c.Args)
				}
			}
		}
	}
}

// The same program through a symlinked directory in $PATH (/sbin -> usr/sbin on a
// merged /usr) must give the same command line: a different one restarts the unit
// (a DHCP client releases its lease) at every run from the other context.
func TestFindGivesOneSpellingThroughSymlinkedDirectories(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "usr", "sbin")
	if err := os.MkdirAll(real, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(real, "bhtestprog"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("usr/sbin", filepath.Join(dir, "sbin")); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range []string{filepath.Join(dir, "sbin"), real} {
		t.Setenv("PATH", d)
		p, err := Find("bhtestprog")
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, p)
	}
	if got[0] != got[1] {
		t.Errorf("Find through %s/sbin and %s: %q and %q, want one path", dir, real, got[0], got[1])
	}
}
