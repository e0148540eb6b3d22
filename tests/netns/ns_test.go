// SPDX-License-Identifier: Apache-2.0

package netns_test

// The namespace a test runs in, and running the built binaries inside it.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// testNS is one throw-away network namespace and what the runs in it share: the lock
// directory, the fake systemd's record and the config files, all in one temp dir.
type testNS struct {
	Name string
	H    *netlink.Handle
	dir  string

	mu sync.Mutex // serialises use of H by concurrent goroutines
}

func (ns *testNS) lockDir() string   { return filepath.Join(ns.dir, "lock") }
func (ns *testNS) stateDir() string  { return filepath.Join(ns.dir, "state") }
func (ns *testNS) unitsPath() string { return filepath.Join(ns.dir, "units.json") }

var nsSeq atomic.Int64

// newNS creates a uniquely named namespace with `ip netns add`, so that `ip netns exec`
// mounts a sysfs of that namespace for the binaries, and deletes it when t ends.
func newNS(t *testing.T) *testNS {
	t.Helper()
	if skipReason != "" {
		t.Skip(skipReason)
	}
	name := fmt.Sprintf("bhtest-%d-%d", os.Getpid(), nsSeq.Add(1))
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		// The probe in TestMain succeeded, so this is unexpected: fail, do not skip.
		t.Fatalf("ip netns add %s: %v: %s", name, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil {
			t.Errorf("ip netns del %s: %v: %s", name, err, out)
		}
	})
	// IPv6 duplicate address detection would keep new addresses "tentative" for a
	// second and then change them by itself; nothing here depends on it, and waiting
	// for it would dominate the run time.
	if out, err := exec.Command("ip", "netns", "exec", name, "sysctl", "-q", "-w",
		"net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0").CombinedOutput(); err != nil {
		t.Fatalf("disable IPv6 DAD in %s: %v: %s", name, err, out)
	}
	nsh, err := netns.GetFromName(name)
	if err != nil {
		t.Fatalf("open namespace %s: %v", name, err)
	}
	t.Cleanup(func() { nsh.Close() })
	h, err := netlink.NewHandleAt(nsh)
	if err != nil {
		t.Fatalf("netlink handle in %s: %v", name, err)
	}
	t.Cleanup(h.Close)
	return &testNS{Name: name, H: h, dir: t.TempDir()}
}

// baseEnv is the test process's environment without anything that would steer the
// binaries, with the stub helper programs first on PATH.
func baseEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(k, "BOND_HOTPLUG_"), k == "ACTION", k == "INTERFACE", k == "PATH", k == "LC_ALL":
			continue
		}
		out = append(out, kv)
	}
	return append(out, "PATH="+stubDir+":"+os.Getenv("PATH"), "LC_ALL=C")
}

// command is `ip netns exec NS BIN ARGS...` as udev or a user would run it, with the
// test's lock directory and fake systemd, logs on stderr, and env on top.
func command(ctx context.Context, ns *testNS, env map[string]string, bin string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", ns.Name, bin}, args...)...)
	cmd.Env = append(baseEnv(),
		"BOND_HOTPLUG_LOCKDIR="+ns.lockDir(),
		"BOND_HOTPLUG_STATEDIR="+ns.stateDir(),
		"BOND_HOTPLUG_UNITS=record:"+ns.unitsPath(),
		"BOND_HOTPLUG_STDERR=1",
	)
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		cmd.Env = append(cmd.Env, k+"="+env[k])
	}
	return cmd
}

// run runs bin in ns (see command) and returns its output and exit status. It is safe
// to call from several goroutines; a run that cannot start or hangs is reported with
// t.Errorf and code -1.
func run(t *testing.T, ns *testNS, env map[string]string, bin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := command(ctx, ns, env, bin, args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Errorf("%s %q: timed out\nstdout:\n%s\nstderr:\n%s", filepath.Base(bin), args, o.String(), e.String())
		return o.String(), e.String(), -1
	case errors.As(err, &ee):
		return o.String(), e.String(), ee.ExitCode()
	case err != nil:
		t.Errorf("%s %q: %v", filepath.Base(bin), args, err)
		return o.String(), e.String(), -1
	}
	return o.String(), e.String(), 0
}

// mustRun runs bin and fails the test unless it exits 0.
func mustRun(t *testing.T, ns *testNS, env map[string]string, bin string, args ...string) (stdout, stderr string) {
	t.Helper()
	stdout, stderr, code := run(t, ns, env, bin, args...)
	if code != 0 {
		t.Fatalf("%s %q (env %v): exit %d, want 0\nstdout:\n%s\nstderr:\n%s", filepath.Base(bin), args, env, code, stdout, stderr)
	}
	return stdout, stderr
}

// udevEnv is the environment udev gives a RUN program for a network device event.
func udevEnv(action, ifname string) map[string]string {
	return map[string]string{
		"ACTION":    action,
		"INTERFACE": ifname,
		"SUBSYSTEM": "net",
		"DEVPATH":   "/devices/virtual/net/" + ifname,
		"SEQNUM":    "4242",
	}
}

var confSeq atomic.Int64

// writeConfig writes a root-owned 0644 config file into the test's directory.
func writeConfig(t *testing.T, ns *testNS, content string) string {
	t.Helper()
	p := filepath.Join(ns.dir, fmt.Sprintf("network-%d.conf", confSeq.Add(1)))
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, 0o644); err != nil { // whatever the umask
		t.Fatal(err)
	}
	return p
}

// addVeth creates a veth pair; both ends stay down (no carrier: no asynchronous IPv6
// address or carrier changes that would make dumps differ).
func (ns *testNS) addVeth(name, peer string) error {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	err := ns.H.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: name}, PeerName: peer})
	if err != nil {
		return fmt.Errorf("add veth %s/%s: %w", name, peer, err)
	}
	return nil
}

// delLink deletes a link (a veth takes its peer with it).
func (ns *testNS) delLink(name string) error {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	l, err := ns.H.LinkByName(name)
	if err != nil {
		return fmt.Errorf("delete %s: %w", name, err)
	}
	if err := ns.H.LinkDel(l); err != nil {
		return fmt.Errorf("delete %s: %w", name, err)
	}
	return nil
}

func mustVeth(t *testing.T, ns *testNS, pairs ...string) {
	t.Helper()
	for i := 0; i+1 < len(pairs); i += 2 {
		if err := ns.addVeth(pairs[i], pairs[i+1]); err != nil {
			t.Fatal(err)
		}
	}
}

func mustDel(t *testing.T, ns *testNS, names ...string) {
	t.Helper()
	for _, n := range names {
		if err := ns.delLink(n); err != nil {
			t.Fatal(err)
		}
	}
}

// link returns the named link, or nil when it does not exist.
func (ns *testNS) link(t *testing.T, name string) netlink.Link {
	t.Helper()
	ns.mu.Lock()
	defer ns.mu.Unlock()
	l, err := ns.H.LinkByName(name)
	if err != nil {
		var nf netlink.LinkNotFoundError
		if errors.As(err, &nf) {
			return nil
		}
		t.Fatalf("look up %s: %v", name, err)
	}
	return l
}

// mustLink is link for a device the test needs: its absence ends the test.
func (ns *testNS) mustLink(t *testing.T, name string) netlink.Link {
	t.Helper()
	l := ns.link(t, name)
	if l == nil {
		t.Fatalf("%s does not exist", name)
	}
	return l
}

// linkNames lists every link name in the namespace, sorted.
func (ns *testNS) linkNames(t *testing.T) []string {
	t.Helper()
	ns.mu.Lock()
	defer ns.mu.Unlock()
	ls, err := ns.H.LinkList()
	if err != nil {
		t.Fatalf("list links: %v", err)
	}
	var out []string
	for _, l := range ls {
		out = append(out, l.Attrs().Name)
	}
	sort.Strings(out)
	return out
}

// withLink runs f on the named link under the handle's lock, failing the test on error.
func withLink(t *testing.T, ns *testNS, name string, f func(h *netlink.Handle, l netlink.Link) error) {
	t.Helper()
	l := ns.mustLink(t, name)
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if err := f(ns.H, l); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}
