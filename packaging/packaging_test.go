// SPDX-License-Identifier: Apache-2.0

package packaging

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

// These tests run the real tools (scdoc, mandoc, go, git, dpkg-deb, rpm, zstd, bash);
// scripts/deps installs them. A missing tool is a failure, never a skip.

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func run(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s (in %s): %v\n%s%s", name, strings.Join(args, " "), dir, err, out, stderr.Bytes())
	}
	return string(out)
}

var pages = []string{"bond-up.8", "bond-down.8", "bond-hotplug.8", "bond-hotplug.conf.5"}

func TestManPagesLintClean(t *testing.T) {
	root := repoRoot(t)
	out := t.TempDir()
	run(t, root, nil, filepath.Join(root, "man/render"), out)
	for _, p := range pages {
		f := filepath.Join(out, p)
		// .TH names the source and the manual (man-pages(7)).
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		manual := map[string]string{"8": "System Manager's Manual", "5": "File Formats Manual"}[p[len(p)-1:]]
		if want := `" "bond-hotplug ` + release(t) + `" "` + manual + `"` + "\n"; !strings.Contains(string(b), want) {
			t.Errorf("%s: .TH lacks the source and manual fields (%s)", p, strings.TrimSpace(want))
		}
		cmd := exec.Command("mandoc", "-Tlint", f)
		msg, err := cmd.CombinedOutput()
		if err != nil || len(msg) > 0 {
			t.Errorf("mandoc -Tlint %s: %v\n%s", p, err, msg)
		}
	}
}

// builtBinaries builds the three programs once for the tests that run them.
var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

func binaries(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "bond-hotplug-bin-")
		if buildErr != nil {
			return
		}
		cmd := exec.Command("go", "build", "-trimpath", "-o", binDir+"/", "./cmd/...")
		cmd.Dir = repoRoot(t)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = &buildFailure{err: err, out: string(out)}
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binDir
}

type buildFailure struct {
	err error
	out string
}

func (b *buildFailure) Error() string { return "go build ./cmd/...: " + b.err.Error() + "\n" + b.out }

func TestMain(m *testing.M) {
	code := m.Run()
	for _, d := range []string{binDir, builtDist} {
		if d != "" {
			os.RemoveAll(d)
		}
	}
	os.Exit(code)
}

// helpOptions are the options a --help text documents: those that start a line.
var helpOption = regexp.MustCompile(`^\s+(?:(-[A-Za-z]), )?(--[a-z][a-z-]*)`)

func helpOptions(help string) []string {
	var opts []string
	sc := bufio.NewScanner(strings.NewReader(help))
	for sc.Scan() {
		if m := helpOption.FindStringSubmatch(sc.Text()); m != nil {
			if m[1] != "" {
				opts = append(opts, m[1])
			}
			opts = append(opts, m[2])
		}
	}
	return uniq(opts)
}

// manOptions are the options of a page's OPTIONS section: the bold option names on
// the lines that open an entry (scdoc: "*-c*, *--config* _FILE_").
var manOption = regexp.MustCompile(`\*(--?[A-Za-z][a-z-]*)\*`)

func manOptions(t *testing.T, src string) []string {
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	var opts []string
	in := false
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "# ") {
			in = line == "# OPTIONS"
			continue
		}
		if in && strings.HasPrefix(line, "*-") {
			for _, m := range manOption.FindAllStringSubmatch(line, -1) {
				opts = append(opts, m[1])
			}
		}
	}
	if len(opts) == 0 {
		t.Fatalf("%s: no options found in its OPTIONS section", src)
	}
	return uniq(opts)
}

func uniq(s []string) []string {
	sort.Strings(s)
	return slices.Compact(s)
}

func diff(a, b []string) (onlyA []string) {
	for _, x := range a {
		if !slices.Contains(b, x) {
			onlyA = append(onlyA, x)
		}
	}
	return onlyA
}

func TestHelpMatchesManPages(t *testing.T) {
	bin := binaries(t)
	root := repoRoot(t)
	for _, prog := range []string{"bond-up", "bond-down", "bond-hotplug"} {
		t.Run(prog, func(t *testing.T) {
			// --help is asked for: on stdout, exit 0, within 80 columns (the man
			// page is the long form).
			cmd := exec.Command(filepath.Join(bin, prog), "--help")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil || stderr.Len() > 0 || len(out) == 0 {
				t.Fatalf("%s --help: %v, %d bytes on stdout, stderr:\n%s", prog, err, len(out), stderr.Bytes())
			}
			for i, line := range strings.Split(string(out), "\n") {
				if n := utf8.RuneCountInString(line); n > 80 {
					t.Errorf("%s --help line %d has %d columns:\n%s", prog, i+1, n, line)
				}
			}
			help := helpOptions(string(out))
			man := manOptions(t, filepath.Join(root, "man", prog+".8.scd"))
			if len(help) < 5 {
				t.Fatalf("%s --help: found only %q; is the help format still parsed?", prog, help)
			}
			if d := diff(help, man); len(d) > 0 {
				t.Errorf("%s: in --help but not in man/%s.8.scd OPTIONS: %q", prog, prog, d)
			}
			if d := diff(man, help); len(d) > 0 {
				t.Errorf("%s: in man/%s.8.scd OPTIONS but not in --help: %q", prog, prog, d)
			}
		})
	}
}

// TestVersionNamesTheTree builds bond-up from a clone of this repository's HEAD (a
// plain clone: go records VCS information only in a work tree whose .git is a
// directory, not in a linked worktree), then from the same clone with a tracked file
// changed, and checks --version: the revision is `git rev-parse HEAD`, and "dirty"
// appears exactly when the tree had uncommitted changes.
func TestVersionNamesTheTree(t *testing.T) {
	root := repoRoot(t)
	head := strings.TrimSpace(run(t, root, nil, "git", "rev-parse", "HEAD"))
	clone := filepath.Join(t.TempDir(), "src")
	run(t, root, nil, "git", "clone", "--quiet", "--no-checkout", root, clone)
	run(t, clone, nil, "git", "checkout", "--quiet", head)
	build := func() string {
		exe := filepath.Join(t.TempDir(), "bond-up")
		// -buildvcs=auto on the command line: it wins over a GOFLAGS=-buildvcs=false.
		run(t, clone, []string{"CGO_ENABLED=0"}, "go", "build", "-trimpath", "-buildvcs=auto", "-o", exe, "./cmd/bond-up")
		return run(t, clone, nil, exe, "--version")
	}
	clean := build()
	if !strings.Contains(clean, "revision: "+head+"\n") {
		t.Errorf("--version of a clean build does not name revision %s:\n%s", head, clean)
	}
	if strings.Contains(clean, "dirty") {
		t.Errorf("--version of a clean build says dirty:\n%s", clean)
	}
	if !strings.Contains(clean, "go:       go1.") {
		t.Errorf("--version does not name the Go version:\n%s", clean)
	}
	f := filepath.Join(clone, "README.md")
	b, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f, append(b, "\nlocal change\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	dirty := build()
	if !strings.Contains(dirty, "revision: "+head+" dirty") {
		t.Errorf("--version of a build from a changed tree does not say dirty:\n%s", dirty)
	}
	t.Logf("clean: %s", strings.SplitN(clean, "\n", 2)[0])

	// Without VCS information (GOFLAGS=-buildvcs=false) it says only what it knows.
	exe := filepath.Join(t.TempDir(), "bond-up")
	run(t, clone, []string{"CGO_ENABLED=0", "GOFLAGS=-buildvcs=false"}, "go", "build", "-trimpath", "-o", exe, "./cmd/bond-up")
	novcs := run(t, clone, nil, exe, "--version")
	if !strings.Contains(novcs, "revision: unknown (no VCS information recorded in the build)\n") || strings.Contains(novcs, "git work tree") {
		t.Errorf("--version of a -buildvcs=false build:\n%s", novcs)
	}
}

// TestUnitDocumentationExists: every man: page the boot unit's Documentation= names
// is one this repository ships.
func TestUnitDocumentationExists(t *testing.T) {
	root := repoRoot(t)
	b, err := os.ReadFile(filepath.Join(root, "systemd/bond-up@.service"))
	if err != nil {
		t.Fatal(err)
	}
	ref := regexp.MustCompile(`man:([a-z0-9.@-]+)\(([0-9])\)`)
	var n int
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, "Documentation=") {
			continue
		}
		for _, m := range ref.FindAllStringSubmatch(line, -1) {
			n++
			if _, err := os.Stat(filepath.Join(root, "man", m[1]+"."+m[2]+".scd")); err != nil {
				t.Errorf("Documentation= names %s(%s), which man/ does not have: %v", m[1], m[2], err)
			}
		}
	}
	if n == 0 {
		t.Error("systemd/bond-up@.service: no man: page in Documentation=")
	}
}
