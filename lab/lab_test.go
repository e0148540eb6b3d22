// SPDX-License-Identifier: Apache-2.0

package lab

import (
	"context"
	"crypto/pbkdf2"
	"crypto/sha1"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testLog sends the lab's progress lines to t.Log.
type testLog struct{ t *testing.T }

func (w testLog) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// TestLab boots the VM lab and plays every scenario in lab/scenarios, one
// after another (the guest uses both cores). It runs only with BOND_LAB=1;
// then anything that keeps it from running is a failure, not a skip.
func TestLab(t *testing.T) {
	if os.Getenv("BOND_LAB") != "1" {
		t.Skip("VM lab not requested: set BOND_LAB=1 (scripts/test does)")
	}
	if err := CheckHost(); err != nil {
		t.Fatal(err)
	}
	repo, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	names, err := Scenarios(repo)
	if err != nil || len(names) == 0 {
		t.Fatalf("no scenarios in %s/lab/scenarios: %v", repo, err)
	}
	ctx := context.Background()
	if dl, ok := t.Deadline(); ok {
		// Leave time to report; a scenario needs up to its boot bound.
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, dl.Add(-30*time.Second))
		defer cancel()
	}
	runDir, err := NewRunDir(DefaultRunRoot)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("run directory %s (kept when something fails)", runDir)
	l := New(Config{Repo: repo, RunDir: runDir, Log: testLog{t}})
	t0 := time.Now()
	if err := l.Prepare(ctx, true); err != nil {
		t.Fatalf("preparing the lab: %v\nfiles of this run: %s", err, runDir)
	}
	t.Logf("lab prepared in %.1f s", time.Since(t0).Seconds())
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			if ctx.Err() != nil {
				t.Fatalf("no time left for %s (raise go test -timeout)", name)
			}
			res, err := l.Run(ctx, name, RunOptions{Timeout: 4 * time.Minute})
			for _, c := range res.Checks {
				if c.Kind == "FAIL" {
					t.Errorf("%s", c)
				} else {
					t.Logf("%s", c)
				}
			}
			if err != nil {
				t.Errorf("%s: %v", name, err)
			}
			if err != nil || res.Failed() {
				t.Errorf("%s failed after %.1f s; kept: %s", name, res.Wall.Seconds(), res.Where())
				return
			}
			t.Logf("%s passed in %.1f s (VM boot included)", name, res.Wall.Seconds())
		})
	}
	if !t.Failed() {
		// Everything passed: keep only the small logs, not the guest disk.
		_ = os.Remove(filepath.Join(runDir, "installed.qcow2"))
		_ = os.RemoveAll(filepath.Join(runDir, "destdir"))
		_ = os.RemoveAll(filepath.Join(runDir, "bin"))
	}
}

func TestParseResultsReadsChecksAndDone(t *testing.T) {
	in := strings.Join([]string{
		"TIME boot: kernel start to scenario start (9.50 s)",
		"PASS active slave is the wired eth0 (0.32 s)",
		"FAIL DHCPv6 address on bond0: not true within 60 s: has_dhcp6 bond0 -> fe80::1/64",
		"noise that is not a result",
		"DONE",
	}, "\n")
	checks, done := ParseResults(strings.NewReader(in))
	if !done {
		t.Error("DONE not seen")
	}
	want := []Check{
		{Kind: "TIME", Name: "boot: kernel start to scenario start", Seconds: 9.5},
		{Kind: "PASS", Name: "active slave is the wired eth0", Seconds: 0.32},
		{Kind: "FAIL", Name: "DHCPv6 address on bond0", Reason: "not true within 60 s: has_dhcp6 bond0 -> fe80::1/64"},
	}
	if len(checks) != len(want) {
		t.Fatalf("got %d checks %v, want %d", len(checks), checks, len(want))
	}
	for i := range want {
		if checks[i] != want[i] {
			t.Errorf("check %d: got %+v, want %+v", i, checks[i], want[i])
		}
	}
	r := &Result{Checks: checks, Done: done}
	if !r.Failed() || len(r.Failures()) != 1 {
		t.Errorf("failures %v", r.Failures())
	}
}

func TestResultWithoutDoneIsAFailure(t *testing.T) {
	checks, done := ParseResults(strings.NewReader("PASS a (1.00 s)\n"))
	r := &Result{Checks: checks, Done: done}
	if !r.Failed() {
		t.Fatal("a guest that never wrote DONE passed")
	}
}

func TestScenariosAreListedInOrderWithTheirHeaders(t *testing.T) {
	names, err := Scenarios("..")
	if err != nil {
		t.Fatal(err)
	}
	if len(names) < 9 {
		t.Fatalf("want at least 9 scenarios, got %v", names)
	}
	for i, n := range names {
		if i > 0 && names[i-1] >= n {
			t.Errorf("scenarios out of order: %v", names)
		}
		b, err := os.ReadFile(filepath.Join("scenarios", n+".sh"))
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		for _, h := range []string{"\n# lab-devices:", "\n# lab-config:", "set -euo pipefail"} {
			if !strings.Contains(s, h) {
				t.Errorf("%s.sh lacks %q", n, strings.TrimSpace(h))
			}
		}
		cfg := ""
		for _, line := range strings.Split(s, "\n") {
			if v, ok := strings.CutPrefix(line, "# lab-config:"); ok {
				cfg = strings.TrimSpace(v)
			}
		}
		if cfg != "" {
			if _, err := os.Stat(filepath.Join("scenarios", "conf", cfg)); err != nil {
				t.Errorf("%s.sh: config %s: %v", n, cfg, err)
			}
		}
	}
}

func TestFollowCopiesCompleteLines(t *testing.T) {
	p := filepath.Join(t.TempDir(), "timeline.log")
	var out strings.Builder
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { follow(p, &out, stop); close(done) }()
	if err := os.WriteFile(p, []byte("one\ntw"), 0o644); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.WriteString("o\nthree")
	f.Close()
	close(stop)
	<-done
	if got, want := out.String(), "one\ntwo\nthree\n"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// Issue 15: every scenario runs with the seed's own client files; the image's copies
// are the corpus's (lab/corpus/seed, taken byte for byte from the seed article),
// and the lab's access point serves the network the seed's file names.
func TestTheImageRunsTheSeedsOwnFiles(t *testing.T) {
	repo, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	for corpus, image := range map[string]string{
		"seed/wpa_supplicant.conf": "etc/wpa_supplicant/wpa_supplicant.conf",
		"seed/dhclient.conf":       "etc/dhcp/dhclient.conf",
		"seed/dhcp6c.conf":         "etc/wide-dhcpv6/dhcp6c.conf",
	} {
		want, err := os.ReadFile(filepath.Join(repo, "lab", "corpus", corpus))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(repo, "lab", "image", "rootfs", image))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("lab/image/rootfs/%s is not lab/corpus/%s", image, corpus)
		}
	}
	seed, err := os.ReadFile(filepath.Join(repo, "lab", "corpus", "seed", "wpa_supplicant.conf"))
	if err != nil {
		t.Fatal(err)
	}
	ap, err := os.ReadFile(filepath.Join(repo, "lab", "guest", "hostapd.conf"))
	if err != nil {
		t.Fatal(err)
	}
	for _, pair := range [][2]string{{`ssid="MyHome"`, "\nssid=MyHome\n"},
		{"psk=404fe69d94ef522ba8e7a0c456a67a583c8f39ba0b29a3ac22ebe9494cf9992b", "\nwpa_psk=404fe69d94ef522ba8e7a0c456a67a583c8f39ba0b29a3ac22ebe9494cf9992b\n"}} {
		if !strings.Contains(string(seed), pair[0]) || !strings.Contains(string(ap), pair[1]) {
			t.Errorf("the seed's file has %q, the access point must have %q", pair[0], strings.TrimSpace(pair[1]))
		}
	}
}

// The café's access point (hostapd-cafe.conf, a passphrase) and the network block
// wpa_conf_with_cafe adds to the user's file (the seed's format: the 64-hex PSK)
// must agree, or the café scenarios fail on an association that cannot happen.
func TestTheCafesPSKMatchesItsAccessPoint(t *testing.T) {
	ap, err := os.ReadFile("guest/hostapd-cafe.conf")
	if err != nil {
		t.Fatal(err)
	}
	lib, err := os.ReadFile("guest/lib.sh")
	if err != nil {
		t.Fatal(err)
	}
	var ssid, pass string
	for _, l := range strings.Split(string(ap), "\n") {
		if v, ok := strings.CutPrefix(l, "ssid="); ok {
			ssid = v
		}
		if v, ok := strings.CutPrefix(l, "wpa_passphrase="); ok {
			pass = v
		}
	}
	if ssid == "" || pass == "" {
		t.Fatalf("hostapd-cafe.conf: ssid %q, wpa_passphrase %q", ssid, pass)
	}
	// IEEE 802.11i: PSK = PBKDF2-HMAC-SHA1(passphrase, SSID, 4096 rounds, 256 bits).
	key, err := pbkdf2.Key(sha1.New, pass, []byte(ssid), 4096, 32)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"ssid=\"" + ssid + "\"", "psk=" + hex.EncodeToString(key), "#psk=\"" + pass + "\""} {
		if !strings.Contains(string(lib), want) {
			t.Errorf("lib.sh's café network block lacks %s", want)
		}
	}
}
