// SPDX-License-Identifier: Apache-2.0

package packaging

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// release is lib/version/VERSION: the one place the version is written.
func release(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "lib/version/VERSION"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// TestVersionInOnePlace: the PKGBUILD's pkgver (a literal: makepkg and the AUR read it
// before any source exists) and CHANGELOG.md's newest entry are the release in
// lib/version/VERSION; --version and scripts/package read that file.
func TestVersionInOnePlace(t *testing.T) {
	root := repoRoot(t)
	v := release(t)
	pkgbuild, err := os.ReadFile(filepath.Join(root, "packaging/arch/PKGBUILD"))
	if err != nil {
		t.Fatal(err)
	}
	if m := regexp.MustCompile(`(?m)^pkgver=(.*)$`).FindSubmatch(pkgbuild); m == nil || string(m[1]) != v {
		t.Errorf("PKGBUILD pkgver %q, lib/version/VERSION %q", m, v)
	}
	changelog, err := os.ReadFile(filepath.Join(root, "CHANGELOG.md"))
	if err != nil {
		t.Fatal(err)
	}
	if m := regexp.MustCompile(`(?m)^## ([^ ]+) - [0-9]{4}-[0-9]{2}-[0-9]{2}$`).FindSubmatch(changelog); m == nil || string(m[1]) != v {
		t.Errorf("CHANGELOG.md's newest entry %q, lib/version/VERSION %q", m, v)
	}
	exe := filepath.Join(binaries(t), "bond-up")
	if out := run(t, "", nil, exe, "--version"); !strings.HasPrefix(out, "bond-up "+v+"\n") {
		t.Errorf("bond-up --version does not start with the release %s:\n%s", v, out)
	}
}
