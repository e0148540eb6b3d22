// SPDX-License-Identifier: Apache-2.0

package units

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// The seed's file, verbatim (wireless-bonding-wiki.md; also lab/corpus/wpa_supplicant/).
const seedSupplicantConf = `ctrl_interface=/var/run/wpa_supplicant
ctrl_interface_group=wheel
update_config=1
eapol_version=2
ap_scan=1
# fast_reauth=1
country=US

network={
        ssid="MyHome"
        priority=2
        proto=RSN
        group=CCMP
        pairwise=CCMP
        key_mgmt=WPA-PSK
        #psk="SuperSecret"
        psk=404fe69d94ef522ba8e7a0c456a67a583c8f39ba0b29a3ac22ebe9494cf9992b
}
`

func TestSupplicantFilesAreReadForWhatTheyAskOfTheSandbox(t *testing.T) {
	for _, c := range []struct {
		name, text string
		want       supplicantFile
	}{
		{"the seed's file", seedSupplicantConf,
			supplicantFile{CtrlDir: "/var/run/wpa_supplicant", CtrlGroup: "wheel", UpdateConfig: true}},
		{"Debian's DIR= GROUP= form", "ctrl_interface=DIR=/run/wpa_supplicant GROUP=netdev\nupdate_config=0\n",
			supplicantFile{CtrlDir: "/run/wpa_supplicant", CtrlGroup: "netdev"}},
		{"GROUP= wins over ctrl_interface_group", "ctrl_interface_group=wheel\nctrl_interface=DIR=/run/w GROUP=netdev\n",
			supplicantFile{CtrlDir: "/run/w", CtrlGroup: "netdev"}},
		{"DIR= without a group", "ctrl_interface=DIR=/run/wpa_supplicant\n",
			supplicantFile{CtrlDir: "/run/wpa_supplicant"}},
		{"no control interface", "network={\n ssid=\"x\"\n}\n", supplicantFile{}},
		{"indented and commented lines", "  # ctrl_interface=/nope\n\tctrl_interface=/run/x\n#update_config=1\n",
			supplicantFile{CtrlDir: "/run/x"}},
		{"a network's lines are not global", "network={\n\tupdate_config=1\n\tctrl_interface=/evil\n}\ncred={\n\tctrl_interface=/evil\n}\n",
			supplicantFile{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := parseSupplicantFile([]byte(c.text)); got != c.want {
				t.Errorf("got %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestTheSupplicantSandboxGivesBackOnlyWhatItsFileAsks(t *testing.T) {
	same := func(p string) string { return p }
	base := *sandboxFor(RoleWPA, "wlan0")
	for _, c := range []struct {
		name       string
		f          supplicantFile
		caps       []string
		chown      bool
		readWrite  []string
		runtimeDir []string
	}{
		{"no control interface, no update: the base sandbox", supplicantFile{},
			[]string{"CAP_NET_ADMIN", "CAP_NET_RAW"}, false, base.ReadWrite, nil},
		{"the seed's file: /var/run is /run, wheel needs CAP_CHOWN, update_config the file's directory",
			supplicantFile{CtrlDir: "/var/run/wpa_supplicant", CtrlGroup: "wheel", UpdateConfig: true},
			[]string{"CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_CHOWN", "CAP_DAC_OVERRIDE"}, true,
			append(append([]string{}, base.ReadWrite...), "/etc/wpa_supplicant"), []string{"wpa_supplicant"}},
		{"Debian's netdev", supplicantFile{CtrlDir: "/run/wpa_supplicant", CtrlGroup: "netdev"},
			[]string{"CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_CHOWN", "CAP_DAC_OVERRIDE"}, true, base.ReadWrite, []string{"wpa_supplicant"}},
		{"root's group: the chown calls, no CAP_CHOWN", supplicantFile{CtrlDir: "/run/wpa_supplicant", CtrlGroup: "0"},
			[]string{"CAP_NET_ADMIN", "CAP_NET_RAW"}, true, base.ReadWrite, []string{"wpa_supplicant"}},
		{"no group: no chown at all", supplicantFile{CtrlDir: "/run/wpa_supplicant/"},
			[]string{"CAP_NET_ADMIN", "CAP_NET_RAW"}, false, base.ReadWrite, []string{"wpa_supplicant"}},
		{"a directory outside /run is made writable, not created", supplicantFile{CtrlDir: "/var/lib/wpa"},
			[]string{"CAP_NET_ADMIN", "CAP_NET_RAW"}, false, append(append([]string{}, base.ReadWrite...), "-/var/lib/wpa"), nil},
		{"a relative directory is left alone", supplicantFile{CtrlDir: "wpa", CtrlGroup: "netdev"},
			[]string{"CAP_NET_ADMIN", "CAP_NET_RAW"}, false, base.ReadWrite, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := forSupplicantFile(base, "/etc/wpa_supplicant/wpa_supplicant.conf", c.f, same)
			if !reflect.DeepEqual(got.Caps, c.caps) {
				t.Errorf("caps %v, want %v", got.Caps, c.caps)
			}
			if want := c.f.CtrlDir != "" && strings.HasPrefix(c.f.CtrlDir, "/"); got.HostTmp != want {
				t.Errorf("host /tmp %v, want %v (wpa_cli's socket is there)", got.HostTmp, want)
			}
			if got.Chown != c.chown {
				t.Errorf("chown %v, want %v", got.Chown, c.chown)
			}
			if !reflect.DeepEqual(got.ReadWrite, c.readWrite) {
				t.Errorf("read-write %v, want %v", got.ReadWrite, c.readWrite)
			}
			if len(got.SharedRuntimeDirs)+len(c.runtimeDir) > 0 && !reflect.DeepEqual(got.SharedRuntimeDirs, c.runtimeDir) {
				t.Errorf("runtime dirs %v, want %v", got.SharedRuntimeDirs, c.runtimeDir)
			}
		})
	}
	// The base sandbox is not changed by amending a copy of it.
	_ = forSupplicantFile(base, "/etc/w.conf", supplicantFile{CtrlDir: "/run/w", CtrlGroup: "wheel", UpdateConfig: true}, same)
	if fresh := *sandboxFor(RoleWPA, "wlan0"); !reflect.DeepEqual(base, fresh) || !reflect.DeepEqual(sandboxWPA.Caps, []string{"CAP_NET_ADMIN", "CAP_NET_RAW"}) {
		t.Errorf("amending changed the base: %+v", base)
	}
}

// The file is read when the unit starts (Properties): the seed's file, behind a
// symlink as some users keep it, gives the unit CAP_CHOWN, @chown, the control
// directory and the real file's directory; a missing file changes nothing.
func TestPropertiesReadTheSupplicantFileAtStart(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real", "wpa_supplicant.conf")
	if err := os.MkdirAll(filepath.Dir(real), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(real, []byte(seedSupplicantConf), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "wpa_supplicant.conf")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	props := func(conf string) map[string]string {
		s, err := WPA(progs, Card{Name: "wlan0"}, conf)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, p := range mustProps(t, s) {
			out[p.Name] += p.Value.String() + " "
		}
		return out
	}
	got := props(link)
	chown, _ := CapMask([]string{"CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_CHOWN", "CAP_DAC_OVERRIDE"})
	if want := fmt.Sprintf("@t %d ", chown); got["CapabilityBoundingSet"] != want {
		t.Errorf("capabilities %s, want %s", got["CapabilityBoundingSet"], want)
	}
	for prop, want := range map[string]string{"SystemCallFilter": "@chown", "RuntimeDirectory": `"wpa_supplicant"`, "PrivateTmp": "false",
		"ReadWritePaths": `"` + filepath.Dir(real) + `"`, "RuntimeDirectoryPreserve": "yes"} {
		if !strings.Contains(got[prop], want) {
			t.Errorf("%s = %s, lacks %s", prop, got[prop], want)
		}
	}
	missing := props(filepath.Join(dir, "none.conf"))
	if missing["CapabilityBoundingSet"] != "@t 12288 " || strings.Contains(missing["SystemCallFilter"], "@chown") ||
		strings.Contains(missing["RuntimeDirectory"], "wpa_supplicant") || missing["PrivateTmp"] != "true " {
		t.Errorf("a missing file widened the sandbox: %v", missing)
	}
}

// Issue 15: wpa_supplicant reports a refused control interface or a bad file with an
// exit code, which the seed's Restart=on-abnormal never retried; within a limit, so a
// file that cannot work ends failed (and bond-up --status shows why).
func TestSupplicantRestartsAfterAnExitCodeWithinALimit(t *testing.T) {
	s, err := WPA(progs, Card{Name: "wlan0"}, "/etc/wpa_supplicant/wpa_supplicant.conf")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, p := range mustProps(t, s) {
		got[p.Name] = p.Value.String()
	}
	for name, want := range map[string]string{"Restart": `"on-failure"`, "RestartUSec": "@t 2000000",
		"StartLimitBurst": "@u 5", "StartLimitIntervalUSec": "@t 60000000"} {
		if got[name] != want {
			t.Errorf("%s = %s, want %s", name, got[name], want)
		}
	}
}
