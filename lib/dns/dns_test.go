// SPDX-License-Identifier: Apache-2.0

package dns

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/bond-hotplug/bond-hotplug/lib/units"
)

// env is a DHCP client script's environment.
func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func addrs(ss ...string) []netip.Addr {
	var out []netip.Addr
	for _, s := range ss {
		out = append(out, netip.MustParseAddr(s))
	}
	return out
}

// The variables are the ones dhclient-script(8) documents and Debian's script reads
// in make_resolv_conf.
func TestFromEnvDhclient(t *testing.T) {
	ev, err := FromEnv(env("interface", "bond0", "reason", "BOUND",
		"new_domain_name_servers", "10.77.0.1 10.77.0.2 10.77.0.1", "new_domain_name", "home.test",
		"new_domain_search", "lab.test. other.test"))
	if err != nil {
		t.Fatal(err)
	}
	want := Data{Servers: addrs("10.77.0.1", "10.77.0.2"), Search: []string{"home.test", "lab.test", "other.test"}}
	if ev.Proto != V4 || ev.Op != OpSet || !reflect.DeepEqual(ev.Data, want) {
		t.Fatalf("got %+v, want v4 set %+v", ev, want)
	}
	ev, err = FromEnv(env("interface", "bond0", "reason", "BOUND6",
		"new_dhcp6_name_servers", "fd77::1 fe80::1", "new_dhcp6_domain_search", "lab.test."))
	if err != nil {
		t.Fatal(err)
	}
	want = Data{Servers: addrs("fd77::1", "fe80::1%bond0"), Search: []string{"lab.test"}}
	if ev.Proto != V6 || ev.Op != OpSet || !reflect.DeepEqual(ev.Data, want) {
		t.Fatalf("got %+v, want v6 set %+v", ev, want)
	}
	for _, r := range []string{"RELEASE", "EXPIRE", "STOP", "FAIL", "RELEASE6", "EXPIRE6", "STOP6"} {
		ev, err := FromEnv(env("interface", "bond0", "reason", r, "old_domain_name_servers", "10.77.0.1"))
		if err != nil || ev.Op != OpClear || ev.Proto != map[bool]Proto{true: V6, false: V4}[strings.HasSuffix(r, "6")] {
			t.Errorf("%s: got %+v, %v", r, ev, err)
		}
	}
	if _, err := FromEnv(env("reason", "BOUND")); err == nil {
		t.Error("no $interface: want an error")
	}
}

// dhcpcd names the protocol in $protocol; its reasons for DHCPv6 end in 6 too.
func TestFromEnvDhcpcd(t *testing.T) {
	ev, err := FromEnv(env("interface", "bond0", "reason", "BOUND", "protocol", "dhcp",
		"new_domain_name_servers", "10.77.0.1"))
	if err != nil || ev.Proto != V4 || len(ev.Data.Servers) != 1 {
		t.Fatalf("got %+v %v", ev, err)
	}
	ev, err = FromEnv(env("interface", "bond0", "reason", "INFORM6", "protocol", "dhcp6",
		"new_dhcp6_name_servers", "fd77::1"))
	if err != nil || ev.Proto != V6 || len(ev.Data.Servers) != 1 {
		t.Fatalf("got %+v %v", ev, err)
	}
	// A lease going down, whatever dhcpcd's reason: its $if_down says so.
	ev, err = FromEnv(env("interface", "bond0", "reason", "ROUTERADVERT", "protocol", "dhcp6", "if_down", "true",
		"new_dhcp6_name_servers", "fd77::1"))
	if err != nil || ev.Proto != V6 || ev.Op != OpClear {
		t.Fatalf("if_down: got %+v %v", ev, err)
	}
}

// A server's values never write lines of their own into resolv.conf: what is not an
// address or a domain name is dropped and named.
func TestFromEnvRejects(t *testing.T) {
	ev, err := FromEnv(env("interface", "bond0", "reason", "BOUND",
		"new_domain_name_servers", "10.77.0.1 0.0.0.0 224.0.0.1 evil",
		"new_domain_search", "ok.test x\nnameserver 6.6.6.6 sp;ace a..b sl/ash"))
	if err != nil {
		t.Fatal(err)
	}
	// Split on white space as dhclient-script splits it: the words of a newline
	// are search words on the one search line, never a line of their own.
	if !reflect.DeepEqual(ev.Data, Data{Servers: addrs("10.77.0.1"), Search: []string{"ok.test", "x", "nameserver", "6.6.6.6"}}) {
		t.Fatalf("got %+v", ev.Data)
	}
	if len(ev.Dropped) != 6 {
		t.Fatalf("dropped %d, want 6: %q", len(ev.Dropped), ev.Dropped)
	}
	if got := ev.Data.Render(); got != "search ok.test x nameserver 6.6.6.6\nnameserver 10.77.0.1\n" {
		t.Fatalf("record %q", got)
	}
}

func TestRenderParse(t *testing.T) {
	d := Data{Servers: addrs("10.77.0.1", "fd77::1", "fe80::1%bond0"), Search: []string{"lab.test"}}
	text := d.Render()
	if text != "search lab.test\nnameserver 10.77.0.1\nnameserver fd77::1\nnameserver fe80::1%bond0\n" {
		t.Fatalf("render: %q", text)
	}
	back, err := Parse("x", text)
	if err != nil || !reflect.DeepEqual(back, d) {
		t.Fatalf("parse: %+v %v", back, err)
	}
	if _, err := Parse("f", "search ok\nbogus line\n"); err == nil || !strings.Contains(err.Error(), "f:2:") {
		t.Fatalf("want an error naming f:2, got %v", err)
	}
	// glibc reads 3 servers: a fourth is left out rather than silently ignored later.
	four := Data{Servers: addrs("10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4")}
	if n := strings.Count(four.Render(), "nameserver"); n != 3 {
		t.Fatalf("%d nameserver lines, want 3", n)
	}
}

// The store's directories are the DHCP units' runtime directories (their sandbox
// may write there and nowhere else under /run).
func TestUnitDirIsTheUnitsRuntimeDir(t *testing.T) {
	for p, role := range map[Proto]units.Role{V4: units.RoleDHCP4, V6: units.RoleDHCP6} {
		if got, want := "bond-hotplug/"+unitDir(p, "bond0"), units.RuntimeDir(role, "bond0"); got != want {
			t.Errorf("%s: %s, want %s", p, got, want)
		}
	}
}

// fakeBus records resolved's calls (the logic above D-Bus; the lab calls the real one).
type fakeBus struct {
	calls []string
	fail  error
}

func (f *fakeBus) SetLinkDNS(i int, s []Server) error {
	var parts []string
	for _, x := range s {
		a, _ := netip.AddrFromSlice(x.Addr)
		parts = append(parts, a.String())
		if (x.Family == afInet) != a.Is4() {
			parts = append(parts, "WRONG-FAMILY")
		}
	}
	f.calls = append(f.calls, "dns "+strings.Join(parts, ","))
	return f.fail
}
func (f *fakeBus) SetLinkDomains(i int, d []Domain) error {
	var parts []string
	for _, x := range d {
		parts = append(parts, x.Name)
	}
	f.calls = append(f.calls, "domains "+strings.Join(parts, ","))
	return nil
}
func (f *fakeBus) SetLinkDefaultRoute(i int, on bool) error {
	f.calls = append(f.calls, "default-route")
	return nil
}
func (f *fakeBus) RevertLink(i int) error { f.calls = append(f.calls, "revert"); return nil }

type fixture struct {
	root  string
	etc   string
	runs  []string
	bus   *fakeBus
	u     Updater
	rcSrc string // resolvconf's path, "" for none
}

func newFixture(t *testing.T) *fixture {
	f := &fixture{root: t.TempDir(), etc: t.TempDir(), bus: &fakeBus{}}
	for _, d := range []string{"bond-dhcp4-bond0", "bond-dhcp6-bond0", "bond-dhcp4-bond1"} {
		if err := os.Mkdir(filepath.Join(f.root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	f.u = Updater{Store: Store{Root: f.root}, System: System{
		Resolved: func() (ResolvedBus, bool) { return nil, false },
		LookPath: func(p string) (string, error) {
			if f.rcSrc == "" {
				return "", errors.New("not found")
			}
			return f.rcSrc, nil
		},
		Index:      func(string) int { return 7 },
		ResolvConf: filepath.Join(f.etc, "resolv.conf"),
		Saved:      filepath.Join(f.etc, "resolv.conf.bond-hotplug-saved"),
		Run: func(argv []string, stdin []byte) error {
			f.runs = append(f.runs, strings.Join(argv[1:], " ")+"|"+strings.ReplaceAll(string(stdin), "\n", ";"))
			return nil
		},
	}}
	return f
}

var (
	v4data = Data{Servers: addrs("10.77.0.1"), Search: []string{"lab.test"}}
	v6data = Data{Servers: addrs("fd77::1"), Search: []string{"lab.test", "six.test"}}
)

// With resolved: the link's v4 and v6 data merged in one SetLinkDNS, the link reverted
// when the last protocol's lease is gone.
func TestResolvedMergesAndReverts(t *testing.T) {
	f := newFixture(t)
	f.u.System.Resolved = func() (ResolvedBus, bool) { return f.bus, true }
	must(t, f.u.Set("bond0", 7, V4, v4data))
	must(t, f.u.Set("bond0", 7, V6, v6data))
	must(t, f.u.Drop("bond0", 7, V4))
	must(t, f.u.Drop("bond0", 7, V6))
	want := []string{
		"dns 10.77.0.1", "domains lab.test", "default-route",
		"dns 10.77.0.1,fd77::1", "domains lab.test,six.test", "default-route",
		"dns fd77::1", "domains lab.test,six.test", "default-route",
		"revert",
	}
	if !reflect.DeepEqual(f.bus.calls, want) {
		t.Fatalf("calls:\n%q\nwant\n%q", f.bus.calls, want)
	}
	if ms, _ := f.u.Store.Masters(); len(ms) != 0 {
		t.Fatalf("data left: %v", ms)
	}
	f.bus.fail = errors.New("access denied")
	if err := f.u.Set("bond0", 7, V4, v4data); err == nil || !strings.Contains(err.Error(), "SetLinkDNS bond0") {
		t.Fatalf("want the bus error with the call and link, got %v", err)
	}
}

// systemd's resolvconf shim is never taken for resolvconf (systemd issue 25032).
func TestDetect(t *testing.T) {
	f := newFixture(t)
	dir := t.TempDir()
	if b, _ := Detect(f.u.System); b.Name() != "resolv.conf" {
		t.Fatalf("nothing installed: %s", b.Name())
	}
	rv := filepath.Join(dir, "resolvectl")
	must(t, os.WriteFile(rv, []byte("\x7fELF"), 0o755))
	must(t, os.Symlink(rv, filepath.Join(dir, "resolvconf")))
	f.rcSrc = filepath.Join(dir, "resolvconf")
	if b, why := Detect(f.u.System); b.Name() != "resolv.conf" || !strings.Contains(why, "systemd's resolvconf") {
		t.Fatalf("shim without resolved: %s (%s)", b.Name(), why)
	}
	f.u.System.Resolved = func() (ResolvedBus, bool) { return f.bus, true }
	if b, _ := Detect(f.u.System); b.Name() != "systemd-resolved" {
		t.Fatalf("shim with resolved: %s", b.Name())
	}
	f.u.System.Resolved = func() (ResolvedBus, bool) { return nil, false }
	deb := filepath.Join(dir, "deb-resolvconf")
	must(t, os.WriteFile(deb, []byte("#!/bin/sh\n# resolvconf\n"), 0o755))
	f.rcSrc = deb
	if b, _ := Detect(f.u.System); b.Name() != "resolvconf" {
		t.Fatalf("Debian's resolvconf: %s", b.Name())
	}
	or := filepath.Join(dir, "openresolv")
	must(t, os.WriteFile(or, []byte("#!/bin/sh\nRESOLVCONF=\"$0\"\nOPENRESOLV_VERSION=\"3.12.0\"\necho openresolv\n"), 0o755))
	f.rcSrc = or
	if b, _ := Detect(f.u.System); b.Name() != "openresolv" {
		t.Fatalf("openresolv: %s", b.Name())
	}
}

// With resolvconf: one record per protocol, each deleted when its lease is gone.
func TestResolvconfRecords(t *testing.T) {
	f := newFixture(t)
	f.rcSrc = filepath.Join(t.TempDir(), "resolvconf")
	must(t, os.WriteFile(f.rcSrc, []byte("#!/bin/sh\n"), 0o755))
	must(t, f.u.Set("bond0", 7, V4, v4data))
	must(t, f.u.Set("bond0", 7, V6, v6data))
	must(t, f.u.Drop("bond0", 7, V6))
	must(t, f.u.Drop("bond0", 7, V4))
	want := []string{
		"-a bond0.dhcp|search lab.test;nameserver 10.77.0.1;", "-d bond0.dhcp6|",
		"-a bond0.dhcp|search lab.test;nameserver 10.77.0.1;", "-a bond0.dhcp6|search lab.test six.test;nameserver fd77::1;",
		"-a bond0.dhcp|search lab.test;nameserver 10.77.0.1;", "-d bond0.dhcp6|",
		"-d bond0.dhcp|", "-d bond0.dhcp6|",
	}
	if !reflect.DeepEqual(f.runs, want) {
		t.Fatalf("runs:\n%q\nwant\n%q", f.runs, want)
	}
}

// With neither: our resolv.conf replaces the user's atomically, holds both masters'
// merged data, and the user's file (here a symlink, kept as such) comes back when the
// last lease is gone.
func TestFileReplacesAndRestores(t *testing.T) {
	f := newFixture(t)
	rc := f.u.System.ResolvConf
	must(t, os.WriteFile(filepath.Join(f.etc, "user.conf"), []byte("nameserver 192.0.2.53\n"), 0o644))
	must(t, os.Symlink("user.conf", rc))
	must(t, f.u.Set("bond0", 7, V4, v4data))
	must(t, f.u.Set("bond0", 7, V6, v6data))
	must(t, f.u.Set("bond1", 8, V4, Data{Servers: addrs("10.88.0.1")}))
	b, err := os.ReadFile(rc)
	must(t, err)
	if want := Header + "search lab.test six.test\nnameserver 10.77.0.1\nnameserver fd77::1\nnameserver 10.88.0.1\n"; string(b) != want {
		t.Fatalf("resolv.conf:\n%s\nwant\n%s", b, want)
	}
	if st, err := os.Lstat(rc); err != nil || !st.Mode().IsRegular() || st.Mode().Perm() != 0o644 {
		t.Fatalf("resolv.conf: %v %v, want a regular 0644 file", st.Mode(), err)
	}
	must(t, f.u.Drop("bond0", 7, V4))
	must(t, f.u.Drop("bond0", 7, V6))
	if !Ours(rc) {
		t.Fatal("bond1 still has a lease: the file must stay ours")
	}
	must(t, f.u.Drop("bond1", 8, V4))
	if l, err := os.Readlink(rc); err != nil || l != "user.conf" {
		t.Fatalf("the user's symlink is not back: %q %v", l, err)
	}
	if _, err := os.Lstat(f.u.System.Saved); !os.IsNotExist(err) {
		t.Fatalf("saved copy left behind: %v", err)
	}
	// A regular file's mode is kept (dhclient-script keeps it too).
	must(t, os.Remove(rc))
	must(t, os.WriteFile(rc, []byte("nameserver 192.0.2.53\n"), 0o640))
	must(t, os.Chmod(rc, 0o640))
	must(t, f.u.Set("bond0", 7, V4, v4data))
	if st, err := os.Stat(rc); err != nil || st.Mode().Perm() != 0o640 || !Ours(rc) {
		t.Fatalf("replaced resolv.conf: %v %v, want ours with mode 0640", st.Mode(), err)
	}
	must(t, f.u.Drop("bond0", 7, V4))
	// No file before: none after.
	must(t, os.Remove(rc))
	must(t, f.u.Set("bond0", 7, V4, v4data))
	must(t, f.u.Drop("bond0", 7, V4))
	if _, err := os.Lstat(rc); !os.IsNotExist(err) {
		t.Fatalf("resolv.conf left behind: %v", err)
	}
	// A file someone else wrote over ours is theirs: not touched at teardown.
	must(t, f.u.Set("bond0", 7, V4, v4data))
	must(t, os.WriteFile(rc, []byte("nameserver 198.51.100.1\n"), 0o644))
	must(t, f.u.Drop("bond0", 7, V4))
	if b, _ := os.ReadFile(rc); string(b) != "nameserver 198.51.100.1\n" {
		t.Fatalf("someone else's file was changed: %q", b)
	}
	if _, err := os.Lstat(f.u.System.Saved); !os.IsNotExist(err) {
		t.Fatalf("saved copy left behind after someone replaced our file: %v", err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// The script's call: the master named on the command line must be the interface the
// client reports; a client stopped without a release is cleaned up by Teardown.
func TestFromScriptAndTeardown(t *testing.T) {
	f := newFixture(t)
	f.u.System.Resolved = func() (ResolvedBus, bool) { return f.bus, true }
	ev := env("interface", "bond0", "reason", "BOUND", "new_domain_name_servers", "10.77.0.1")
	if err := FromScript(f.u, "bond1", ev); err == nil || !strings.Contains(err.Error(), "called for interface bond0") {
		t.Fatalf("want a mismatch error, got %v", err)
	}
	if err := FromScript(f.u, "bond0;x", ev); err == nil {
		t.Fatal("a bad master name: want an error")
	}
	must(t, FromScript(f.u, "bond0", ev))
	if d, _ := f.u.Store.Get("bond0", V4); len(d.Servers) != 1 {
		t.Fatalf("kept %+v", d)
	}
	n := len(f.bus.calls)
	must(t, Teardown(f.u, "bond0", V6)) // nothing kept for DHCPv6: no call
	if len(f.bus.calls) != n {
		t.Fatalf("teardown without data called resolved: %q", f.bus.calls[n:])
	}
	must(t, Teardown(f.u, "bond0", V4))
	if got := f.bus.calls[len(f.bus.calls)-1]; got != "revert" {
		t.Fatalf("last call %q, want revert", got)
	}
}

// resolvconf installed while our resolv.conf is in place: when the last lease goes,
// the user's file comes back all the same.
func TestBackendChangeLeavesNothing(t *testing.T) {
	f := newFixture(t)
	rc := f.u.System.ResolvConf
	must(t, os.WriteFile(rc, []byte("nameserver 192.0.2.53\n"), 0o644))
	must(t, f.u.Set("bond0", 7, V4, v4data))
	if !Ours(rc) {
		t.Fatal("no resolv.conf of ours")
	}
	f.rcSrc = filepath.Join(t.TempDir(), "resolvconf")
	must(t, os.WriteFile(f.rcSrc, []byte("#!/bin/sh\n"), 0o755))
	must(t, f.u.Drop("bond0", 7, V4))
	if b, _ := os.ReadFile(rc); string(b) != "nameserver 192.0.2.53\n" {
		t.Fatalf("resolv.conf %q, want the user's back", b)
	}
	if _, err := os.Lstat(f.u.System.Saved); !os.IsNotExist(err) {
		t.Fatalf("saved copy left: %v", err)
	}
}
