// SPDX-License-Identifier: Apache-2.0

package record

import (
	"encoding/json"
	"net/netip"
	"reflect"
	"testing"

	"github.com/bond-hotplug/bond-hotplug/lib/config"
)

// Clone copies every field, and shares nothing the run changes later: the record as
// last written must not change with the one the run changes.
func TestCloneIsDeep(t *testing.T) {
	r := &Record{
		Master: "bond0", Kind: "bond", Up: true, Created: true, Index: 7, Primary: "eth0",
		Slaves: []string{"eth0", "wlan0"},
		Addrs:  []netip.Prefix{netip.MustParsePrefix("10.0.0.2/24")},
		Routes: []config.Route{{Dst: netip.MustParsePrefix("10.1.0.0/16"), Via: netip.MustParseAddr("10.0.0.1"), Text: "10.1.0.0/16 via 10.0.0.1"}},
		Units:  map[string][]string{"bond-dhcp4@bond0.service": {"/bin/bond-hotplug", "--supervise"}},
	}
	// Every field set: a field added later is part of this test.
	v := reflect.ValueOf(*r)
	for i := 0; i < v.NumField(); i++ {
		if v.Field(i).IsZero() {
			t.Fatalf("the test's record leaves %s unset", v.Type().Field(i).Name)
		}
	}
	c := r.Clone()
	if !reflect.DeepEqual(c, r) {
		t.Fatalf("clone %+v differs from %+v", c, r)
	}
	// The same as the JSON round trip the runs used before, for a record as read.
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var j Record
	if err := json.Unmarshal(b, &j); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c, &j) {
		t.Errorf("clone %+v differs from the JSON round trip %+v", c, &j)
	}
	c.Slaves[0], c.Addrs[0], c.Routes[0].Metric = "x", netip.Prefix{}, 5
	c.Units["bond-dhcp4@bond0.service"][0] = "x"
	c.Units["other"] = nil
	if r.Slaves[0] != "eth0" || !r.Addrs[0].IsValid() || r.Routes[0].Metric != 0 ||
		r.Units["bond-dhcp4@bond0.service"][0] != "/bin/bond-hotplug" || len(r.Units) != 1 {
		t.Errorf("changing the clone changed the original: %+v", r)
	}
	if (*Record)(nil).Clone() != nil {
		t.Errorf("a nil record's clone is not nil")
	}
}
