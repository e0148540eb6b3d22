// SPDX-License-Identifier: Apache-2.0

package packaging

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// lintFindings are the lines of a linter's report at level E or W; I (information)
// lines are logged, and listed in the README with why they stay.
func lintFindings(t *testing.T, out string, isBad func(string) bool) (bad []string) {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if isBad(line) {
			bad = append(bad, line)
		}
	}
	return bad
}

// TestDebLintianPedantic: lintian --pedantic, with the maintainer set as a
// distribution sets it, finds no error and no warning in the .deb.
func TestDebLintianPedantic(t *testing.T) {
	deb, _, _, _ := builtPackages(t)
	// lintian exits non-zero on errors; its report is what is judged.
	out, err := exec.Command("lintian", "--pedantic", "--display-info", "--tag-display-limit", "0", deb).CombinedOutput()
	t.Logf("lintian --pedantic (%v):\n%s", err, out)
	if bad := lintFindings(t, string(out), func(l string) bool {
		return strings.HasPrefix(l, "E: ") || strings.HasPrefix(l, "W: ")
	}); len(bad) > 0 {
		t.Errorf("lintian --pedantic: %d errors or warnings:\n%s", len(bad), strings.Join(bad, "\n"))
	}
	if err != nil && !strings.Contains(string(out), "I: ") {
		t.Errorf("lintian failed without a report: %v", err)
	}
}

// TestRPMLint: rpmlint with Fedora's settings (packaging/rpmlint.toml, each filter
// with its reason) finds no error and no warning in the .rpm.
func TestRPMLint(t *testing.T) {
	_, rpm, _, _ := builtPackages(t)
	cfg := filepath.Join(repoRoot(t), "packaging/rpmlint.toml")
	out, err := exec.Command("rpmlint", "-c", cfg, rpm).CombinedOutput()
	t.Logf("rpmlint (%v):\n%s", err, out)
	if bad := lintFindings(t, string(out), func(l string) bool {
		return strings.Contains(l, ": E: ") || strings.Contains(l, ": W: ")
	}); len(bad) > 0 || err != nil {
		t.Errorf("rpmlint: %v, %d errors or warnings:\n%s", err, len(bad), strings.Join(bad, "\n"))
	}
	if !strings.Contains(string(out), "0 errors, 0 warnings") {
		t.Errorf("rpmlint's summary does not say 0 errors, 0 warnings")
	}
	// What rpmlint does not check: the summary and the changelog are there.
	info := run(t, "", nil, "rpm", "-qp", "--qf", "%{SUMMARY}\n%{LICENSE}\n%{BUILDHOST}\n", rpm)
	if want := "Wired when plugged in, Wi-Fi when not: failover with the bonding driver\nApache-2.0\nreproducible\n"; info != want {
		t.Errorf("rpm summary, license, build host:\n%s\nwant:\n%s", info, want)
	}
	if cl := run(t, "", nil, "rpm", "-qp", "--changelog", rpm); !strings.Contains(cl, testMaintainer+" - "+release(t)) {
		t.Errorf("rpm %%changelog does not name the release %s by %s:\n%s", release(t), testMaintainer, cl)
	}
}

// hardened checks a binary as lintian's and rpmlint's hardening checks do: a
// position-independent executable, BIND_NOW, and a RELRO segment.
func hardened(t *testing.T, exe string) {
	t.Helper()
	if h := run(t, "", nil, "readelf", "-hW", exe); !strings.Contains(h, "DYN (Position-Independent Executable file)") {
		t.Errorf("%s is not PIE:\n%s", exe, h)
	}
	d := run(t, "", nil, "readelf", "-dW", exe)
	if !strings.Contains(d, "BIND_NOW") && !strings.Contains(d, "Flags: NOW") {
		t.Errorf("%s is not linked with -z now (no BIND_NOW):\n%s", exe, d)
	}
	// Pure Go: no library at all, so the packages depend on the C library's package
	// only for its dynamic loader (the INTERP that relocates a PIE), the one piece
	// of C that runs in the process.
	for _, l := range strings.Split(d, "\n") {
		if strings.Contains(l, "(NEEDED)") {
			t.Errorf("%s needs a library (built with cgo?): %s", exe, strings.TrimSpace(l))
		}
	}
	// and nothing to resolve (the claim of the lintian override and rpmlint filter
	// that call it a library without prerequisites, a static binary): the one
	// dynamic symbol is the null entry every table starts with.
	syms := run(t, "", nil, "readelf", "--dyn-syms", "-W", exe)
	for _, l := range strings.Split(syms, "\n") {
		f := strings.Fields(l)
		if len(f) >= 7 && f[0] != "0:" && f[6] == "UND" {
			t.Errorf("%s has an undefined dynamic symbol: %s", exe, strings.TrimSpace(l))
		}
	}
	l := run(t, "", nil, "readelf", "-lW", exe)
	if !strings.Contains(l, "Requesting program interpreter") {
		t.Errorf("%s has no program interpreter (a static build, not a PIE the loader relocates):\n%s", exe, l)
	}
	if !strings.Contains(l, "GNU_RELRO") {
		t.Errorf("%s has no GNU_RELRO segment (-z relro):\n%s", exe, l)
	}
}

// TestBinariesHardened: the binaries of the packages (install.sh's build) and of
// `make build` are PIE with full RELRO.
func TestBinariesHardened(t *testing.T) {
	_, _, _, pkgroot := builtPackages(t)
	for _, b := range []string{"bond-up", "bond-down", "bond-hotplug"} {
		hardened(t, filepath.Join(pkgroot, "usr/bin", b))
	}
	root := repoRoot(t)
	// make build, with cgo on and no C flags in the caller's environment: the
	// Makefile's own build (pure Go) wins.
	cmd := exec.Command("make", "-s", "-C", root, "build")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1", "CGO_CFLAGS=", "CGO_LDFLAGS=")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make build: %v\n%s", err, b)
	}
	for _, b := range []string{"bond-up", "bond-down", "bond-hotplug"} {
		hardened(t, filepath.Join(root, "build", b))
	}
}

// TestPackagesReproducible: a second `make package` of the same tree, with the same
// defaults, gives byte-identical packages; the time stamps are the last commit's.
func TestPackagesReproducible(t *testing.T) {
	deb, rpm, arch, _ := builtPackages(t)
	root := repoRoot(t)
	dist := t.TempDir()
	run(t, root, packageEnv(dist), filepath.Join(root, "scripts/package"))
	for _, first := range []string{deb, rpm, arch} {
		a, err := os.ReadFile(first)
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(dist, filepath.Base(first)))
		if err != nil {
			t.Fatalf("the second run made no %s: %v", filepath.Base(first), err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between two runs (%d and %d bytes)", filepath.Base(first), len(a), len(b))
		}
	}
	commit := strings.TrimSpace(run(t, root, nil, "git", "log", "-1", "--format=%ct"))
	if got := pkginfo(t, arch)["builddate"]; len(got) != 1 || got[0] != commit {
		t.Errorf(".PKGINFO builddate %q, want the last commit's time %s", got, commit)
	}
}
