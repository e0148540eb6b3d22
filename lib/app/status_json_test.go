// SPDX-License-Identifier: Apache-2.0

package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/bond-hotplug/bond-hotplug/lib/netdev"
	"github.com/bond-hotplug/bond-hotplug/lib/units"
)

var updateStatus = flag.Bool("update", false, "rewrite the golden files in testdata/")

const statusConf = `bond0SLAVES='eth*'
bond0PRIMARY='eth0'
bond0ADDRS='192.168.0.2/24'
bond0ROUTES='"10.9.0.0/16 via 192.168.0.1"'
`

// versionRE matches the build's own version object, the one part of the document
// that changes from build to build; the goldens hold a fixed one.
var versionRE = regexp.MustCompile(`(?s)"version": \{.*?\n  \}`)

// statusGolden runs --status --json, checks the exit rule and compares the document
// with testdata/status-NAME.json (go test ./lib/app -run Status -update rewrites).
func statusGolden(t *testing.T, e *Env, name string, wantConverged bool) StatusDoc {
	t.Helper()
	out := &bytes.Buffer{}
	e.Out = out
	err := e.Status(context.Background(), nil, true)
	if wantConverged && err != nil || !wantConverged && !errors.Is(err, errNotConverged) {
		t.Fatalf("%s: Status = %v, want converged %v", name, err, wantConverged)
	}
	var doc StatusDoc
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("%s: not one JSON document: %v\n%s", name, err, out)
	}
	if doc.Schema != StatusSchema || doc.Version.Go == "" || doc.Version.Module == "" {
		t.Errorf("%s: schema %d, version %+v", name, doc.Schema, doc.Version)
	}
	got := versionRE.ReplaceAll(out.Bytes(), []byte(`"version": {"module": "v1.2.3", "revision": "", "modified": false, "go": "go1.x", "package": ""}`))
	p := filepath.Join("testdata", "status-"+name+".json")
	if *updateStatus {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (go test ./lib/app -run Status -update creates it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s: document differs from %s:\n%s", name, p, got)
	}
	return doc
}

// The four states a status bar shows, each pinned by a golden document: absent
// (nothing created yet: the pending actions say what a run would do), degraded (the
// bond exists, every card is out), converged (the primary carries traffic; a DHCP
// lease among the addresses), and pending (someone changed an option).
func TestStatusJSONGoldens(t *testing.T) {
	e, k, _, log := fakeEnv(t, statusConf)
	if d := statusGolden(t, e, "absent", false); d.Masters[0].State != "absent" || len(d.Masters[0].Pending) == 0 {
		t.Errorf("absent: %+v", d.Masters[0])
	}
	if err := e.Up(context.Background(), nil); err != nil {
		t.Fatalf("bond-up: %v\n%s", err, log)
	}
	if d := statusGolden(t, e, "degraded", false); d.Masters[0].State != "degraded" {
		t.Errorf("degraded: %+v", d.Masters[0])
	}
	for _, n := range []string{"eth0", "eth1"} {
		l := k.AddLink(n, "device")
		l.Carrier, l.MAC = true, "02:00:00:00:00:0"+n[3:]
	}
	k.Devs["bond0"].MAC, k.Devs["bond0"].Carrier = "02:00:00:00:00:00", true
	if err := e.Up(context.Background(), nil); err != nil {
		t.Fatalf("bond-up with eth0 and eth1: %v\n%s", err, log)
	}
	k.AddrsOf["bond0"] = append(k.AddrsOf["bond0"], netdev.Addr{Prefix: netip.MustParsePrefix("10.77.0.150/24"), Dynamic: true})
	d := statusGolden(t, e, "converged", true)
	m := d.Masters[0]
	if m.State != "converged" || m.Active != "eth0" || len(m.Leases) != 1 || len(m.Units) != 2 {
		t.Errorf("converged: %+v", m)
	}
	k.BondOf["bond0"].Miimon = 250
	if d := statusGolden(t, e, "pending", false); d.Masters[0].State != "pending" || len(d.Masters[0].Pending) != 1 {
		t.Errorf("pending: %+v", d.Masters[0])
	}
}

// A bridge has no active slave: its first port with carrier stands for it.
func TestStatusJSONBridgeActiveIsAPortWithCarrier(t *testing.T) {
	e, k, _, log := fakeEnv(t, "br0SLAVES='veth*'\nbr0DHCP=no\nbr0DHCP6=no\n")
	l := k.AddLink("veth0", "veth")
	l.Carrier = true
	if err := e.Up(context.Background(), nil); err != nil {
		t.Fatalf("bond-up: %v\n%s", err, log)
	}
	d := statusGolden(t, e, "bridge", true)
	if m := d.Masters[0]; m.Kind != "bridge" || m.Options != nil || m.Active != "veth0" || !m.Slaves[0].Active {
		t.Errorf("bridge: %+v", m)
	}
}

// Issue 15: a unit that failed (here the DHCPv4 client: systemd collected it after its
// last failed start, so only the journal remembers) makes the master "failed", names
// the unit with systemd's result and the last line its program logged, in the text
// and in JSON, and --status exits 1.
func TestStatusShowsAFailedUnitWithItsLastLine(t *testing.T) {
	e, k, rec, log := fakeEnv(t, statusConf)
	for _, n := range []string{"eth0", "eth1"} {
		l := k.AddLink(n, "device")
		l.Carrier, l.MAC = true, "02:00:00:00:00:0"+n[3:]
	}
	if err := e.Up(context.Background(), nil); err != nil {
		t.Fatalf("bond-up: %v\n%s", err, log)
	}
	k.Devs["bond0"].MAC, k.Devs["bond0"].Carrier = "02:00:00:00:00:00", true
	if err := e.Up(context.Background(), nil); err != nil {
		t.Fatalf("bond-up: %v\n%s", err, log)
	}
	const unit = "bond-dhcp4@bond0.service"
	const line = "lchown[ctrl_interface=/var/run/wpa_supplicant,gid=106]: Operation not permitted"
	asked := map[string]int{}
	e.UnitFailure = func(_ context.Context, u string) *units.Failure {
		asked[u]++
		if u == unit {
			return &units.Failure{Result: "start-limit-hit", LastLine: line}
		}
		return nil
	}
	// Running units are not asked about.
	out := &bytes.Buffer{}
	e.Out = out
	if err := e.Status(context.Background(), nil, true); err != nil || len(asked) != 0 {
		t.Fatalf("converged: %v; asked the journal about %v\n%s", err, asked, out)
	}
	delete(rec.Units, unit)
	out.Reset()
	if err := e.Status(context.Background(), nil, true); !errors.Is(err, errNotConverged) {
		t.Fatalf("--status --json with a failed unit: %v, want exit 1", err)
	}
	var doc StatusDoc
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	m := doc.Masters[0]
	var got *UnitStatus
	for i := range m.Units {
		if m.Units[i].Name == unit {
			got = &m.Units[i]
		}
	}
	if m.State != "failed" || got == nil || got.Result != "start-limit-hit" || got.LastLine != line ||
		got.Active != "" || got.Role != "bond-dhcp4" || got.Interface != "bond0" {
		t.Errorf("failed unit in JSON: state %s, %+v\n%s", m.State, got, out)
	}
	out.Reset()
	if err := e.Status(context.Background(), nil, false); !errors.Is(err, errNotConverged) {
		t.Fatalf("--status with a failed unit: %v, want exit 1", err)
	}
	for _, want := range []string{"  failed:    " + unit + ": start-limit-hit: " + line + "\n", "  state:     failed\n", "README \"Sandboxing\""} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, out)
		}
	}
}
