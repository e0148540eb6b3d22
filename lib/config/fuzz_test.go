// SPDX-License-Identifier: Apache-2.0

package config

import (
	"errors"
	"os"
	"strings"
	"testing"
)

func FuzzParse(f *testing.F) {
	for _, p := range []string{"testdata/seed-network.conf", "../../env/network.conf"} {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	for _, s := range []string{
		"",
		"bond0SLAVES='enp3s0 wl*'\nbond0PRIMARY=enp3s0\nbond0MIIMON=200\nbond0UPDELAY=400\n",
		"br0SLAVES='veth[!x]* tap?'\nbr0ADDRS='10.0.0.1/24 fd00::1/64'\nbr0ROUTES='\"default via 10.0.0.254 metric 5 table 7\"'\n",
		"export bond1DHCP=\"no\" # c\nwl_a0SUPPLICANT=yes\nwl_a0SUPPLICANT_CONF=/etc/w.conf\n",
		"bond0SLAVES='a b'\r\nbond0SLAVES=c\n\xEF\xBB\xBF",
		"bond0ROUTES='\"fd00::/64 via 10.0.0.1\" x'\nbond0PRIMRY=x\n",
		"x=\"\\q\nK='unterminated\n=v\nnoequals\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("f.conf", data)
		if err != nil {
			if c != nil {
				t.Fatal("config returned with an error")
			}
			var list ErrorList
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("error is not a non-empty ErrorList: %v", err)
			}
			lines := strings.Count(string(data), "\n") + 1
			for _, e := range list {
				if e.Path != "f.conf" || e.Line < 0 || e.Line > lines || e.Msg == "" {
					t.Fatalf("bad error %#v", e)
				}
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("accepted config does not validate: %v\ninput %q", err, data)
		}
		for _, name := range c.MasterNames() {
			if m, ok := c.MasterOf(name); ok {
				t.Fatalf("master %s is a slave of %s", name, m.Name)
			}
		}
	})
}

func FuzzParseRoute(f *testing.F) {
	for _, s := range []string{
		"default", "default via 10.0.0.1", "to default via fd00::1 onlink",
		"10.9.0.0/16 via 10.0.0.254 metric 5", "10.1.2.3", "fd00::/48 src fd00::2 table main",
		"10.0.0.0/8 table 4294967295 metric 4294967295", "10.0.0.1/8", "10.0.0.0/8 via fd00::1",
		"default src ::ffff:10.0.0.1", "10.0.0.0/8 onlink", "x y z",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		r, err := parseRoute(text)
		if err != nil {
			return
		}
		if err := checkRoute(r); err != nil {
			t.Fatalf("accepted route %q fails checkRoute: %v", text, err)
		}
		again, err := parseRoute(r.String())
		if err != nil {
			t.Fatalf("String() %q of %q does not parse: %v", r.String(), text, err)
		}
		again.Text = r.Text
		if again != r {
			t.Fatalf("%q -> %q -> %+v, want %+v", text, r.String(), again, r)
		}
	})
}
