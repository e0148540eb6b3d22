// SPDX-License-Identifier: Apache-2.0

package netns_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// statusDoc is the part of `bond-up --status --json` (schema 1) these tests read; the
// whole document is pinned by lib/app's golden files.
type statusDoc struct {
	Schema  int `json:"schema"`
	Version struct {
		Go string `json:"go"`
	} `json:"version"`
	Masters []struct {
		Name    string `json:"name"`
		Kind    string `json:"kind"`
		State   string `json:"state"`
		Active  string `json:"active_slave"`
		Pending []string
		Slaves  []struct {
			Name    string `json:"name"`
			Carrier bool   `json:"carrier"`
			Active  bool   `json:"active"`
		} `json:"slaves"`
		Addresses []struct {
			Address string `json:"address"`
		} `json:"addresses"`
	} `json:"masters"`
}

func statusJSON(t *testing.T, ns *testNS, conf string, wantCode int) statusDoc {
	t.Helper()
	out, errOut, code := run(t, ns, nil, upBin, "--status", "--json", "-c", conf)
	if code != wantCode {
		t.Fatalf("bond-up --status --json: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, wantCode, out, errOut)
	}
	var d statusDoc
	dec := json.NewDecoder(strings.NewReader(out))
	if err := dec.Decode(&d); err != nil || dec.More() {
		t.Fatalf("bond-up --status --json: not exactly one JSON document (%v):\n%s", err, out)
	}
	if d.Schema != 1 || d.Version.Go == "" || len(d.Masters) != 1 || d.Masters[0].Name != "br0" {
		t.Fatalf("bond-up --status --json: %s", out)
	}
	return d
}

// Issue 10: --status --json on the real binary and a real bridge, through the
// states a status bar sees, with the documented exit status (0 converged with a port
// that carries, 1 absent/degraded/pending, 2 bad arguments or configuration).
func TestStatusJSON(t *testing.T) {
	t.Parallel()
	ns := newNS(t)
	mustVeth(t, ns, "veth0", "peer0")
	conf := writeConfig(t, ns, brConf+noDHCP)

	if d := statusJSON(t, ns, conf, 1); d.Masters[0].State != "absent" || len(d.Masters[0].Pending) == 0 {
		t.Errorf("before bond-up: %+v, want absent with pending actions", d.Masters[0])
	}
	mustRun(t, ns, nil, upBin, "-c", conf)
	// veth0's peer is down: veth0 has no carrier, so nothing carries traffic.
	if d := statusJSON(t, ns, conf, 1); d.Masters[0].State != "degraded" || d.Masters[0].Active != "" {
		t.Errorf("no carrier: %+v, want degraded", d.Masters[0])
	}
	peer := ns.mustLink(t, "peer0")
	if err := ns.H.LinkSetUp(peer); err != nil {
		t.Fatal(err)
	}
	// Carrier comes a moment after the peer is up: ask until exit 0, at most 5 s.
	for i := 0; i < 100; i++ {
		if _, _, code := run(t, ns, nil, upBin, "--status", "--json", "-c", conf); code == 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	m := statusJSON(t, ns, conf, 0).Masters[0]
	if m.State != "converged" || m.Kind != "bridge" || m.Active != "veth0" || len(m.Slaves) != 1 ||
		!m.Slaves[0].Active || !m.Slaves[0].Carrier || len(m.Addresses) < 2 {
		t.Errorf("converged: %+v", m)
	}

	if out, errOut, code := run(t, ns, nil, upBin, "--json", "-c", conf); code != 2 || out != "" {
		t.Errorf("bond-up --json without --status: exit %d, want 2\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	bad := writeConfig(t, ns, "br0SLAVES='veth*'\nbr0MODE=nonsense\n")
	if out, errOut, code := run(t, ns, nil, upBin, "--status", "--json", "-c", bad); code != 2 || !strings.Contains(errOut, ":2") {
		t.Errorf("bond-up --status --json with a bad config: exit %d, want 2 naming file:line\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}
