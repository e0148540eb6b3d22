// SPDX-License-Identifier: Apache-2.0

package netns_test

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// convergedWithNewcomer sets up the state in which every accepted run would change
// something: br0 converged from brConf with veth0, and veth1 (a configured slave)
// present but not yet enslaved. bond-up or an add event would enslave veth1, bond-down
// would tear br0 down.
func convergedWithNewcomer(t *testing.T) (*testNS, string) {
	t.Helper()
	ns := newNS(t)
	mustVeth(t, ns, "veth0", "peer0")
	good := writeConfig(t, ns, brConf)
	mustRun(t, ns, nil, upBin, "-c", good)
	mustVeth(t, ns, "veth1", "peer1")
	return ns, good
}

// replaceLine returns brConf with line n (1-based) replaced, or appended when n is one
// past the end.
func replaceLine(n int, line string) string {
	lines := strings.Split(strings.TrimSuffix(brConf, "\n"), "\n")
	if n == len(lines)+1 {
		lines = append(lines, line)
	} else {
		lines[n-1] = line
	}
	return strings.Join(lines, "\n") + "\n"
}

func TestBadConfigChangesNothing(t *testing.T) {
	t.Parallel()
	type badCase struct {
		name string
		// make writes the bad file and returns its path and what stderr must name
		// (path:line, or the path).
		make func(t *testing.T, ns *testNS) (path, where string)
		msg  string // part of the explanation
		// hotplugExit is what an add event exits with (a file that configures no
		// master makes every device foreign: 0).
		hotplugExit int
	}
	atLine := func(n int, line string) func(t *testing.T, ns *testNS) (string, string) {
		return func(t *testing.T, ns *testNS) (string, string) {
			p := writeConfig(t, ns, replaceLine(n, line))
			return p, fmt.Sprintf("%s:%d: ", p, n)
		}
	}
	whole := func(content string, prep func(t *testing.T, p string)) func(t *testing.T, ns *testNS) (string, string) {
		return func(t *testing.T, ns *testNS) (string, string) {
			p := writeConfig(t, ns, content)
			if prep != nil {
				prep(t, p)
			}
			return p, p + ": "
		}
	}
	chmod := func(mode os.FileMode) func(t *testing.T, p string) {
		return func(t *testing.T, p string) {
			if err := os.Chmod(p, mode); err != nil {
				t.Fatal(err)
			}
		}
	}
	// raw writes content as is and expects the error at line n.
	raw := func(content string, n int) func(t *testing.T, ns *testNS) (string, string) {
		return func(t *testing.T, ns *testNS) (string, string) {
			p := writeConfig(t, ns, content)
			return p, fmt.Sprintf("%s:%d: ", p, n)
		}
	}
	// bond1 appends a second master (a bond: the file is checked whole, even though
	// this kernel could not make it) with the given lines; the error is on line 5+at.
	bond1 := func(at int, lines ...string) func(t *testing.T, ns *testNS) (string, string) {
		return raw(brConf+strings.Join(lines, "\n")+"\n", 5+at)
	}
	cases := []badCase{
		{name: "a CRLF line ending", make: raw(brConf+"br0DHCP=yes\r\n", 5), msg: "CRLF line ending", hotplugExit: 2},
		{name: "a UTF-8 byte order mark", make: raw("\xef\xbb\xbf"+brConf, 1), msg: "byte order mark", hotplugExit: 2},
		{name: "a NUL byte", make: raw(brConf+"br0DHCP=y\x00es\n", 5), msg: "NUL byte", hotplugExit: 2},
		{name: "a 10 MB file", make: whole(brConf+strings.Repeat("# padding padding padding padding\n", 300000), nil), msg: "larger than the 1048576-byte limit", hotplugExit: 2},
		{name: "an empty file", make: whole("", nil), msg: "configures no master", hotplugExit: 0},
		{name: "a key without '='", make: raw(brConf+"br0ADDRS2\n", 5), msg: "line has no '='", hotplugExit: 2},
		{name: "an IPv4 prefix of 33", make: bond1(1, "bond1SLAVES=eth7", "bond1ADDRS='10.1.0.1/33'"), msg: "is not ADDRESS/LENGTH", hotplugExit: 2},
		{name: "an IPv6 prefix of 129", make: bond1(1, "bond1SLAVES=eth7", "bond1ADDRS='fd00::1/129'"), msg: "is not ADDRESS/LENGTH", hotplugExit: 2},
		{name: "a route source of the wrong family", make: bond1(1, "bond1SLAVES=eth7", `bond1ROUTES='"default via fd00::1 src 10.1.0.1"'`), msg: "is IPv4 but the destination ::/0 is IPv6", hotplugExit: 2},
		{name: "a gateway of the wrong family", make: bond1(1, "bond1SLAVES=eth7", `bond1ROUTES='"10.0.0.0/8 via fd00::1"'`), msg: "bond1ROUTES", hotplugExit: 2},
		{name: "an unknown bond mode", make: bond1(1, "bond1SLAVES=eth7", "bond1MODE=frob"), msg: "unknown bonding mode", hotplugExit: 2},
		{name: "a negative miimon", make: bond1(1, "bond1SLAVES=eth7", "bond1MIIMON=-5"), msg: "is not a whole number of milliseconds", hotplugExit: 2},
		{name: "a huge miimon", make: bond1(1, "bond1SLAVES=eth7", "bond1MIIMON=99999999999"), msg: "out of range", hotplugExit: 2},
		{name: "a primary that is not among the slaves", make: bond1(1, "bond1SLAVES=eth7", "bond1PRIMARY=eth8"), msg: "is not among bond1SLAVES", hotplugExit: 2},
		{name: "a slave glob that matches the master itself", make: bond1(0, "bond1SLAVES='eth7 bond*'"), msg: "matches the master bond1 itself", hotplugExit: 2},
		{name: "a 16-byte interface name", make: bond1(0, "bond1SLAVES='eth7 abcdefghijklmnop'"), msg: "longer than 15", hotplugExit: 2},
		{name: "an interface name with '/'", make: bond1(0, "bond1SLAVES='eth7 a/b'"), msg: "contains '/'", hotplugExit: 2},
		{name: "an interface name with a command substitution", make: bond1(0, "bond1SLAVES='eth7 b$(reboot)'"), msg: "contains '$'", hotplugExit: 2},
		{name: "a non-ASCII interface name", make: bond1(0, "bond1SLAVES='eth7 wl\u00e4n0'"), msg: "non-ASCII", hotplugExit: 2},
		{name: "an updelay that is not a multiple of miimon", make: bond1(1, "bond1SLAVES=eth7", "bond1UPDELAY=150"), msg: "is not a multiple of bond1MIIMON", hotplugExit: 2},
		{name: "a relative supplicant config path", make: raw(brConf+"eth7SUPPLICANT_CONF=relative.conf\n", 5), msg: "is not an absolute path", hotplugExit: 2},
		{name: "an unknown escape in double quotes", make: raw(brConf+"br0DHCP=\"y\\q\"\n", 5), msg: "unknown escape", hotplugExit: 2},
		{name: "an unterminated quote", make: atLine(5, "br0DHCP='yes"), msg: "unterminated single quote", hotplugExit: 2},
		{name: "an address without prefix length", make: atLine(3, "br0ADDRS='10.99.0.2 fd00:99::2/64'"), msg: "no prefix length", hotplugExit: 2},
		{name: "an unknown key", make: atLine(5, "br0FROB=1"), msg: "unknown setting br0FROB", hotplugExit: 2},
		{name: "a misspelt key", make: atLine(5, "br0DHCP6_CLEINT=dhclient"), msg: "did you mean br0DHCP6_CLIENT", hotplugExit: 2},
		{name: "a bad route word", make: atLine(4, `br0ROUTES='"10.98.0.0/16 gateway 10.99.0.1"'`), msg: "gateway", hotplugExit: 2},
		{name: "an interface name with a semicolon", make: atLine(2, "br0SLAVES='veth* lan;1'"), msg: "';'", hotplugExit: 2},
		{name: "a key with a semicolon", make: atLine(5, "br;1SLAVES=eth0"), msg: "';'", hotplugExit: 2},
		{name: "a bonding option on a bridge", make: atLine(5, "br0MODE=active-backup"), msg: "is a bonding setting but br0 is a bridge", hotplugExit: 2},
		{name: "a key set twice to different values", make: atLine(5, "br0ADDRS='10.99.0.3/24'"), msg: "set again with a different value", hotplugExit: 2},
		{name: "a DHCP value that is not yes or no", make: atLine(5, "br0DHCP=maybe"), msg: "is not yes or no", hotplugExit: 2},
		{name: "a file writable by others (0666)", make: whole(brConf, chmod(0o666)), msg: "writable by group or others (mode 0666)", hotplugExit: 2},
		{name: "a file writable by its group (0664)", make: whole(brConf, chmod(0o664)), msg: "writable by group or others", hotplugExit: 2},
		{name: "a file owned by uid 1000", make: whole(brConf, func(t *testing.T, p string) {
			if err := os.Chown(p, 1000, 1000); err != nil {
				t.Fatal(err)
			}
		}), msg: "owned by uid 1000, must be root", hotplugExit: 2},
		{name: "a symbolic link to a file writable by others", make: func(t *testing.T, ns *testNS) (string, string) {
			target := writeConfig(t, ns, brConf)
			chmod(0o666)(t, target)
			link := filepath.Join(ns.dir, "link.conf")
			if err := os.Symlink(target, link); err != nil {
				t.Fatal(err)
			}
			return link, link + ": "
		}, msg: "writable by group or others", hotplugExit: 2},
		{name: "a missing file", make: func(t *testing.T, ns *testNS) (string, string) {
			p := filepath.Join(ns.dir, "no-such.conf")
			return p, p + ": "
		}, msg: "no such file", hotplugExit: 2},
		{name: "a directory", make: func(t *testing.T, ns *testNS) (string, string) {
			p := filepath.Join(ns.dir, "conf.d")
			if err := os.Mkdir(p, 0o755); err != nil {
				t.Fatal(err)
			}
			return p, p + ": "
		}, msg: "not a regular file (a directory)", hotplugExit: 2},
		{name: "a file that configures no master", make: whole("# nothing here\nveth0SUPPLICANT=no\n", nil), msg: "configures no master", hotplugExit: 0},
	}
	for _, c := range cases {
		t.Run("a config with "+c.name+" exits 2, names the place and changes nothing", func(t *testing.T) {
			t.Parallel()
			ns, _ := convergedWithNewcomer(t)
			path, where := c.make(t, ns)
			before := dump(t, ns)
			recBefore, _ := readUnits(t, ns)

			for _, r := range []struct {
				bin  string
				env  map[string]string
				args []string
				exit int
			}{
				{upBin, nil, []string{"-c", path}, 2},
				{upBin, nil, []string{"-c", path, "-n"}, 2},
				{downBin, nil, []string{"-c", path}, 2},
				{hotplugBin, udevEnv("add", "veth1"), []string{"-c", path}, c.hotplugExit},
				{hotplugBin, map[string]string{"BOND_HOTPLUG_CONFIG": path}, []string{"add", "veth1"}, c.hotplugExit},
			} {
				what := fmt.Sprintf("%s %q (env %v)", filepath.Base(r.bin), r.args, r.env)
				stdout, stderr, code := run(t, ns, r.env, r.bin, r.args...)
				if code != r.exit {
					t.Errorf("%s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", what, code, r.exit, stdout, stderr)
				}
				if r.exit == 2 {
					if !strings.Contains(stderr, where) || !strings.Contains(stderr, c.msg) {
						t.Errorf("%s: stderr does not name %q and explain %q:\n%s", what, where, c.msg, stderr)
					}
					if !contains(r.args, "-n") && !strings.Contains(stderr, "nothing was changed") {
						t.Errorf("%s: stderr does not say nothing was changed:\n%s", what, stderr)
					}
				}
				assertSameDump(t, what, before, dump(t, ns))
			}
			if recAfter, _ := readUnits(t, ns); !reflect.DeepEqual(recBefore, recAfter) {
				t.Errorf("the unit record changed:\nbefore %q\nafter  %q", recBefore.Calls, recAfter.Calls)
			}
		})
	}
}

func TestBadArgumentsChangeNothing(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		bin  string
		env  map[string]string
		args []string
		msg  string
	}{
		{"bond-up with a master that is not configured", "bond-up", nil, []string{"nosuchmaster"}, `argument "nosuchmaster": not a master`},
		{"bond-down with a master that is not configured", "bond-down", nil, []string{"nosuchmaster"}, `argument "nosuchmaster": not a master`},
		{"bond-up with a slave named as a master", "bond-up", nil, []string{"veth1"}, `argument "veth1": not a master`},
		{"bond-hotplug without ACTION", "bond-hotplug", nil, nil, "no ACTION"},
		{"bond-hotplug with ACTION=frob", "bond-hotplug", map[string]string{"ACTION": "frob", "INTERFACE": "veth1"}, nil, `ACTION "frob"`},
		{"bond-hotplug with a configured slave named 'veth;b'", "bond-hotplug", map[string]string{"ACTION": "add", "INTERFACE": "veth;b"}, nil, `interface "veth;b"`},
		{"bond-hotplug with ACTION but no INTERFACE", "bond-hotplug", map[string]string{"ACTION": "add"}, nil, "no interface"},
		{"bond-hotplug with one argument", "bond-hotplug", nil, []string{"add"}, "expected ACTION and INTERFACE"},
		{"bond-hotplug with three arguments", "bond-hotplug", nil, []string{"add", "veth1", "veth0"}, "expected ACTION and INTERFACE"},
		{"bond-hotplug with an interface name too long", "bond-hotplug", nil, []string{"add", "veth0123456789abcdef"}, "longer than 15"},
		{"bond-hotplug --wait-active with more arguments", "bond-hotplug", nil, []string{"--wait-active", "br0", "veth1"}, "takes no other arguments"},
	} {
		t.Run(c.name+" exits 2 and changes nothing", func(t *testing.T) {
			t.Parallel()
			ns, conf := convergedWithNewcomer(t)
			before := dump(t, ns)
			bin := filepath.Join(binDir, c.bin)

			stdout, stderr, code := run(t, ns, c.env, bin, append([]string{"-c", conf}, c.args...)...)

			if code != 2 {
				t.Errorf("exit %d, want 2\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
			}
			if !strings.Contains(stderr, c.msg) || !strings.Contains(stderr, "nothing was changed") {
				t.Errorf("stderr does not explain %q and say nothing was changed:\n%s", c.msg, stderr)
			}
			assertSameDump(t, c.name, before, dump(t, ns))
		})
	}

	t.Run("an unknown option exits 2, shows the usage and changes nothing", func(t *testing.T) {
		t.Parallel()
		ns, conf := convergedWithNewcomer(t)
		before := dump(t, ns)
		for _, bin := range []string{upBin, downBin, hotplugBin} {
			stdout, stderr, code := run(t, ns, udevEnv("add", "veth1"), bin, "-c", conf, "--frobnicate")
			if code != 2 || !strings.Contains(stderr, "Usage:") {
				t.Errorf("%s --frobnicate: exit %d (want 2), stderr lacks the usage?\nstdout:\n%s\nstderr:\n%s",
					filepath.Base(bin), code, stdout, stderr)
			}
			assertSameDump(t, filepath.Base(bin)+" --frobnicate", before, dump(t, ns))
		}
	})
}
