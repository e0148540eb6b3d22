// SPDX-License-Identifier: Apache-2.0

package units

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/bond-hotplug/bond-hotplug/lib/config"
)

// Programs by their plain names, as the README shows them.
var readmePrograms = Programs{Self: "bond-hotplug", WPASupplicant: "wpa_supplicant",
	Dhclient: "dhclient", Dhcp6c: "dhcp6c", Dhcpcd: "dhcpcd"}

func readmeCmd(argv []string) string { return "`" + strings.Join(argv, " ") + "`" }

func readmeRestart(s Spec) string {
	out := s.Restart
	if s.RestartDelay > 0 {
		out += fmt.Sprintf(", after %v", s.RestartDelay)
	}
	if s.StartLimitBurst > 0 {
		out += fmt.Sprintf(", at most %d starts in %v", s.StartLimitBurst, s.StartLimitInterval)
	}
	return out
}

// readmeRow renders a spec as the README's units table shows it.
func readmeRow(label string, s Spec) string {
	stop := "SIGTERM to the main process"
	if len(s.ExecStop) > 0 {
		var cmds []string
		for _, c := range s.ExecStop {
			cmds = append(cmds, readmeCmd(c))
		}
		stop = strings.Join(cmds, "; ")
	}
	return fmt.Sprintf("| %s | %s | %s | %s |", label, readmeCmd(s.ExecStart), stop, readmeRestart(s))
}

// The README's table of units says what the code starts: every row is rendered from
// the specs the code builds, so a change to either shows up here (issue 11.11: the
// README once described an ExecStartPre the code no longer had).
func TestReadmeUnitsTableIsWhatTheCodeStarts(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	type row struct {
		label string
		spec  func() (Spec, error)
	}
	p := readmePrograms
	dhcp := func(client string) config.DHCP { return config.DHCP{Enabled: true, Client: client} }
	rows := []row{
		{"`bond-wpa@IFACE.service`", func() (Spec, error) { return WPA(p, Card{Name: "IFACE"}, "CONF") }},
		{"`bond-dhcp4@MASTER.service` (dhclient, the default)", func() (Spec, error) { return DHCP4(p, "MASTER", dhcp("dhclient")) }},
		{"`bond-dhcp4@MASTER.service` (dhcpcd)", func() (Spec, error) { return DHCP4(p, "MASTER", dhcp("dhcpcd")) }},
		{"`bond-dhcp6@MASTER.service` (dhcp6c, the default)", func() (Spec, error) { return DHCP6(p, "MASTER", dhcp("dhcp6c")) }},
		{"`bond-dhcp6@MASTER.service` (dhclient)", func() (Spec, error) { return DHCP6(p, "MASTER", dhcp("dhclient")) }},
		{"`bond-dhcp6@MASTER.service` (dhcpcd)", func() (Spec, error) { return DHCP6(p, "MASTER", dhcp("dhcpcd")) }},
	}
	var want []string
	missing := false
	for _, r := range rows {
		s, err := r.spec()
		if err != nil {
			t.Fatalf("%s: %v", r.label, err)
		}
		line := readmeRow(r.label, s)
		want = append(want, line)
		if !strings.Contains(readme, "\n"+line+"\n") {
			t.Errorf("README.md lacks the row\n%s", line)
			missing = true
		}
	}
	if missing {
		t.Logf("the table as the code has it:\n%s", strings.Join(want, "\n"))
	}
	for _, stale := range []string{"ExecStartPre=bond-hotplug --wait-active"} {
		if strings.Contains(readme, stale) {
			t.Errorf("README.md still says %q", stale)
		}
	}
}
