// SPDX-License-Identifier: Apache-2.0

package config

import (
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"testing"
)

func TestSplitKeyTakesTheLongestSuffix(t *testing.T) {
	for _, tc := range []struct{ key, prefix, suffix string }{
		{"bond0PRIMARY", "bond0", "PRIMARY"},
		{"bond0PRIMARY_RESELECT", "bond0", "PRIMARY_RESELECT"},
		{"bond0DHCP", "bond0", "DHCP"},
		{"bond0DHCP6", "bond0", "DHCP6"},
		{"bond0DHCP_CLIENT", "bond0", "DHCP_CLIENT"},
		{"bond0DHCP6_CLIENT", "bond0", "DHCP6_CLIENT"},
		{"wlp2s0SUPPLICANT", "wlp2s0", "SUPPLICANT"},
		{"wlp2s0SUPPLICANT_CONF", "wlp2s0", "SUPPLICANT_CONF"},
		{"wl_a0ADDRS", "wl_a0", "ADDRS"},
		{"eth0.100SLAVES", "eth0.100", "SLAVES"},
	} {
		prefix, st, ok := splitKey(tc.key)
		if !ok || prefix != tc.prefix || st.suffix != tc.suffix {
			t.Errorf("splitKey(%q) = %q %q %v, want %q %q", tc.key, prefix, st.suffix, ok, tc.prefix, tc.suffix)
		}
	}
}

func TestSuggestions(t *testing.T) {
	for key, want := range map[string]string{
		"bond0PRIMRY":             "bond0PRIMARY",
		"bond0SLAVE":              "bond0SLAVES",
		"bond0ADDR":               "bond0ADDRS",
		"bond0ROUTE":              "bond0ROUTES",
		"bond0MIIMOM":             "bond0MIIMON",
		"bond0FAILOVER_MAC":       "bond0FAIL_OVER_MAC",
		"bond0DHCP4":              "bond0DHCP",
		"wlp2s0SUPPLICANT_CONFIG": "wlp2s0SUPPLICANT_CONF",
		"bond0mode":               "bond0MODE",
		"bond0XYZZY":              "",
	} {
		if got := suggestKey(key); got != want {
			t.Errorf("suggestKey(%q) = %q, want %q", key, got, want)
		}
	}
}

// master returns bond0 (or the only master) of a config that must parse.
func master(t *testing.T, src string) *Master {
	t.Helper()
	c := mustParse(t, src)
	names := c.MasterNames()
	if len(names) != 1 {
		t.Fatalf("masters %v", names)
	}
	return c.Masters[names[0]]
}

func TestEveryMasterKeyAcceptsItsValues(t *testing.T) {
	const base = "bond0SLAVES='enp3s0 wl*'\n"
	for _, tc := range []struct {
		line  string
		check func(m *Master) any // returns the observed value
		want  any
	}{
		{"bond0PRIMARY=enp3s0", func(m *Master) any { return m.Primary }, "enp3s0"},
		{"bond0PRIMARY=", func(m *Master) any { return m.Primary }, ""},
		{"", func(m *Master) any { return m.Slaves }, []string{"enp3s0", "wl*"}},
		{"bond0ADDRS='192.168.0.2/24 fd00::2/64'", func(m *Master) any { return m.Addrs }, []netip.Prefix{netip.MustParsePrefix("192.168.0.2/24"), netip.MustParsePrefix("fd00::2/64")}},
		{"bond0ADDRS=", func(m *Master) any { return m.Addrs }, []netip.Prefix(nil)},
		{`bond0ROUTES='"default via 192.168.0.1"'`, func(m *Master) any { return len(m.Routes) }, 1},
		{"bond0ROUTES=", func(m *Master) any { return len(m.Routes) }, 0},
		{"", func(m *Master) any { return m.Bond.Mode }, "active-backup"},
		{"bond0MODE=balance-rr", func(m *Master) any { return m.Bond.Mode }, "balance-rr"},
		{"bond0MODE=4", func(m *Master) any { return m.Bond.Mode }, "802.3ad"},
		{"bond0MODE=6", func(m *Master) any { return m.Bond.Mode }, "balance-alb"},
		{"bond0MODE=Broadcast", func(m *Master) any { return m.Bond.Mode }, "broadcast"},
		{"", func(m *Master) any { return m.Bond.Miimon }, 100},
		{"bond0MIIMON=0", func(m *Master) any { return m.Bond.Miimon }, 0},
		{"bond0MIIMON=2147483647", func(m *Master) any { return m.Bond.Miimon }, 2147483647},
		{"", func(m *Master) any { return m.Bond.FailOverMAC }, "active"},
		{"bond0FAIL_OVER_MAC=follow", func(m *Master) any { return m.Bond.FailOverMAC }, "follow"},
		{"bond0FAIL_OVER_MAC=0", func(m *Master) any { return m.Bond.FailOverMAC }, "none"},
		{"", func(m *Master) any { return m.Bond.PrimaryReselect }, "always"},
		{"bond0PRIMARY_RESELECT=better", func(m *Master) any { return m.Bond.PrimaryReselect }, "better"},
		{"bond0PRIMARY_RESELECT=2", func(m *Master) any { return m.Bond.PrimaryReselect }, "failure"},
		{"bond0UPDELAY=200", func(m *Master) any { return m.Bond.Updelay }, 200},
		{"bond0DOWNDELAY=300", func(m *Master) any { return m.Bond.Downdelay }, 300},
		{"bond0MIIMON=0\nbond0UPDELAY=0", func(m *Master) any { return m.Bond.Updelay }, 0},
		{"", func(m *Master) any { return m.DHCP4 }, DHCP{true, "dhclient"}},
		{"bond0DHCP=no", func(m *Master) any { return m.DHCP4.Enabled }, false},
		{"bond0DHCP=off", func(m *Master) any { return m.DHCP4.Enabled }, false},
		{"bond0DHCP=0", func(m *Master) any { return m.DHCP4.Enabled }, false},
		{"bond0DHCP=True", func(m *Master) any { return m.DHCP4.Enabled }, true},
		{"bond0DHCP_CLIENT=dhcpcd", func(m *Master) any { return m.DHCP4.Client }, "dhcpcd"},
		{"", func(m *Master) any { return m.DHCP6 }, DHCP{true, "dhcp6c"}},
		{"bond0DHCP6=false", func(m *Master) any { return m.DHCP6.Enabled }, false},
		{"bond0DHCP6_CLIENT=dhclient", func(m *Master) any { return m.DHCP6.Client }, "dhclient"},
		{"bond0DHCP6_CLIENT=dhcpcd", func(m *Master) any { return m.DHCP6.Client }, "dhcpcd"},
	} {
		name := tc.line
		if name == "" {
			name = "default"
		}
		t.Run(fmt.Sprintf("%s gives %v", name, tc.want), func(t *testing.T) {
			m := master(t, base+tc.line+"\n")
			if got := tc.check(m); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %#v, want %#v", got, tc.want)
			}
		})
	}
}

func TestEveryKeyRejectsBadValues(t *testing.T) {
	const base = "bond0SLAVES='enp3s0 wl*'\n"
	for _, tc := range []struct{ line, want string }{
		{"bond0PRIMARY=wl*", "contains '*'"},
		{"bond0PRIMARY=bond0", "cannot be bond0 itself"},
		{"bond1SLAVES='eth0 *'", "matches the master bond1 itself"},
		{"bond1SLAVES='eth0 [!'", "not a valid glob"},
		{"bond1SLAVES='eth0 a!b'", "only allowed inside a [...] class"},
		{"bond1SLAVES='eth0 .'", `"." is not a valid interface name`},
		{"bond1SLAVES='eth0 ..'", `".." is not a valid interface name`},
		{"bond1SLAVES='eth0 a:b'", "':'"},
		{"bond0ADDRS='fe80::1%eth0/64'", "not ADDRESS/LENGTH"},
		{"bond0ADDRS='0.0.0.0/8'", "unspecified"},
		{"bond0ADDRS='224.0.0.1/4'", "multicast"},
		{"bond0ADDRS='192.168.0.2/24,10.0.0.1/8'", "not ADDRESS/LENGTH"},
		{"bond0ADDRS=192.168.0.2/-1", "not ADDRESS/LENGTH"},
		{`bond0ROUTES='"default via"'`, "via needs a value"},
		{`bond0ROUTES='""'`, "empty route"},
		{`bond0ROUTES='"default`, "unterminated single quote"},
		{`bond0ROUTES='"default via 10.0.0.1'`, "unterminated double quote in routes"},
		{`bond0ROUTES='"default via 10.0.0.1""10.0.0.0/8"'`, "right after the quoted route"},
		{"bond0MODE=7", "unknown bonding mode"},
		{"bond0MODE=active_backup", "unknown bonding mode"},
		{"bond0MIIMON=+100", "not a whole number"},
		{"bond0MIIMON=1e3", "not a whole number"},
		{"bond0MIIMON=99999999999999999999", "out of range"},
		{"bond0FAIL_OVER_MAC=3", "unknown fail_over_mac value"},
		{"bond0FAIL_OVER_MAC=yes", "unknown fail_over_mac value"},
		{"bond0PRIMARY_RESELECT=never", "unknown primary_reselect value"},
		{"bond0UPDELAY=-1", "not a whole number"},
		{"bond0UPDELAY=50", "not a multiple"},
		{"bond0DOWNDELAY=1.5", "not a whole number"},
		{"bond0DHCP=maybe", "not yes or no"},
		{"bond0DHCP_CLIENT=udhcpc", "unknown DHCP client"},
		{"bond0DHCP6=2", "not yes or no"},
		{"bond0DHCP6_CLIENT=odhcp6c", "unknown DHCPv6 client"},
		{"wlp2s0SUPPLICANT=always", "expected auto, yes or no"},
		{"wlp2s0SUPPLICANT_CONF=etc/wpa.conf", "not an absolute path"},
		{`wlp2s0SUPPLICANT_CONF="/etc/wpa\n.conf"`, "NUL or newline"},
		{"bond0SUPPLICANT_CONF=/etc/wpa.conf", "which is a master"},
	} {
		t.Run(tc.line+" is rejected", func(t *testing.T) {
			list := mustFail(t, base+tc.line+"\n")
			if findError(list, 2, tc.want) == nil {
				t.Errorf("want an error at line 2 containing %q; got:\n%v", tc.want, list)
			}
		})
	}
}

func TestEmptyValuesMeanNotSet(t *testing.T) {
	c := mustParse(t, `bond0SLAVES=enp3s0
bond0MODE=
bond0MIIMON=''
bond0PRIMARY=""
bond0DHCP=
wlp2s0ADDRS=
wlp2s0ROUTES=
wlp2s0MODE=
wlp2s0SUPPLICANT=
wlp2s0SUPPLICANT_CONF=
br0PRIMARY=
`)
	m, _ := c.Master("bond0")
	if m.Bond.Mode != DefaultMode || m.Bond.Miimon != DefaultMiimon || m.Primary != "" || !m.DHCP4.Enabled {
		t.Errorf("bond0 = %+v", m)
	}
	if m.Line["MODE"] != 2 {
		t.Errorf("the line of an empty setting is still recorded: %v", m.Line)
	}
	if got := c.MasterNames(); !slices.Equal(got, []string{"bond0"}) {
		t.Errorf("empty settings made a master: %v", got)
	}
	if i := c.IfaceFor("wlp2s0"); i.Supplicant != SupplicantAuto || i.SupplicantConf != DefaultSupplicantConf {
		t.Errorf("wlp2s0 = %+v", i)
	}
}

func TestBridgesTakeNoBondingOptions(t *testing.T) {
	for _, key := range []string{"MODE=1", "MIIMON=100", "FAIL_OVER_MAC=active", "PRIMARY_RESELECT=always", "UPDELAY=0", "DOWNDELAY=0", "PRIMARY=eth0"} {
		t.Run("br0"+key+" is rejected", func(t *testing.T) {
			list := mustFail(t, "br0SLAVES=eth0\nbr0"+key+"\n")
			if findError(list, 2, "br0") == nil {
				t.Errorf("got %v", list)
			}
		})
	}
	m := master(t, "br0SLAVES='eth0 eth1'\nbr0ADDRS='10.0.0.1/24'\nbr0DHCP=no\nbr0DHCP6_CLIENT=dhcpcd\n")
	if m.Kind != KindBridge || m.Primary != "" || m.DHCP4.Enabled || m.DHCP6.Client != "dhcpcd" {
		t.Errorf("br0 = %+v", m)
	}
}

func TestNamesThatAreValid(t *testing.T) {
	for _, name := range []string{"eth0", "enp3s0", "wl-a0", "bond_1", "eth0.100", "abcdefghijklmno", "a", "..a", "-"} {
		if err := checkName(name); err != nil {
			t.Errorf("checkName(%q): %v", name, err)
		}
	}
	for _, name := range []string{"", ".", "..", "abcdefghijklmnop", "a/b", "a b", "a:b", "a\tb", "a;b", "$(x)", "`x`", "é", "a*", "a\x00b"} {
		if err := checkName(name); err == nil {
			t.Errorf("checkName(%q) accepted it", name)
		}
	}
}

func TestSlavePatternsAreStoredInPathMatchSyntax(t *testing.T) {
	m := master(t, "bond0SLAVES='enp3s0 wl* usb[0-9] tap[!x]? veth[^a-c]*'\n")
	want := []string{"enp3s0", "wl*", "usb[0-9]", "tap[^x]?", "veth[^a-c]*"}
	if !slices.Equal(m.Slaves, want) {
		t.Errorf("slaves %q, want %q", m.Slaves, want)
	}
}
