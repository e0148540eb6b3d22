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

const spdx = "SPDX-License-Identifier: Apache-2.0"

// sourceKind says how a file carries the header: "go", "shell" (a # comment, after the
// #! line when there is one), or "" for files that are not source (data, docs, units,
// testdata). It reads the file itself: scripts/spdx decides separately, so that a
// file kind the script forgets fails here.
func sourceKind(path string, head []byte) string {
	base := filepath.Base(path)
	switch {
	case strings.Contains(path, "/testdata/") || strings.HasPrefix(path, "testdata/"):
		return ""
	case strings.HasSuffix(base, ".go"):
		return "go"
	case strings.HasSuffix(base, ".sh"), base == "Makefile", base == "PKGBUILD":
		return "shell"
	}
	first, _, _ := bytes.Cut(head, []byte("\n"))
	if bytes.HasPrefix(first, []byte("#!")) {
		// Any interpreter counts: a script in another language must get its header too,
		// and then this test and scripts/spdx learn its comment syntax.
		return "shell"
	}
	return ""
}

// sourceFiles are the files of the tree: git's tracked files in a work tree, else
// (a release tarball) every file but build output.
func sourceFiles(t *testing.T, root string) []string {
	t.Helper()
	if out, err := exec.Command("git", "-C", root, "ls-files").Output(); err == nil {
		return strings.Fields(string(out))
	}
	var files []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() && (rel == ".git" || rel == "build" || rel == "dist") {
			return filepath.SkipDir
		}
		if d.Type().IsRegular() {
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// hasHeader: Go files open with the header line; scripts carry it on their first line,
// or on the second after #!.
func hasHeader(kind string, b []byte) bool {
	lines := strings.SplitN(string(b), "\n", 3)
	if kind == "go" {
		return lines[0] == "// "+spdx
	}
	if lines[0] == "# "+spdx {
		return true
	}
	return strings.HasPrefix(lines[0], "#!") && len(lines) > 1 && lines[1] == "# "+spdx
}

// TestSourcesCarrySPDX: every source file names the project's licence (scripts/spdx
// adds the header where it is missing).
func TestSourcesCarrySPDX(t *testing.T) {
	root := repoRoot(t)
	if _, err := os.Stat(filepath.Join(root, "LICENSE")); err != nil {
		t.Fatalf("no LICENSE at the root: %v", err)
	}
	var checked, missing int
	for _, f := range sourceFiles(t, root) {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			if os.IsNotExist(err) {
				continue // deleted in the work tree, not yet committed
			}
			t.Fatal(err)
		}
		k := sourceKind(f, b)
		if k == "" {
			continue
		}
		checked++
		if !hasHeader(k, b) {
			missing++
			t.Errorf("%s lacks %q (run scripts/spdx)", f, spdx)
		}
	}
	if checked < 100 {
		t.Errorf("only %d source files found; is the listing broken?", checked)
	}
	t.Logf("%d source files checked, %d without the header", checked, missing)
}

// TestSPDXScriptAddsHeaders runs scripts/spdx on samples of each kind and checks the
// header's place (Go: before a build constraint; scripts: after #!), that Go files
// still parse as the same package with the same constraint, that a second run changes
// nothing, and that files that are not source are left alone.
func TestSPDXScriptAddsHeaders(t *testing.T) {
	root := repoRoot(t)
	dir := t.TempDir()
	samples := map[string]string{
		"a.go":      "//go:build linux\n\n// Package a is a sample.\npackage a\n",
		"b.go":      "package a\n",
		"run":       "#!/bin/bash\nset -e\necho hi\n",
		"lib.sh":    "x=1\n",
		"env.sh":    "#!/usr/bin/env bash\n:\n",
		"README.md": "# Title\n",
	}
	want := map[string]string{
		"a.go":      "// " + spdx + "\n\n//go:build linux\n\n// Package a is a sample.\npackage a\n",
		"b.go":      "// " + spdx + "\n\npackage a\n",
		"run":       "#!/bin/bash\n# " + spdx + "\nset -e\necho hi\n",
		"lib.sh":    "# " + spdx + "\nx=1\n",
		"env.sh":    "#!/usr/bin/env bash\n# " + spdx + "\n:\n",
		"README.md": "# Title\n",
	}
	var args []string
	for name, text := range samples {
		p := filepath.Join(dir, name)
		mode := os.FileMode(0o644)
		if name == "run" {
			mode = 0o755
		}
		if err := os.WriteFile(p, []byte(text), mode); err != nil {
			t.Fatal(err)
		}
		args = append(args, p)
	}
	run(t, root, nil, filepath.Join(root, "scripts/spdx"), args...)
	for name, w := range want {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != w {
			t.Errorf("scripts/spdx made %s:\n%s\nwant:\n%s", name, b, w)
		}
		if k := sourceKind(name, b); k != "" && !hasHeader(k, b) {
			t.Errorf("%s: the test's own check does not accept the script's header", name)
		}
	}
	if fi, err := os.Stat(filepath.Join(dir, "run")); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("scripts/spdx lost run's mode: %v %v", fi.Mode(), err)
	}
	// Still one package whose build constraint holds: go vet parses both files.
	run(t, root, nil, "go", "vet", filepath.Join(dir, "a.go"), filepath.Join(dir, "b.go"))
	if again := run(t, root, nil, filepath.Join(root, "scripts/spdx"), args...); !strings.Contains(again, "0 file(s) changed") {
		t.Errorf("a second run changed files:\n%s", again)
	}
}
