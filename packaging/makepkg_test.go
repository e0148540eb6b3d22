// SPDX-License-Identifier: Apache-2.0

package packaging

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// pkgtestCache keeps the Go build and module caches of the makepkg user between runs
// (the first build of the tests compiles everything: minutes on 2 cores).
const pkgtestCache = "/var/cache/bond-hotplug-pkgtest"

// TestPKGBUILDBuildsWithMakepkg builds packaging/arch/PKGBUILD with makepkg as an
// ordinary user (makepkg refuses root), from the source tarball `git archive` makes
// for the release, checked against the sha256 the test computes: the PKGBUILD's
// build(), check() (the lib/ tests, as that user) and package() all run. The package
// has the files of `make package`'s Arch package, PIE binaries with full RELRO, and
// its scriptlets are those of the .pkg.tar.zst. When the tag v$pkgver exists (and
// HEAD is a later commit), the PKGBUILD's committed sha256sums must be its archive's. makepkg -d: the build
// dependencies are Debian's packages here, which pacman does not know.
func TestPKGBUILDBuildsWithMakepkg(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: makepkg runs as the user nobody (runuser), which only root can switch to")
	}
	for _, tool := range []string{"makepkg", "fakeroot", "runuser", "bsdtar"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found (scripts/deps installs it): %v", tool, err)
		}
	}
	root := repoRoot(t)
	v := release(t)
	_, _, arch, _ := builtPackages(t)

	// The source tarball as the forge serves it: the tag's archive, or HEAD's
	// before the tag exists.
	ref := "v" + v
	if err := exec.Command("git", "-C", root, "rev-parse", "-q", "--verify", "refs/tags/"+ref+"^{commit}").Run(); err != nil {
		t.Logf("no tag %s yet: building from HEAD's archive", ref)
		ref = "HEAD"
	}
	// Not t.TempDir(): its parent is root's, closed to the makepkg user.
	work, err := os.MkdirTemp("", "bond-hotplug-makepkg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(work) })
	tarball := filepath.Join(work, "src", "bond-hotplug-"+v+".tar.gz")
	if err := os.MkdirAll(filepath.Dir(tarball), 0o755); err != nil {
		t.Fatal(err)
	}
	run(t, root, nil, "git", "archive", "--format=tar.gz", "--prefix=bond-hotplug-"+v+"/", "-o", tarball, ref)
	b, err := os.ReadFile(tarball)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	want := hex.EncodeToString(sum[:])
	pkgbuild, err := os.ReadFile(filepath.Join(root, "packaging/arch/PKGBUILD"))
	if err != nil {
		t.Fatal(err)
	}
	sums := regexp.MustCompile(`(?m)^sha256sums=\('([0-9a-f]{64})'\)$`)
	m := sums.FindSubmatch(pkgbuild)
	if m == nil {
		t.Fatalf("PKGBUILD: no sha256sums=('<64 hex digits>') line")
	}
	// The sum is written after the tag (scripts/pkgbuild-sum), so the tagged commit
	// itself holds the placeholder; every later one must hold the tag's sum.
	head := strings.TrimSpace(run(t, root, nil, "git", "rev-parse", "HEAD"))
	tagged := ref != "HEAD" && strings.TrimSpace(run(t, root, nil, "git", "rev-parse", ref+"^{commit}")) == head
	if ref != "HEAD" && !tagged && string(m[1]) != want {
		t.Errorf("PKGBUILD sha256sums %s, but git archive %s has %s: run scripts/pkgbuild-sum", m[1], ref, want)
	}
	if strings.Contains(string(pkgbuild), "SKIP") {
		t.Errorf("PKGBUILD skips a checksum")
	}
	// Before the tag, the committed sum cannot be checked: the test's own goes in.
	start := filepath.Join(work, "start")
	if err := os.MkdirAll(start, 0o755); err != nil {
		t.Fatal(err)
	}
	pkgbuild = sums.ReplaceAll(pkgbuild, []byte("sha256sums=('"+want+"')"))
	if err := os.WriteFile(filepath.Join(start, "PKGBUILD"), pkgbuild, 0o644); err != nil {
		t.Fatal(err)
	}
	install, err := os.ReadFile(filepath.Join(root, "packaging/arch/bond-hotplug.install"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(start, "bond-hotplug.install"), install, 0o644); err != nil {
		t.Fatal(err)
	}

	// The user's caches: modules from this machine's module cache (no network),
	// both kept for the next run.
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(nobody.Uid)
	gid, _ := strconv.Atoi(nobody.Gid)
	modcache := filepath.Join(pkgtestCache, "mod")
	src := filepath.Join(work, "modsrc")
	run(t, root, nil, "git", "archive", "-o", filepath.Join(work, "mods.tar"), "HEAD", "go.mod", "go.sum")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	run(t, src, nil, "tar", "-xf", filepath.Join(work, "mods.tar"))
	gomodcache := strings.TrimSpace(run(t, root, nil, "go", "env", "GOMODCACHE"))
	run(t, src, []string{"GOMODCACHE=" + modcache, "GOFLAGS=-modcacherw",
		"GOPROXY=file://" + gomodcache + "/cache/download,https://proxy.golang.org"}, "go", "mod", "download")
	for _, d := range []string{pkgtestCache, work} {
		run(t, "", nil, "chown", "-R", strconv.Itoa(uid)+":"+strconv.Itoa(gid), d)
	}
	gobin := filepath.Dir(strings.TrimSpace(run(t, root, nil, "go", "env", "GOROOT"))) + "/go/bin"
	env := []string{
		"HOME=" + work, "PATH=" + gobin + ":/usr/bin:/bin",
		"GOCACHE=" + filepath.Join(pkgtestCache, "go-build"), "GOMODCACHE=" + modcache,
		"GOPROXY=off", "GOTOOLCHAIN=local", "GOFLAGS=",
		"SRCDEST=" + filepath.Dir(tarball), "BUILDDIR=" + filepath.Join(work, "build"),
		"PKGDEST=" + filepath.Join(work, "out"), "LOGDEST=" + work,
		"PACKAGER=" + testMaintainer, "SOURCE_DATE_EPOCH=" + strings.TrimSpace(run(t, root, nil, "git", "log", "-1", "--format=%ct")),
	}
	if err := os.MkdirAll(filepath.Join(work, "out"), 0o755); err != nil {
		t.Fatal(err)
	}
	run(t, "", nil, "chown", "-R", strconv.Itoa(uid)+":"+strconv.Itoa(gid), work)
	// Before the test's deadline, makepkg and all it started are killed (its own
	// process group), not left running.
	ctx := context.Background()
	if d, ok := t.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, d.Add(-30*time.Second))
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, "runuser", append([]string{"-u", "nobody", "--", "env", "-i"}, append(env, "makepkg", "--nodeps", "--noconfirm", "--nocolor", "--cleanbuild")...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.Dir = start
	out, err := cmd.CombinedOutput()
	t.Logf("makepkg as nobody (%v):\n%s", err, tail(string(out), 60))
	if err != nil {
		t.Fatalf("makepkg failed: %v", err)
	}
	for _, step := range []string{"Validating source files with sha256sums", "bond-hotplug-" + v + ".tar.gz ... Passed", "Starting check()", "Starting package()"} {
		if !strings.Contains(string(out), step) {
			t.Errorf("makepkg's output lacks %q", step)
		}
	}
	pkg := findOne(t, filepath.Join(work, "out"), "bond-hotplug-"+v+"-*.pkg.tar.*")
	x := filepath.Join(work, "x")
	if err := os.MkdirAll(x, 0o755); err != nil {
		t.Fatal(err)
	}
	run(t, "", nil, "bsdtar", "-xf", pkg, "-C", x)
	for _, f := range []string{".PKGINFO", ".BUILDINFO", ".MTREE", ".INSTALL"} {
		if _, err := os.Stat(filepath.Join(x, f)); err != nil {
			t.Errorf("makepkg's package lacks %s: %v", f, err)
		}
	}
	var got []string
	for _, f := range treeFiles(t, x) {
		if !strings.HasPrefix(filepath.Base(f), ".") {
			got = append(got, f)
		}
	}
	if wantFiles := archFiles(t, arch); !slices.Equal(uniq(got), wantFiles) {
		t.Errorf("makepkg's package and make package's differ:\n only makepkg: %q\n only make package: %q", diff(got, wantFiles), diff(wantFiles, got))
	}
	for _, b := range []string{"bond-up", "bond-down", "bond-hotplug"} {
		hardened(t, filepath.Join(x, "usr/bin", b))
	}
	if out := run(t, "", nil, filepath.Join(x, "usr/bin/bond-up"), "--version"); !strings.Contains(out, "bond-up "+v+"\n") || !strings.Contains(out, "package:  "+v+"-1\n") {
		t.Errorf("the PKGBUILD's bond-up --version:\n%s", out)
	}
	// The scriptlets: the PKGBUILD's install= file and nfpm's .INSTALL define the
	// same functions.
	nfpmInstall := filepath.Join(work, "nfpm.INSTALL")
	if err := os.WriteFile(nfpmInstall, []byte(run(t, "", nil, "tar", "-I", "zstd", "-xOf", arch, ".INSTALL")), 0o644); err != nil {
		t.Fatal(err)
	}
	funcs := func(f string) string {
		return run(t, "", nil, "bash", "-c", `source "$1"; declare -f post_install post_upgrade pre_remove post_remove`, "bash", f)
	}
	if a, b := funcs(filepath.Join(x, ".INSTALL")), funcs(nfpmInstall); a != b {
		t.Errorf("the PKGBUILD's scriptlets differ from the .pkg.tar.zst's:\n%s\n---\n%s", a, b)
	}
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
