// SPDX-License-Identifier: Apache-2.0

package config

import (
	"os"
	"testing"

	"github.com/joho/godotenv"
)

// decode runs only the syntax layer.
func decode(t *testing.T, src string) map[string]string {
	t.Helper()
	e := &errs{path: testPath}
	entries := scan(e, []byte(src))
	if err := e.err(); err != nil {
		t.Fatalf("scan(%q): %v", src, err)
	}
	out := map[string]string{}
	for _, ent := range entries {
		out[ent.key] = ent.value
	}
	return out
}

func TestValuesAreDecodedLikeAnEnvironmentFile(t *testing.T) {
	for _, tc := range []struct {
		name, src, key, want string
	}{
		{"an unquoted value is taken as is", "K=enp3s0", "K", "enp3s0"},
		{"a single-quoted value keeps double quotes", `K='"default via 10.0.0.1" "10.9.0.0/16 via 10.0.0.254 metric 5"'`, "K", `"default via 10.0.0.1" "10.9.0.0/16 via 10.0.0.254 metric 5"`},
		{"a single-quoted value keeps backslashes", `K='a\nb'`, "K", `a\nb`},
		{"a double-quoted value unescapes quotes", `K="say \"hi\" now"`, "K", `say "hi" now`},
		{"a double-quoted value unescapes backslash", `K="a\\b"`, "K", `a\b`},
		{"a double-quoted value unescapes newline", `K="a\nb"`, "K", "a\nb"},
		{"a double-quoted value keeps single quotes", `K="it's"`, "K", "it's"},
		{"an empty value is empty", "K=", "K", ""},
		{"an empty quoted value is empty", "K=''", "K", ""},
		{"blanks around = are allowed", "K \t=  v", "K", "v"},
		{"trailing blanks of an unquoted value are trimmed", "K=a b  \t", "K", "a b"},
		{"a blank then # starts a comment", "K=a b # note", "K", "a b"},
		{"a # inside a word is not a comment", "K=a#b", "K", "a#b"},
		{"a # right after = is part of the value", "K=#b", "K", "#b"},
		{"a blank then # right after = leaves the value empty", "K= # note", "K", ""},
		{"a comment may follow a closing quote", "K='a b' # note", "K", "a b"},
		{"blanks may follow a closing quote", "K='a b'   ", "K", "a b"},
		{"export is ignored", "export K=v", "K", "v"},
		{"export with a tab is ignored", "export\tK=v", "K", "v"},
		{"a key may be called export", "export=v", "export", "v"},
		{"indented assignments are allowed", "   K=v", "K", "v"},
		{"dollar signs are not expanded", "K=$HOME", "K", "$HOME"},
		{"dollar signs in double quotes are not expanded", `K="$(reboot)"`, "K", "$(reboot)"},
		{"= in a value is kept", "K=a=b", "K", "a=b"},
		{"a quote inside an unquoted value is literal", `K=a"b`, "K", `a"b`},
		{"keys may contain dots", "eth0.100SLAVES=x", "eth0.100SLAVES", "x"},
		{"non-ASCII text is allowed in values", "K='café'", "K", "café"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := decode(t, "# leading comment\n\n"+tc.src+"\n")
			if v, ok := got[tc.key]; !ok || v != tc.want {
				t.Errorf("%q: %s = %q (set %v), want %q", tc.src, tc.key, v, ok, tc.want)
			}
		})
	}
}

func TestLastLineNeedsNoNewline(t *testing.T) {
	if got := decode(t, "A=1\nB='2'"); got["B"] != "2" || got["A"] != "1" {
		t.Errorf("got %v", got)
	}
}

// godotenv is an oracle for dotenv value semantics on files we accept. Inputs stay
// inside the common ground: no $ (godotenv expands variables, we never do), at most
// one " #" per unquoted value (it takes the last one, we the first), no escaped quote
// at either end of a double-quoted value (it trims those).
func TestDecodedValuesAgreeWithGodotenv(t *testing.T) {
	files := map[string]string{}
	for _, p := range []string{"testdata/seed-network.conf", "../../env/network.conf"} {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files[p] = string(data)
	}
	files["quoting"] = `# quoting forms
export bond0SLAVES='enp3s0 wl*'
bond0PRIMARY=enp3s0
bond0ADDRS = "192.168.0.2/24 fd00::2/64"
bond0ROUTES='"default via 192.168.0.1" "10.9.0.0/16 via 192.168.0.254 metric 5"'
bond0MODE=active-backup # a comment
bond0MIIMON='100'   # another
bond0DHCP="yes"
bond0DHCP6=
wlp2s0SUPPLICANT_CONF="/etc/wpa_supplicant/with \"quotes\" inside.conf"
wlp2s0SUPPLICANT=	auto
enp3s0SUPPLICANT_CONF='/etc/a b#c.conf'
`
	files["bridge"] = "br0SLAVES=enp4s0\nbr0ADDRS='10.0.0.1/24'\n\n\n   br0DHCP=no\nbr0DHCP6=off\nbr0ROUTES=\"10.8.0.0/16 via 10.0.0.254\"\n"
	files["no final newline"] = "bond0SLAVES=eth0"
	for name, src := range files {
		t.Run(name, func(t *testing.T) {
			if _, err := Parse(name, []byte(src)); err != nil {
				t.Fatalf("not a valid file: %v", err)
			}
			ours := decode(t, src)
			theirs, err := godotenv.Unmarshal(src)
			if err != nil {
				t.Fatalf("godotenv: %v", err)
			}
			for k, v := range theirs {
				if got, ok := ours[k]; !ok || got != v {
					t.Errorf("%s: we decode %q (set %v), godotenv %q", k, got, ok, v)
				}
			}
			for k := range ours {
				if _, ok := theirs[k]; !ok {
					t.Errorf("%s: godotenv did not see this key", k)
				}
			}
		})
	}
}
