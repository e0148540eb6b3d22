// SPDX-License-Identifier: Apache-2.0

package app

import (
	"bytes"
	"context"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bond-hotplug/bond-hotplug/lib/netdev"
	"github.com/bond-hotplug/bond-hotplug/lib/units"
)

// statusText runs --status (text), checks the exit rule and compares what it printed
// after the version line with testdata/status-NAME.txt (-update rewrites).
func statusText(t *testing.T, e *Env, name string, wantConverged bool) {
	t.Helper()
	out := &bytes.Buffer{}
	e.Out = out
	err := e.Status(context.Background(), nil, false)
	if wantConverged && err != nil || !wantConverged && !errors.Is(err, errNotConverged) {
		t.Fatalf("%s: Status = %v, want converged %v\n%s", name, err, wantConverged, out)
	}
	first, got, _ := strings.Cut(out.String(), "\n")
	if !strings.HasPrefix(first, "bond-hotplug ") {
		t.Errorf("%s: the first line %q does not name the build", name, first)
	}
	p := filepath.Join("testdata", "status-"+name+".txt")
	if *updateStatus {
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (go test ./lib/app -run Status -update creates it)", err)
	}
	if got != string(want) {
		t.Errorf("%s: text differs from %s:\n%s", name, p, got)
	}
}

// The text of --status through the states of TestStatusJSONGoldens and more: a slave
// held by another master, a device of another kind under the master's name, a unit
// that failed, systemd out of reach. Each is pinned by a golden text.
func TestStatusTextGoldens(t *testing.T) {
	e, k, rec, log := fakeEnv(t, statusConf)
	statusText(t, e, "absent", false)
	if err := e.Up(context.Background(), nil); err != nil {
		t.Fatalf("bond-up: %v\n%s", err, log)
	}
	statusText(t, e, "degraded", false)
	for _, n := range []string{"eth0", "eth1"} {
		l := k.AddLink(n, "device")
		l.Carrier, l.MAC = true, "02:00:00:00:00:0"+n[3:]
	}
	k.Devs["bond0"].MAC, k.Devs["bond0"].Carrier = "02:00:00:00:00:00", true
	if err := e.Up(context.Background(), nil); err != nil {
		t.Fatalf("bond-up with eth0 and eth1: %v\n%s", err, log)
	}
	k.AddrsOf["bond0"] = append(k.AddrsOf["bond0"], netdev.Addr{Prefix: netip.MustParsePrefix("10.77.0.150/24"), Dynamic: true})
	statusText(t, e, "converged", true)
	k.BondOf["bond0"].Miimon = 250
	k.AddLink("eth2", "device").Master = "br9"
	statusText(t, e, "pending", false)
	e.UnitFailure = func(_ context.Context, u string) *units.Failure {
		if u == "bond-dhcp4@bond0.service" {
			return &units.Failure{Result: "exit-code"}
		}
		return nil
	}
	delete(rec.Units, "bond-dhcp4@bond0.service")
	statusText(t, e, "failed", false)
	e.Units = func(context.Context) (units.Manager, error) { return nil, errors.New("systemd is not reachable") }
	e.mgr, e.mgrErr = nil, nil
	statusText(t, e, "nosystemd", false)

	e2, k2, _, _ := fakeEnv(t, statusConf)
	k2.AddLink("bond0", "bridge")
	statusText(t, e2, "foreign", false)
}
