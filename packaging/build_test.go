// SPDX-License-Identifier: Apache-2.0

package packaging

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// buildWith runs a copy of scripts/build in a scratch tree with GO pointing at a
// stand-in for the go command, which answers `go env GOARCH` with goarch and records
// each build's arguments and cgo environment: scripts/build's choice between the
// pure-Go and the cgo build, for an architecture this host cannot link for. (The
// amd64 build itself is checked for real by TestBinariesHardened.)
func buildWith(t *testing.T, goarch string, env ...string) (string, error) {
	t.Helper()
	tree := t.TempDir()
	src, err := os.ReadFile(filepath.Join(repoRoot(t), "scripts/build"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(tree, "scripts"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tree, "scripts/build"), src, 0o755); err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(tree, "go.log")
	fake := filepath.Join(tree, "fake-go")
	script := "#!/bin/sh\n" +
		"if [ \"$1\" = env ]; then [ -n \"$FAKE_GOARCH\" ] || exit 1; echo \"$FAKE_GOARCH\"; exit 0; fi\n" +
		"printf '%s | CGO_ENABLED=%s CGO_LDFLAGS=%s\\n' \"$*\" \"$CGO_ENABLED\" \"$CGO_LDFLAGS\" >>" + log + "\n"
	if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(tree, "scripts/build"))
	cmd.Env = append(os.Environ(), append([]string{"GO=" + fake, "FAKE_GOARCH=" + goarch, "CGO_LDFLAGS=", "CGO_CFLAGS="}, env...)...)
	out, err := cmd.CombinedOutput()
	b, _ := os.ReadFile(log)
	return string(b) + string(out), err
}

func TestBuildIsPureGoWhereGoLinksAPIE(t *testing.T) {
	for _, arch := range []string{"amd64", "arm64", "loong64", "ppc64le"} {
		got, err := buildWith(t, arch, "VERSION=1.2.3-1")
		if err != nil {
			t.Fatalf("%s: scripts/build: %v\n%s", arch, err, got)
		}
		lines := strings.Split(strings.TrimSpace(got), "\n")
		if len(lines) != 3 {
			t.Fatalf("%s: want 3 builds, got:\n%s", arch, got)
		}
		for _, l := range lines {
			if !strings.Contains(l, "build -buildmode=pie -trimpath -buildvcs=auto -ldflags -bindnow -X github.com/bond-hotplug/bond-hotplug/lib/version.Package=1.2.3-1 ") ||
				!strings.HasSuffix(l, "| CGO_ENABLED=0 CGO_LDFLAGS=") {
				t.Errorf("%s: not the pure-Go PIE build: %s", arch, l)
			}
		}
	}
}

func TestBuildKeepsCgoWhereGoCannotLinkAPIE(t *testing.T) {
	got, err := buildWith(t, "arm")
	if err != nil {
		t.Fatalf("scripts/build: %v\n%s", err, got)
	}
	for _, l := range strings.Split(strings.TrimSpace(got), "\n") {
		if !strings.Contains(l, "-buildmode=pie") || !strings.Contains(l, "-ldflags -linkmode=external ") ||
			!strings.HasSuffix(l, "| CGO_ENABLED=1 CGO_LDFLAGS=-Wl,-z,relro,-z,now") {
			t.Errorf("arm: not the cgo build with the hardening flags: %s", l)
		}
	}
	// The caller's flags (dpkg-buildflags, a build system) win over the defaults.
	got, err = buildWith(t, "386", "CGO_LDFLAGS=-Wl,-z,relro,-z,now,-z,defs")
	if err != nil || !strings.Contains(got, "CGO_LDFLAGS=-Wl,-z,relro,-z,now,-z,defs\n") {
		t.Errorf("386 with the caller's CGO_LDFLAGS: %v\n%s", err, got)
	}
}

func TestBuildSaysWhenGoIsMissing(t *testing.T) {
	got, err := buildWith(t, "")
	if err == nil || !strings.Contains(got, "scripts/build: ") || !strings.Contains(got, "env GOARCH failed: is Go installed?") {
		t.Errorf("scripts/build with a go that cannot say its GOARCH: %v\n%s", err, got)
	}
}
