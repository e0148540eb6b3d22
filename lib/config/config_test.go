// SPDX-License-Identifier: Apache-2.0

package config

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestSeedFileLoadsVerbatim(t *testing.T) {
	data, err := os.ReadFile("testdata/seed-network.conf")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse("testdata/seed-network.conf", data)
	if err != nil {
		t.Fatalf("the seed's network.conf must load: %v", err)
	}
	if got := c.MasterNames(); !slices.Equal(got, []string{"bond0"}) {
		t.Fatalf("masters = %v, want [bond0]", got)
	}
	m, _ := c.Master("bond0")
	want := &Master{
		Name:    "bond0",
		Kind:    KindBond,
		Slaves:  []string{"enp3s0"},
		Primary: "enp3s0",
		Bond:    BondOptions{Mode: "active-backup", Miimon: 100, FailOverMAC: "active", PrimaryReselect: "always"},
		Addrs:   []netip.Prefix{netip.MustParsePrefix("192.168.0.2/24")},
		DHCP4:   DHCP{Enabled: true, Client: "dhclient"},
		DHCP6:   DHCP{Enabled: true, Client: "dhcp6c"},
		Line:    map[string]int{"PRIMARY": 8, "ADDRS": 13, "ROUTES": 21},
	}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("bond0 =\n%+v\nwant\n%+v", m, want)
	}
	wantWarn := []string{"testdata/seed-network.conf:8: bond0SLAVES not set: only the primary enp3s0 will be enslaved (the seed enabled slaves with hard-linked units; list them in bond0SLAVES)"}
	if !slices.Equal(c.Warnings, wantWarn) {
		t.Errorf("warnings = %q, want %q", c.Warnings, wantWarn)
	}
	for _, name := range []string{"wlp2s0", "enp3s0"} {
		if _, ok := c.Ifaces[name]; !ok {
			t.Errorf("the seed's empty %sADDRS should record %s as a slave interface", name, name)
		}
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

// The example installed as /etc/conf.d/network.conf configures nothing (issue 19.2:
// installing the package must not take NetworkManager's devices away).
func TestExampleConfigAsInstalledConfiguresNoMaster(t *testing.T) {
	c, err := Load("../../env/network.conf", Options{AllowInsecure: true})
	if err != nil {
		t.Fatalf("env/network.conf: %v", err)
	}
	if len(c.Masters) != 0 || len(c.Ifaces) != 0 {
		t.Errorf("the example as installed configures masters %v, interfaces %v", c.MasterNames(), c.Ifaces)
	}
	if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "no masters are configured") {
		t.Errorf("warnings: %q", c.Warnings)
	}
}

// exampleLines are the example's bond0 settings, commented out as installed; a user
// who removes the '#' gets the example's bond0.
var exampleLines = []string{"bond0PRIMARY='enp3s0'", "bond0SLAVES='enp3s0 wl*'", "bond0ADDRS='192.168.0.2/24'",
	"wlp2s0ADDRS=", "enp3s0ADDRS=", "bond0ROUTES=", "bond0DHCP='yes'", "bond0DHCP6='yes'"}

func TestExampleConfigUncommentedLoadsWithoutErrorsOrWarnings(t *testing.T) {
	b, err := os.ReadFile("../../env/network.conf")
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	for _, l := range exampleLines {
		if !strings.Contains(text, "\n#"+l+"\n") {
			t.Fatalf("env/network.conf has no line #%s", l)
		}
		text = strings.Replace(text, "\n#"+l+"\n", "\n"+l+"\n", 1)
	}
	f := filepath.Join(t.TempDir(), "network.conf")
	if err := os.WriteFile(f, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Load(f, Options{AllowInsecure: true})
	if err != nil {
		t.Fatalf("env/network.conf uncommented: %v", err)
	}
	if len(c.Warnings) != 0 {
		t.Errorf("warnings: %q", c.Warnings)
	}
	m, ok := c.Master("bond0")
	if !ok {
		t.Fatal("no bond0")
	}
	if !slices.Equal(m.Slaves, []string{"enp3s0", "wl*"}) || m.Primary != "enp3s0" ||
		!slices.Equal(m.Addrs, []netip.Prefix{netip.MustParsePrefix("192.168.0.2/24")}) || len(m.Routes) != 0 ||
		!m.DHCP4.Enabled || !m.DHCP6.Enabled {
		t.Errorf("bond0 = %+v", m)
	}
	if got, _ := c.MasterOf("wlp2s0"); got != m {
		t.Errorf("wlp2s0 should be a slave of bond0")
	}
}

func TestEmptyFileIsValidButWarns(t *testing.T) {
	c := mustParse(t, "")
	if len(c.Masters) != 0 || len(c.Warnings) != 1 || c.Warnings[0] != "test.conf: file is empty: no masters are configured" {
		t.Errorf("masters %v, warnings %q", c.Masters, c.Warnings)
	}
}

func TestCommentsOnlyFileWarnsThatNoMasterIsConfigured(t *testing.T) {
	c := mustParse(t, "# nothing yet\n\nenp3s0ADDRS=\n")
	if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "no masters are configured") {
		t.Errorf("warnings %q", c.Warnings)
	}
}

func TestMasterWithoutSlavesOrPrimaryWarns(t *testing.T) {
	c := mustParse(t, "# x\nbr0DHCP=no\n")
	want := "test.conf:2: br0SLAVES not set: no interface will be enslaved"
	if !slices.Equal(c.Warnings, []string{want}) {
		t.Errorf("warnings %q, want %q", c.Warnings, want)
	}
	if m, _ := c.Master("br0"); m.Kind != KindBridge || m.Slaves != nil || m.Bond != (BondOptions{}) {
		t.Errorf("br0 = %+v", m)
	}
}

func TestMasterOf(t *testing.T) {
	c := mustParse(t, `
bond0SLAVES='enp3s0 wl*'
bond1SLAVES='wlan[0-9] usb*'
br0SLAVES='veth? tap[!x]*'
`)
	for _, tc := range []struct{ ifname, want string }{
		{"enp3s0", "bond0"},
		{"wlp2s0", "bond0"},
		{"wlan0", "bond0"}, // both bond0 and bond1 match: first by name
		{"usb0", "bond1"},
		{"veth1", "br0"},
		{"veth12", ""},
		{"tap0", "br0"},
		{"tapx", ""}, // shell negation [!x] works
		{"enp4s0", ""},
		{"bond0", ""}, // a master is never a slave
		{"br0", ""},
	} {
		t.Run(tc.ifname, func(t *testing.T) {
			m, ok := c.MasterOf(tc.ifname)
			got := ""
			if ok {
				got = m.Name
			}
			if got != tc.want {
				t.Errorf("MasterOf(%q) = %q, want %q", tc.ifname, got, tc.want)
			}
		})
	}
}

func TestMasterNamesAreSorted(t *testing.T) {
	c := mustParse(t, "bond1SLAVES=a\nbond0SLAVES=b\nbr0SLAVES=c\nbond10SLAVES=d\n")
	if got := c.MasterNames(); !slices.Equal(got, []string{"bond0", "bond1", "bond10", "br0"}) {
		t.Errorf("MasterNames = %v", got)
	}
	if _, ok := c.Master("bond2"); ok {
		t.Error("Master(bond2) found a master that does not exist")
	}
}

func TestIfaceForFillsDefaultsAndMapsDashes(t *testing.T) {
	c := mustParse(t, "bond0SLAVES='wl*'\nwl_a0SUPPLICANT=yes\nwl_a0SUPPLICANT_CONF=/etc/wpa/a.conf\nwlb0SUPPLICANT=no\n")
	got := c.IfaceFor("wl-a0")
	want := Iface{Key: "wl_a0", Supplicant: SupplicantYes, SupplicantConf: "/etc/wpa/a.conf", Line: map[string]int{"SUPPLICANT": 2, "SUPPLICANT_CONF": 3}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("IfaceFor(wl-a0) = %+v, want %+v", got, want)
	}
	got = c.IfaceFor("wlb0")
	if got.Supplicant != SupplicantNo || got.SupplicantConf != DefaultSupplicantConf {
		t.Errorf("IfaceFor(wlb0) = %+v", got)
	}
	got = c.IfaceFor("wlc0")
	want = Iface{Key: "wlc0", Supplicant: SupplicantAuto, SupplicantConf: DefaultSupplicantConf, Line: map[string]int{}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("IfaceFor(unknown) = %+v, want %+v", got, want)
	}
	got.Line["X"] = 1
	if _, leaked := c.Ifaces["wl_a0"].Line["X"]; leaked {
		t.Error("IfaceFor shares its Line map with the Config")
	}
}

func TestKeyPrefixWritesDashesAsUnderscores(t *testing.T) {
	for in, want := range map[string]string{"bond0": "bond0", "wl-a": "wl_a", "a-b-c": "a_b_c", "x_y": "x_y"} {
		if got := KeyPrefix(in); got != want {
			t.Errorf("KeyPrefix(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestValidateCatchesConfigsBuiltInCode(t *testing.T) {
	good := func() *Config {
		return &Config{Path: "code", Masters: map[string]*Master{"bond0": {
			Name: "bond0", Kind: KindBond, Slaves: []string{"eth0"}, Primary: "eth0",
			Bond:  BondOptions{Mode: "active-backup", Miimon: 100, FailOverMAC: "active", PrimaryReselect: "always"},
			DHCP4: DHCP{true, "dhclient"}, DHCP6: DHCP{true, "dhcp6c"},
		}}}
	}
	if err := good().Validate(); err != nil {
		t.Fatalf("good config: %v", err)
	}
	for _, tc := range []struct {
		name   string
		change func(c *Config)
	}{
		{"a wrong kind", func(c *Config) { c.Masters["bond0"].Kind = KindBridge }},
		{"a name stored under another key", func(c *Config) { c.Masters["bond0"].Name = "bond1" }},
		{"an unknown mode", func(c *Config) { c.Masters["bond0"].Bond.Mode = "fast" }},
		{"an updelay that is not a multiple of miimon", func(c *Config) { c.Masters["bond0"].Bond.Updelay = 150 }},
		{"a primary outside the slaves", func(c *Config) { c.Masters["bond0"].Primary = "eth1" }},
		{"a slave pattern matching the master", func(c *Config) { c.Masters["bond0"].Slaves = []string{"eth0", "*"} }},
		{"a masked-out invalid route", func(c *Config) {
			c.Masters["bond0"].Routes = []Route{{Dst: netip.MustParsePrefix("10.0.0.1/8")}}
		}},
		{"an onlink route without a gateway", func(c *Config) {
			c.Masters["bond0"].Routes = []Route{{Dst: netip.MustParsePrefix("10.0.0.0/8"), OnLink: true}}
		}},
		{"a duplicate address", func(c *Config) {
			p := netip.MustParsePrefix("10.0.0.1/8")
			c.Masters["bond0"].Addrs = []netip.Prefix{p, p}
		}},
		{"an unknown DHCP client", func(c *Config) { c.Masters["bond0"].DHCP4.Client = "udhcpc" }},
		{"a relative supplicant conf", func(c *Config) {
			c.Ifaces = map[string]*Iface{"eth0": {Key: "eth0", SupplicantConf: "wpa.conf"}}
		}},
		{"bonding options on a bridge", func(c *Config) {
			m := c.Masters["bond0"]
			delete(c.Masters, "bond0")
			m.Name, m.Kind, m.Primary = "br0", KindBridge, ""
			c.Masters["br0"] = m
		}},
		// Values the parser normalizes or splits: a Config holding them could not
		// have come from a file.
		{"a slave pattern with a space (the file would read two)", func(c *Config) { c.Masters["bond0"].Slaves = []string{"eth0", "wl a"} }},
		{"a bonding mode by number (the file reads it as a name)", func(c *Config) { c.Masters["bond0"].Bond.Mode = "1" }},
		{"an empty DHCPv6 client", func(c *Config) { c.Masters["bond0"].DHCP6.Client = "" }},
		{"a zero address", func(c *Config) { c.Masters["bond0"].Addrs = []netip.Prefix{{}} }},
		{"a multicast address", func(c *Config) { c.Masters["bond0"].Addrs = []netip.Prefix{netip.MustParsePrefix("224.0.0.1/4")} }},
		{"a primary on a bridge", func(c *Config) {
			m := c.Masters["bond0"]
			delete(c.Masters, "bond0")
			m.Name, m.Kind, m.Bond = "br0", KindBridge, BondOptions{}
			c.Masters["br0"] = m
		}},
		{"an unknown supplicant mode", func(c *Config) {
			c.Ifaces = map[string]*Iface{"wl0": {Key: "wl0", Supplicant: "maybe"}}
		}},
		{"an interface key with a dash", func(c *Config) {
			c.Ifaces = map[string]*Iface{"wl-0": {Key: "wl-0", Supplicant: SupplicantNo}}
		}},
		{"a nil master", func(c *Config) { c.Masters["bond1"] = nil }},
	} {
		t.Run("rejects "+tc.name, func(t *testing.T) {
			c := good()
			tc.change(c)
			err := c.Validate()
			if err == nil {
				t.Fatal("Validate accepted it")
			}
			t.Log(err)
		})
	}
}

// Validate has no rules of its own about values: it reads them back through the
// parser, so it says what Parse says about the same value.
func TestValidateSaysWhatParseSays(t *testing.T) {
	list := mustFail(t, "bond0SLAVES='eth0'\nbond0MODE='fast'\n")
	c := &Config{Path: testPath, Masters: map[string]*Master{"bond0": {
		Name: "bond0", Kind: KindBond, Slaves: []string{"eth0"},
		Bond:  BondOptions{Mode: "fast", Miimon: 100, FailOverMAC: "active", PrimaryReselect: "always"},
		DHCP4: DHCP{true, "dhclient"}, DHCP6: DHCP{true, "dhcp6c"},
		Line: map[string]int{"SLAVES": 1, "MODE": 2},
	}}}
	err := c.Validate()
	var got ErrorList
	if !errors.As(err, &got) || len(got) != 1 || len(list) != 1 {
		t.Fatalf("Parse: %v\nValidate: %v", list, err)
	}
	if got[0].Msg != list[0].Msg || got[0].Line != list[0].Line {
		t.Errorf("Validate says %d: %q, Parse says %d: %q", got[0].Line, got[0].Msg, list[0].Line, list[0].Msg)
	}
}

// Every field a file can set has its entry in settings: a field that no getMaster or
// getIface returns would be a key Validate cannot check and Parse cannot fill.
func TestEverySettableFieldHasASetting(t *testing.T) {
	structural := map[string]bool{"Name": true, "Kind": true, "Line": true, "Key": true}
	for _, tc := range []struct {
		typ  reflect.Type
		gets func(v reflect.Value) []any
	}{
		{reflect.TypeFor[Master](), allGets(func(st setting) func(*Master) any { return st.getMaster })},
		{reflect.TypeFor[Iface](), allGets(func(st setting) func(*Iface) any { return st.getIface })},
	} {
		leaves := leafFields(tc.typ, nil)
		for _, path := range leaves {
			if structural[tc.typ.FieldByIndex(path[:1]).Name] {
				continue
			}
			zero := reflect.New(tc.typ).Elem()
			changed := reflect.New(tc.typ).Elem()
			setNonZero(t, changed.FieldByIndex(path))
			if reflect.DeepEqual(tc.gets(zero), tc.gets(changed)) {
				t.Errorf("%s.%s: no setting in keys.go returns it", tc.typ.Name(), fieldPath(tc.typ, path))
			}
		}
	}
}

// allGets returns, for a *T held in v, what every setting's get of that type reads.
func allGets[T any](get func(setting) func(*T) any) func(v reflect.Value) []any {
	return func(v reflect.Value) []any {
		p := v.Addr().Interface().(*T)
		var out []any
		for _, st := range settings {
			if g := get(st); g != nil {
				out = append(out, g(p))
			}
		}
		return out
	}
}

func leafFields(t reflect.Type, prefix []int) [][]int {
	var out [][]int
	for i := range t.NumField() {
		f := t.Field(i)
		path := append(slices.Clone(prefix), i)
		if f.Type.Kind() == reflect.Struct && f.Type.PkgPath() == t.PkgPath() {
			out = append(out, leafFields(f.Type, path)...)
			continue
		}
		out = append(out, path)
	}
	return out
}

func fieldPath(t reflect.Type, path []int) string {
	var names []string
	for _, i := range path {
		f := t.Field(i)
		names = append(names, f.Name)
		t = f.Type
	}
	return strings.Join(names, ".")
}

func setNonZero(t *testing.T, v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString("x")
	case reflect.Int:
		v.SetInt(1)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
	default:
		t.Fatalf("setNonZero: add %s", v.Kind())
	}
}
