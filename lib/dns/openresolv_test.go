// SPDX-License-Identifier: Apache-2.0

package dns

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// openresolv's state directory is made before a DHCP unit starts only when openresolv
// is the resolvconf found and the directory is missing; anything else is left as it is.
func TestPrepareOpenresolvMakesOnlyOpenresolvsMissingDirectory(t *testing.T) {
	bin := t.TempDir()
	openresolv := filepath.Join(bin, "openresolv")
	must(t, os.WriteFile(openresolv, []byte("#!/bin/sh\nOPENRESOLV_VERSION=\"3.12.0\"\necho openresolv\n"), 0o755))
	debian := filepath.Join(bin, "debian")
	must(t, os.WriteFile(debian, []byte("#!/bin/sh\n# resolvconf\n"), 0o755))
	resolvectl := filepath.Join(bin, "resolvectl")
	must(t, os.WriteFile(resolvectl, []byte("\x7fELF"), 0o755))
	shim := filepath.Join(bin, "shim")
	must(t, os.Symlink(resolvectl, shim))
	linked := filepath.Join(bin, "linked")
	must(t, os.Symlink(openresolv, linked))
	found := func(p string) func(string) (string, error) {
		return func(prog string) (string, error) {
			if prog != "resolvconf" {
				t.Fatalf("looked up %q", prog)
			}
			if p == "" {
				return "", errors.New("not found")
			}
			return p, nil
		}
	}
	for _, c := range []struct {
		name     string
		found    string
		exists   bool
		wantMade bool
	}{
		{"openresolv installed, directory missing: made", openresolv, false, true},
		{"openresolv through a link, directory missing: made", linked, false, true},
		{"openresolv installed, directory there: left alone", openresolv, true, false},
		{"Debian's resolvconf: left to its boot unit", debian, false, false},
		{"systemd's shim: left alone", shim, false, false},
		{"no resolvconf: nothing made", "", false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "resolvconf")
			if c.exists {
				must(t, os.Mkdir(dir, 0o700))
			}
			old := syscall.Umask(0o077)
			made, err := PrepareOpenresolv(found(c.found), dir)
			syscall.Umask(old)
			if err != nil || made != c.wantMade {
				t.Fatalf("made %v, %v; want made %v", made, err, c.wantMade)
			}
			st, err := os.Stat(dir)
			switch {
			case c.wantMade && (err != nil || st.Mode().Perm() != 0o755 || !st.IsDir()):
				t.Fatalf("directory: %v %v, want a directory 0755 whatever the umask", st, err)
			case c.exists && (err != nil || st.Mode().Perm() != 0o700):
				t.Fatalf("the directory there was changed: %v %v", st, err)
			case !c.wantMade && !c.exists && err == nil:
				t.Fatalf("%s made", dir)
			}
		})
	}
}

// A directory that cannot be made is an error naming it, not a silent skip.
func TestPrepareOpenresolvSaysWhyItCannot(t *testing.T) {
	bin := t.TempDir()
	openresolv := filepath.Join(bin, "resolvconf")
	must(t, os.WriteFile(openresolv, []byte("#!/bin/sh\necho openresolv\n"), 0o755))
	dir := filepath.Join(t.TempDir(), "missing-parent", "resolvconf")
	made, err := PrepareOpenresolv(func(string) (string, error) { return openresolv, nil }, dir)
	if made || err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("made %v, err %v; want an error wrapping ErrNotExist", made, err)
	}
}
