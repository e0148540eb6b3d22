// SPDX-License-Identifier: Apache-2.0

package units

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAUnitsEndIsAFailureOnlyWhenSystemdSaysSo(t *testing.T) {
	for _, c := range []struct {
		name, entry string
		want        *Failure
	}{
		{"failed with a result", `{"MESSAGE_ID":"d9b373ed55a64feb8242e02dbe79a49c","UNIT_RESULT":"exit-code","MESSAGE":"bond-wpa@wlan0.service: Failed with result 'exit-code'."}`,
			&Failure{Result: "exit-code"}},
		{"the start limit", `{"MESSAGE_ID":"d9b373ed55a64feb8242e02dbe79a49c","UNIT_RESULT":"start-limit-hit"}`,
			&Failure{Result: "start-limit-hit"}},
		{"deactivated successfully after a failure", `{"MESSAGE_ID":"7ad2d189f7e94e70a38c781354912448"}`, nil},
		{"no entry this boot", "", nil},
		{"not JSON", "-- No entries --", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := parseEnd([]byte(c.entry))
			if (got == nil) != (c.want == nil) || got != nil && *got != *c.want {
				t.Errorf("got %+v, want %+v", got, c.want)
			}
		})
	}
}

// LastFailure asks journalctl with the unit as a match in argv (no shell: the name,
// with what a shell would expand, arrives as it is): a fake journalctl records its
// arguments and answers like the real one.
func TestLastFailureAsksTheJournalWithArgv(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "args")
	fake := filepath.Join(dir, "journalctl")
	script := `#!/bin/sh
printf '%s\n' "$*" >>` + log + `
case "$*" in
*"-o json"*) echo '{"MESSAGE_ID":"d9b373ed55a64feb8242e02dbe79a49c","UNIT_RESULT":"exit-code"}' ;;
*) echo "Failed to initialize control interface '/var/run/wpa_supplicant'." ;;
esac
`
	if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	old := journalctl
	journalctl = fake
	t.Cleanup(func() { journalctl = old })
	unit := `bond-wpa@we\x2bird;$(touch x).service`
	got := LastFailure(context.Background(), unit)
	want := Failure{Result: "exit-code", LastLine: "Failed to initialize control interface '/var/run/wpa_supplicant'."}
	if got == nil || *got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	args, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(args)), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "-b -q --no-pager -n 1 -o json UNIT="+unit+" MESSAGE_ID=") ||
		lines[1] != "-b -q --no-pager -n 1 -o cat _SYSTEMD_UNIT="+unit {
		t.Errorf("journalctl ran with:\n%s", args)
	}
	journalctl = filepath.Join(dir, "missing")
	if f := LastFailure(context.Background(), unit); f != nil {
		t.Errorf("no journal: %+v, want nil", f)
	}
}
