// SPDX-License-Identifier: Apache-2.0

package version

import (
	"regexp"
	"strings"
	"testing"
)

func TestReleaseIsAVersion(t *testing.T) {
	if !regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+$`).MatchString(Release()) {
		t.Errorf("VERSION holds %q, not X.Y.Z", release)
	}
}

// A binary without VCS information (-buildvcs=false, a tarball) says so without
// guessing why, and still names its release.
func TestTextWithoutRevision(t *testing.T) {
	got := Info{Release: "0.1.0", Module: "(devel)", Go: "go1.22.0"}.Text("bond-up")
	for _, want := range []string{"bond-up 0.1.0\n", "revision: unknown (no VCS information recorded in the build)\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("Text() lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "module:") || strings.Contains(got, "git work tree") {
		t.Errorf("Text() claims what it does not know:\n%s", got)
	}
}
