// SPDX-License-Identifier: Apache-2.0

package packaging

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// The packager the tests name, as a distribution's maintainer sets it for
// scripts/package (Debian's variables).
const testMaintainer = "Test Maintainer <maintainer@example.org>"

var (
	builtOnce                        sync.Once
	builtDist, builtOut, builtErrMsg string
)

// builtPackages runs scripts/package (what `make package` and CI run) once, with its
// defaults (version, time stamps) and the maintainer from DEBFULLNAME/DEBEMAIL, and
// returns the paths of the three packages and the staged payload (build/pkgroot).
func builtPackages(t *testing.T) (deb, rpm, arch, pkgroot string) {
	t.Helper()
	builtOnce.Do(func() {
		dist, err := os.MkdirTemp("", "bond-hotplug-dist-")
		if err != nil {
			builtErrMsg = err.Error()
			return
		}
		builtDist = dist
		root, _ := filepath.Abs("..")
		cmd := exec.Command(filepath.Join(root, "scripts/package"))
		cmd.Dir = root
		cmd.Env = append(os.Environ(), packageEnv(dist)...)
		out, err := cmd.CombinedOutput()
		builtOut = string(out)
		if err != nil {
			builtErrMsg = "scripts/package: " + err.Error() + "\n" + builtOut
		}
	})
	if builtErrMsg != "" {
		t.Fatal(builtErrMsg)
	}
	t.Logf("scripts/package:\n%s", builtOut)
	return findOne(t, builtDist, "*.deb"), findOne(t, builtDist, "*.rpm"), findOne(t, builtDist, "*.pkg.tar.zst"),
		filepath.Join(repoRoot(t), "build/pkgroot")
}

// packageEnv is the environment of a default `make package` into dist: no VERSION,
// no SOURCE_DATE_EPOCH (scripts/package derives both from git).
func packageEnv(dist string) []string {
	env := []string{"DIST=" + dist, "DEBFULLNAME=Test Maintainer", "DEBEMAIL=maintainer@example.org"}
	for _, v := range []string{"VERSION", "SOURCE_DATE_EPOCH", "MAINTAINER", "FORMATS"} {
		env = append(env, v+"=") // an inherited value would change the defaults under test
	}
	return env
}

// buildPackages runs scripts/package for VERSION and FORMATS into a new directory.
func buildPackages(t *testing.T, version, formats string) string {
	t.Helper()
	root := repoRoot(t)
	dist := t.TempDir()
	out := run(t, root, []string{"DIST=" + dist, "VERSION=" + version, "FORMATS=" + formats}, filepath.Join(root, "scripts/package"))
	t.Logf("scripts/package:\n%s", out)
	return dist
}

func findOne(t *testing.T, dir, glob string) string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, glob))
	if err != nil || len(m) != 1 {
		t.Fatalf("%s in %s: %v %v", glob, dir, m, err)
	}
	return m[0]
}

// files keeps the regular files and symlinks of a listing, as absolute paths.
func clean(list []string) []string {
	var out []string
	for _, p := range list {
		p = strings.TrimPrefix(strings.TrimSpace(p), ".")
		if p == "" || strings.HasSuffix(p, "/") {
			continue
		}
		if !strings.HasPrefix(p, "/") {
			p = "/" + p
		}
		out = append(out, p)
	}
	return uniq(out)
}

func debFiles(t *testing.T, deb string) []string {
	var list []string
	// dpkg-deb -c prints "mode owner size date time path"; the path is the 6th field.
	for _, line := range strings.Split(run(t, "", nil, "dpkg-deb", "-c", deb), "\n") {
		f := strings.Fields(line)
		if len(f) >= 6 && !strings.HasPrefix(f[0], "d") {
			list = append(list, f[5])
		}
	}
	return clean(list)
}

func rpmFiles(t *testing.T, rpm string) []string {
	var list []string
	for _, line := range strings.Split(run(t, "", nil, "rpm", "-qp", "--qf", "[%{FILEMODES:perms} %{FILENAMES}\n]", rpm), "\n") {
		mode, name, ok := strings.Cut(line, " ")
		if ok && !strings.HasPrefix(mode, "d") {
			list = append(list, name)
		}
	}
	return clean(list)
}

func archFiles(t *testing.T, pkg string) []string {
	var list []string
	for _, p := range strings.Split(run(t, "", nil, "tar", "-I", "zstd", "-tf", pkg), "\n") {
		switch p {
		case ".PKGINFO", ".MTREE", ".INSTALL", ".BUILDINFO":
			continue
		}
		list = append(list, p)
	}
	return clean(list)
}

func treeFiles(t *testing.T, dir string) []string {
	var list []string
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if !fi.IsDir() {
			list = append(list, strings.TrimPrefix(p, dir))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return uniq(list)
}

func pkginfo(t *testing.T, pkg string) map[string][]string {
	m := map[string][]string{}
	for _, line := range strings.Split(run(t, "", nil, "tar", "-I", "zstd", "-xOf", pkg, ".PKGINFO"), "\n") {
		k, v, ok := strings.Cut(line, " = ")
		if ok && !strings.HasPrefix(k, "#") {
			m[k] = append(m[k], v)
		}
	}
	return m
}

func TestPackagesShipTheSamePayload(t *testing.T) {
	deb, rpm, arch, pkgroot := builtPackages(t)
	staged := treeFiles(t, pkgroot)
	for _, must := range []string{
		"/usr/bin/bond-up", "/usr/bin/bond-down", "/usr/bin/bond-hotplug",
		"/usr/lib/udev/rules.d/90-bond-hotplug.rules", "/usr/lib/systemd/system/bond-up@.service",
		"/usr/lib/systemd/system/bond-wait-online.service",
		"/usr/lib/modprobe.d/bond-hotplug.conf", "/etc/conf.d/network.conf",
		"/etc/dhcp/dhclient-enter-hooks.d/zz-bond-hotplug", "/usr/lib/dhcpcd/dhcpcd-hooks/21-bond-hotplug",
		"/usr/share/man/man8/bond-up.8.gz", "/usr/share/man/man8/bond-down.8.gz",
		"/usr/share/man/man8/bond-hotplug.8.gz", "/usr/share/man/man5/bond-hotplug.conf.5.gz",
		"/usr/share/doc/bond-hotplug/README.md", "/usr/share/doc/bond-hotplug/CHANGELOG.md",
		"/usr/share/doc/bond-hotplug/RELIABILITY.md", "/usr/share/doc/bond-hotplug/BENCHMARKS.md",
	} {
		if !slices.Contains(staged, must) {
			t.Errorf("install.sh (PREFIX=/usr) did not stage %s; staged %q", must, staged)
		}
	}
	// What each format adds to install.sh's payload or names its own way: the
	// licence as each distribution ships it, Debian's changelogs and the one lintian
	// override; Debian's upstream changelog is changelog.gz, not CHANGELOG.md.
	const doc = "/usr/share/doc/bond-hotplug/"
	license := "/usr/share/licenses/bond-hotplug/LICENSE"
	debWant := append(diff(staged, []string{doc + "CHANGELOG.md"}), doc+"copyright", doc+"changelog.gz",
		doc+"changelog.Debian.gz", "/usr/share/lintian/overrides/bond-hotplug")
	archWant := uniq(append(slices.Clone(staged), license))
	for name, c := range map[string]struct{ got, want []string }{
		"deb":       {debFiles(t, deb), uniq(debWant)},
		"rpm":       {rpmFiles(t, rpm), uniq(append(slices.Clone(staged), license))},
		"archlinux": {archFiles(t, arch), archWant},
	} {
		if !slices.Equal(c.got, c.want) {
			t.Errorf("%s payload differs from install.sh's:\n only in %s: %q\n missing:    %q", name, name, diff(c.got, c.want), diff(c.want, c.got))
		}
	}
	want := archWant

	// The configuration file is one that upgrades never overwrite, in each format.
	ctl := t.TempDir()
	run(t, "", nil, "dpkg-deb", "-e", deb, ctl)
	conffiles, err := os.ReadFile(filepath.Join(ctl, "conffiles"))
	if got := strings.Fields(string(conffiles)); err != nil || !slices.Equal(got, []string{"/etc/conf.d/network.conf", "/etc/dhcp/dhclient-enter-hooks.d/zz-bond-hotplug"}) {
		t.Errorf("deb conffiles = %q, %v; want /etc/conf.d/network.conf and the dhclient hook", conffiles, err)
	}
	if got := strings.TrimSpace(run(t, "", nil, "rpm", "-qp", "--qf", "[%{FILENAMES} %{FILEFLAGS:fflags}\n]", rpm)); !strings.Contains(got, "/etc/conf.d/network.conf cn") {
		t.Errorf("rpm: /etc/conf.d/network.conf is not %%config(noreplace): %s", got)
	}
	if got := pkginfo(t, arch)["backup"]; !slices.Equal(got, []string{"etc/conf.d/network.conf", "etc/dhcp/dhclient-enter-hooks.d/zz-bond-hotplug"}) {
		t.Errorf("archlinux .PKGINFO backup = %q", got)
	}

	// The unit and the rule that the packages ship run the packaged binaries.
	for _, f := range []string{"usr/lib/systemd/system/bond-up@.service", "usr/lib/udev/rules.d/90-bond-hotplug.rules",
		"etc/dhcp/dhclient-enter-hooks.d/zz-bond-hotplug", "usr/lib/dhcpcd/dhcpcd-hooks/21-bond-hotplug"} {
		b, err := os.ReadFile(filepath.Join(pkgroot, f))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), "/usr/bin/bond-") || strings.Contains(string(b), "@BINDIR@") || strings.Contains(string(b), "/usr/local") {
			t.Errorf("%s does not point at /usr/bin:\n%s", f, b)
		}
	}

	// Debian dependencies resolve on Debian: every alternative's first name is a
	// known package here (the host is Debian, like the lab's guest).
	ctrl, err := os.ReadFile(filepath.Join(ctl, "control"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(ctrl), "Depends: libc6, systemd, udev, wpasupplicant, isc-dhcp-client | dhcpcd-base\n") ||
		!strings.Contains(string(ctrl), "Maintainer: "+testMaintainer+"\n") {
		t.Errorf("deb control:\n%s", ctrl)
	}
	if _, err := exec.LookPath("apt-cache"); err == nil {
		for _, p := range []string{"libc6", "systemd", "udev", "wpasupplicant", "isc-dhcp-client", "dhcpcd-base", "wide-dhcpv6-client"} {
			if out, err := exec.Command("apt-cache", "show", "--no-all-versions", p).CombinedOutput(); err != nil {
				t.Errorf("deb dependency %s is not a Debian package here: %v\n%s", p, err, out)
			}
		}
	}

	// The PKGBUILD: bash syntax, its package() installs exactly the same files, and
	// its depends/optdepends/backup are those the .pkg.tar.zst declares.
	root := repoRoot(t)
	run(t, root, nil, "bash", "-n", "packaging/arch/PKGBUILD")
	src := t.TempDir()
	pkgdir := filepath.Join(t.TempDir(), "pkg")
	script := `set -e
source packaging/arch/PKGBUILD
mkdir -p "$SRC" "$PKGDIR"
ln -s "$ROOT" "$SRC/$pkgname-$pkgver"
srcdir=$SRC pkgdir=$PKGDIR
cd "$srcdir"
package >/dev/null
cd "$ROOT"
printf 'depend=%s\n' "${depends[@]}"
printf 'optdepend=%s\n' "${optdepends[@]}"
printf 'backup=%s\n' "${backup[@]}"
`
	out := run(t, root, []string{"SRC=" + src, "PKGDIR=" + pkgdir, "ROOT=" + root}, "bash", "-c", script)
	if got := treeFiles(t, pkgdir); !slices.Equal(got, want) {
		t.Errorf("PKGBUILD package() installs other files than the Arch package:\n only PKGBUILD: %q\n missing: %q", diff(got, want), diff(want, got))
	}
	declared := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		k, v, _ := strings.Cut(line, "=")
		declared[k] = append(declared[k], v)
	}
	info := pkginfo(t, arch)
	for _, k := range []string{"depend", "optdepend", "backup"} {
		if !slices.Equal(uniq(declared[k]), uniq(info[k])) {
			t.Errorf("PKGBUILD %ss %q, .pkg.tar.zst .PKGINFO %q", k, declared[k], info[k])
		}
	}
}

// TestRPMUpgradeKeepsConfig installs the RPM with the real rpm into a scratch root
// (--nodeps: the root has no Fedora packages; --noscripts: it has no shell, and the
// scripts are proven on Debian in the lab), edits the configuration, upgrades to a
// higher version, and erases: the edit survives the upgrade (%config(noreplace)), and
// the erase leaves only RPM's own copy of the edited file (network.conf.rpmsave).
func TestRPMUpgradeKeepsConfig(t *testing.T) {
	v1 := findOne(t, buildPackages(t, "0.0.0.test1", "rpm"), "*.rpm")
	v2 := findOne(t, buildPackages(t, "0.0.0.test2", "rpm"), "*.rpm")
	root := t.TempDir()
	rpm := func(args ...string) string {
		return run(t, "", nil, "rpm", append([]string{"--root", root, "--dbpath", "/var/lib/rpm"}, args...)...)
	}
	rpm("--initdb")
	rpm("-i", "--nodeps", "--noscripts", v1)
	conf := filepath.Join(root, "etc/conf.d/network.conf")
	b, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	edited := append(b, "bond0DHCP6='no' # edited before the upgrade\n"...)
	if err := os.WriteFile(conf, edited, 0o644); err != nil {
		t.Fatal(err)
	}
	rpm("-U", "--nodeps", "--noscripts", v2)
	if got := strings.TrimSpace(rpm("-q", "--qf", "%{VERSION}", "bond-hotplug")); got != "0.0.0.test2" {
		t.Errorf("after rpm -U: version %q, want 0.0.0.test2", got)
	}
	if b, err := os.ReadFile(conf); err != nil || !bytes.Equal(b, edited) {
		t.Errorf("rpm -U did not keep the edited %s (err %v):\n%s", conf, err, b)
	}
	if _, err := os.Stat(conf + ".rpmnew"); err == nil {
		t.Errorf("rpm -U wrote %s.rpmnew although the package's file did not change", conf)
	}
	rpm("-e", "--nodeps", "--noscripts", "bond-hotplug")
	var left []string
	for _, f := range treeFiles(t, root) {
		if !strings.HasPrefix(f, "/var/lib/rpm/") {
			left = append(left, f)
		}
	}
	if !slices.Equal(left, []string{"/etc/conf.d/network.conf.rpmsave"}) {
		t.Errorf("after rpm -e, files left: %q; want only the edited configuration's .rpmsave", left)
	}
}
