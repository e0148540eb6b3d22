// SPDX-License-Identifier: Apache-2.0

package packaging

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// installSh runs install.sh with env in a mount namespace whose /run is an empty
// tmpfs, so that its udev and systemd reloads find neither (the host's daemons are
// left alone), and returns its output and exit error.
func installSh(t *testing.T, env []string, args ...string) (string, error) {
	t.Helper()
	root := repoRoot(t)
	script := `mount -t tmpfs none /run && exec "$0" "$@"`
	cmd := exec.Command("unshare", append([]string{"--mount", "--propagation", "private", "sh", "-c", script, filepath.Join(root, "install.sh")}, args...)...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestInstallManifest: a real install (no DESTDIR) lists what it installed; an
// uninstall run with another PREFIX removes exactly those files (not the
// configuration) and warns about an enabled bond-up@ instance; with neither a
// manifest nor files under PREFIX, it fails instead of reporting success.
func TestInstallManifest(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: install.sh runs in a mount namespace with its own /run")
	}
	builtPackages(t) // install.sh NO_BUILD=1 installs build/'s binaries
	dir := t.TempDir()
	prefix, etc, manifest := filepath.Join(dir, "prefix"), filepath.Join(dir, "etc"), filepath.Join(dir, "lib/install.manifest")
	// dhcpcd's hook goes where dhcpcd reads hooks, outside PREFIX: here into dir too.
	hooks := filepath.Join(dir, "dhcpcd-hooks")
	env := []string{"PREFIX=" + prefix, "SYSCONFDIR=" + etc, "MANIFEST=" + manifest, "NO_BUILD=1", "DESTDIR=",
		"DHCPCD_HOOKDIR=" + hooks}
	out, err := installSh(t, env)
	if err != nil {
		t.Fatalf("install.sh: %v\n%s", err, out)
	}
	b, err := os.ReadFile(manifest)
	if err != nil {
		t.Fatalf("no manifest after install: %v\n%s", err, out)
	}
	var listed []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "/") {
			listed = append(listed, l)
		}
	}
	var installed []string
	for _, d := range []string{prefix, etc, hooks} {
		for _, f := range treeFiles(t, d) {
			installed = append(installed, d+f)
		}
	}
	conf := filepath.Join(etc, "conf.d/network.conf")
	if want := diff(installed, []string{conf}); !equalSets(listed, want) {
		t.Errorf("manifest lists %q\nbut the install wrote %q", listed, want)
	}
	if len(listed) < 14 {
		t.Errorf("manifest lists only %d files", len(listed))
	}

	// An enabled instance, as systemctl enable makes it.
	wants := filepath.Join(etc, "systemd/system/multi-user.target.wants")
	if err := os.MkdirAll(wants, 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(wants, "bond-up@bond0.service")
	if err := os.Symlink(filepath.Join(etc, "systemd/system/bond-up@.service"), link); err != nil {
		t.Fatal(err)
	}
	other := append(env[1:], "PREFIX="+filepath.Join(dir, "elsewhere"))
	out, err = installSh(t, other, "--uninstall")
	if err != nil {
		t.Fatalf("install.sh --uninstall (another PREFIX): %v\n%s", err, out)
	}
	for _, f := range listed {
		if _, err := os.Lstat(f); err == nil {
			t.Errorf("--uninstall left %s", f)
		}
	}
	if _, err := os.Stat(conf); err != nil {
		t.Errorf("--uninstall removed the configuration: %v", err)
	}
	if _, err := os.Stat(manifest); err == nil {
		t.Errorf("--uninstall kept the manifest")
	}
	if !strings.Contains(out, "warning: bond-up@bond0.service is still enabled") {
		t.Errorf("--uninstall did not warn about the enabled instance:\n%s", out)
	}

	// Nothing left and no manifest: an error, not a success.
	out, err = installSh(t, other, "--uninstall")
	if err == nil || !strings.Contains(out, "nothing of bond-hotplug under PREFIX=") {
		t.Errorf("--uninstall with nothing installed: %v\n%s", err, out)
	}
}

func equalSets(a, b []string) bool {
	return len(diff(a, b)) == 0 && len(diff(b, a)) == 0
}
