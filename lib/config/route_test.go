// SPDX-License-Identifier: Apache-2.0

package config

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

func TestRoutesThatParse(t *testing.T) {
	p := netip.MustParsePrefix
	a := netip.MustParseAddr
	for _, tc := range []struct {
		text string
		want Route
	}{
		{"default", Route{Dst: p("0.0.0.0/0")}},
		{"default via 10.0.0.1", Route{Dst: p("0.0.0.0/0"), Via: a("10.0.0.1")}},
		{"default via fd00::1", Route{Dst: p("::/0"), Via: a("fd00::1")}},
		{"default src fd00::2", Route{Dst: p("::/0"), Src: a("fd00::2")}},
		{"to default via 10.0.0.1", Route{Dst: p("0.0.0.0/0"), Via: a("10.0.0.1")}},
		{"10.9.0.0/16 via 10.0.0.254 metric 5", Route{Dst: p("10.9.0.0/16"), Via: a("10.0.0.254"), Metric: 5}},
		{"to 10.9.0.0/16 via 10.0.0.254", Route{Dst: p("10.9.0.0/16"), Via: a("10.0.0.254")}},
		{"10.1.2.3 via 10.0.0.1", Route{Dst: p("10.1.2.3/32"), Via: a("10.0.0.1")}},
		{"fd00:1::5", Route{Dst: p("fd00:1::5/128")}},
		{"fd00:1::/48 via fe80::1", Route{Dst: p("fd00:1::/48"), Via: a("fe80::1")}},
		{"10.0.0.0/8 metric 4294967295", Route{Dst: p("10.0.0.0/8"), Metric: 4294967295}},
		{"10.0.0.0/8 metric 0", Route{Dst: p("10.0.0.0/8")}},
		{"10.0.0.0/8 table 100", Route{Dst: p("10.0.0.0/8"), Table: 100}},
		{"10.0.0.0/8 table main", Route{Dst: p("10.0.0.0/8")}},
		{"10.0.0.0/8 table 254", Route{Dst: p("10.0.0.0/8")}},
		{"10.0.0.0/8 table 4294967295", Route{Dst: p("10.0.0.0/8"), Table: 4294967295}},
		{"10.0.0.0/8 via 192.168.1.1 onlink", Route{Dst: p("10.0.0.0/8"), Via: a("192.168.1.1"), OnLink: true}},
		{"10.0.0.0/8 onlink via 192.168.1.1", Route{Dst: p("10.0.0.0/8"), Via: a("192.168.1.1"), OnLink: true}},
		{"10.0.0.0/8 table 7 src 10.0.0.2 metric 9 via 10.0.0.1", Route{Dst: p("10.0.0.0/8"), Via: a("10.0.0.1"), Src: a("10.0.0.2"), Metric: 9, Table: 7}},
		{"  default   via\t10.0.0.1  ", Route{Dst: p("0.0.0.0/0"), Via: a("10.0.0.1")}},
		{"0.0.0.0/0 via 10.0.0.1", Route{Dst: p("0.0.0.0/0"), Via: a("10.0.0.1")}},
		{"::/0 via fe80::1", Route{Dst: p("::/0"), Via: a("fe80::1")}},
	} {
		text := tc.text
		t.Run(text, func(t *testing.T) {
			got, err := parseRoute(text)
			if err != nil {
				t.Fatal(err)
			}
			tc.want.Text = text
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
			again, err := parseRoute(got.String())
			if err != nil {
				t.Fatalf("String() %q does not parse: %v", got.String(), err)
			}
			again.Text = text
			if again != got {
				t.Errorf("String() %q parses to %+v", got.String(), again)
			}
		})
	}
}

func TestRoutesThatAreRejected(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"", "no destination"},
		{"to", "no destination"},
		{"via 10.0.0.1", `destination "via"`},
		{"10.0.0.0 /8", `unknown word "/8"`},
		{"10.0.0.0/33", "not PREFIX/LENGTH"},
		{"fd00::/129", "not PREFIX/LENGTH"},
		{"10.0.0.1/8", "host bits set (did you mean 10.0.0.0/8?)"},
		{"10.0.0.0/8 via", "via needs a value"},
		{"10.0.0.0/8 via gateway", `gateway "gateway" is not`},
		{"10.0.0.0/8 via fd00::1", "gateway fd00::1 is IPv6 but the destination 10.0.0.0/8 is IPv4"},
		{"fd00::/64 via 10.0.0.1", "gateway 10.0.0.1 is IPv4"},
		{"default via 10.0.0.1 src fd00::2", "source address fd00::2 is IPv6"},
		{"10.0.0.0/8 src fd00::2", "source address fd00::2 is IPv6"},
		{"10.0.0.0/8 via fe80::1%eth0", "is not an IPv4 or IPv6 address"},
		{"10.0.0.0/8 via 0.0.0.0", "not a unicast address"},
		{"10.0.0.0/8 via 224.0.0.1", "not a unicast address"},
		{"10.0.0.0/8 metric -1", "not a decimal number"},
		{"10.0.0.0/8 metric 4294967296", "out of range"},
		{"10.0.0.0/8 metric 0x10", "not a decimal number"},
		{"10.0.0.0/8 metric 1 metric 2", "metric given twice"},
		{"10.0.0.0/8 table 0", "table 0 is not a table"},
		{"10.0.0.0/8 table local", "table local"},
		{"10.0.0.0/8 table 255", "local table"},
		{"10.0.0.0/8 table default", "the only table name allowed is main"},
		{"10.0.0.0/8 table 4294967296", "out of range"},
		{"10.0.0.0/8 onlink", "onlink needs a gateway"},
		{"10.0.0.0/8 dev eth0", `unknown word "dev"`},
		{"10.0.0.0/8 proto static", `unknown word "proto"`},
		{"unreachable 10.0.0.0/8", `destination "unreachable"`},
		{"10.0.0.0/8 via 10.0.0.1 via 10.0.0.2", "via given twice"},
		{"10.0.0.0/8 via 10.0.0.1 onlink onlink", "onlink given twice"},
		{"fe80::/64%eth0", "not PREFIX/LENGTH"},
		{"fe80::1%eth0", "not PREFIX/LENGTH, an address or default"},
	} {
		t.Run(tc.text, func(t *testing.T) {
			_, err := parseRoute(tc.text)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("parseRoute(%q) = %v, want an error containing %q", tc.text, err, tc.want)
			}
		})
	}
}

func TestRoutesValueIsAListOfDoubleQuotedRoutes(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  []string
		bad   string
	}{
		{`"default via 10.0.0.1" "10.9.0.0/16 via 10.0.0.254 metric 5"`, []string{"default via 10.0.0.1", "10.9.0.0/16 via 10.0.0.254 metric 5"}, ""},
		{`  "default"  `, []string{"default"}, ""},
		{"default via 10.0.0.1", []string{"default via 10.0.0.1"}, ""},
		{"   ", nil, ""},
		{`"default" 10.0.0.0/8`, []string{"default"}, "outside double quotes"},
		{`"default" ""`, []string{"default"}, "empty route"},
		{`"default`, nil, "unterminated"},
		{`"default"x`, []string{"default"}, "right after the quoted route"},
	} {
		t.Run(tc.value, func(t *testing.T) {
			got, problems := splitRoutes(tc.value)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("routes %q, want %q", got, tc.want)
			}
			switch {
			case tc.bad == "" && len(problems) > 0:
				t.Errorf("unexpected problems %v", problems)
			case tc.bad != "" && (len(problems) == 0 || !strings.Contains(problems[0].Error(), tc.bad)):
				t.Errorf("problems %v, want %q", problems, tc.bad)
			}
		})
	}
}

func TestRoutesAreStoredWithTheirText(t *testing.T) {
	m := master(t, `bond0SLAVES=enp3s0
bond0ROUTES='"default via 10.0.0.1" "10.9.0.0/16 via 10.0.0.254 metric 5" "fd00:9::/48 via fd00::1 table main"'
`)
	var texts []string
	for _, r := range m.Routes {
		texts = append(texts, r.Text)
	}
	want := []string{"default via 10.0.0.1", "10.9.0.0/16 via 10.0.0.254 metric 5", "fd00:9::/48 via fd00::1 table main"}
	if !reflect.DeepEqual(texts, want) {
		t.Errorf("texts %q, want %q", texts, want)
	}
}

func TestAddressesKeepHostBits(t *testing.T) {
	m := master(t, "bond0SLAVES=enp3s0\nbond0ADDRS='192.168.0.2/24 10.1.2.3/8 fd00::2/64 2001:db8::1/128 172.16.0.1/32'\n")
	var got []string
	for _, a := range m.Addrs {
		got = append(got, a.String())
	}
	want := []string{"192.168.0.2/24", "10.1.2.3/8", "fd00::2/64", "2001:db8::1/128", "172.16.0.1/32"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("addrs %q, want %q", got, want)
	}
}
