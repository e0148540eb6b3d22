// SPDX-License-Identifier: Apache-2.0

package netns_test

// A stable text picture of a namespace, for before/after comparisons.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"sort"
	"strings"
	"testing"
	"time"
)

// volatile are keys of `ip -j` output that change by themselves over time.
func volatile(key string) bool {
	return strings.HasSuffix(key, "_timer") || strings.HasSuffix(key, "_life_time") ||
		key == "expires" || key == "stats" || key == "stats64"
}

func stripVolatile(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if volatile(k) {
				delete(x, k)
			} else {
				x[k] = stripVolatile(e)
			}
		}
		// iproute2 shows M-DOWN when the *peer* (IFLA_LINK) is down: it is the other
		// device's state, which that device's own line already records.
		if flags, ok := x["flags"].([]any); ok {
			kept := []any{}
			for _, f := range flags {
				if f != "M-DOWN" {
					kept = append(kept, f)
				}
			}
			x["flags"] = kept
		}
	case []any:
		for i, e := range x {
			x[i] = stripVolatile(e)
		}
	}
	return v
}

func canon(v any) string {
	b, err := json.Marshal(stripVolatile(v)) // maps marshal with sorted keys
	if err != nil {
		panic(err)
	}
	return string(b)
}

func ipJSON(t *testing.T, ns *testNS, args ...string) []map[string]any {
	t.Helper()
	full := append([]string{"-n", ns.Name, "-j"}, args...)
	out, err := exec.Command("ip", full...).Output()
	if err != nil {
		t.Fatalf("ip %s: %v", strings.Join(full, " "), err)
	}
	var v []map[string]any
	if len(bytes.TrimSpace(out)) == 0 {
		return nil
	}
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("ip %s: %v\n%s", strings.Join(full, " "), err, out)
	}
	return v
}

// dump is a stable text picture of the namespace: every link (with its details:
// kind, master, flags, MAC, ifindex, port state), every address and every route of
// every table, one sorted line each, without the fields that tick by themselves.
// Equal dumps mean nothing was created, deleted or changed.
//
// The kernel finishes IPv6 duplicate address detection (off in our namespaces, but
// still done in a work queue) after an address is added, which clears "tentative" and
// adds a local route by itself; dump waits for that (up to settleTimeout) so that the
// picture does not change under a comparison.
func dump(t *testing.T, ns *testNS) string {
	t.Helper()
	deadline := time.Now().Add(settleTimeout)
	for {
		d := rawDump(t, ns)
		if !strings.Contains(d, `"tentative":true`) || time.Now().After(deadline) {
			return d
		}
		time.Sleep(50 * time.Millisecond)
	}
}

const settleTimeout = 5 * time.Second

func rawDump(t *testing.T, ns *testNS) string {
	t.Helper()
	var lines []string
	for _, l := range ipJSON(t, ns, "-d", "link", "show") {
		lines = append(lines, fmt.Sprintf("link %v %s", l["ifname"], canon(l)))
	}
	for _, l := range ipJSON(t, ns, "addr", "show") {
		infos, _ := l["addr_info"].([]any)
		for _, a := range infos {
			lines = append(lines, fmt.Sprintf("addr %v %s", l["ifname"], canon(a)))
		}
	}
	for _, r := range ipJSON(t, ns, "route", "show", "table", "all") {
		lines = append(lines, "route "+canon(r))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n") + "\n"
}

// dumpOf keeps the lines of a dump about one interface.
func dumpOf(d, ifname string) string {
	var out []string
	for _, line := range strings.Split(d, "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && (f[0] == "link" || f[0] == "addr") && f[1] == ifname ||
			len(f) >= 1 && f[0] == "route" && strings.Contains(line, `"dev":"`+ifname+`"`) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

// assertSameDump fails with the differing lines when two dumps differ.
func assertSameDump(t *testing.T, what, before, after string) {
	t.Helper()
	if before == after {
		return
	}
	b, a := map[string]bool{}, map[string]bool{}
	for _, l := range strings.Split(before, "\n") {
		b[l] = true
	}
	for _, l := range strings.Split(after, "\n") {
		a[l] = true
	}
	var diff []string
	for _, l := range strings.Split(before, "\n") {
		if !a[l] {
			diff = append(diff, "- "+l)
		}
	}
	for _, l := range strings.Split(after, "\n") {
		if !b[l] {
			diff = append(diff, "+ "+l)
		}
	}
	t.Errorf("%s changed the namespace:\n%s", what, strings.Join(diff, "\n"))
}
