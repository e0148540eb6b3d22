// SPDX-License-Identifier: Apache-2.0

package netns_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

// brConf is the configuration most tests use: a bridge (no bonding on this kernel)
// with globbed and named slaves, IPv4 and IPv6 addresses and routes, DHCP at its
// defaults (yes).
const brConf = `# bridge master for the namespace tests
br0SLAVES='veth* lan1'
br0ADDRS='10.99.0.2/24 fd00:99::2/64'
br0ROUTES='"10.98.0.0/16 via 10.99.0.1" "default via 10.99.0.254 metric 50" "fd00:98::/48 via fd00:99::1"'
`

const noDHCP = "br0DHCP=no\nbr0DHCP6=no\n"

var (
	wantAddrs  = []string{"10.99.0.2/24", "fd00:99::2/64"}
	wantRoutes = []string{
		"10.98.0.0/16 via 10.99.0.1 metric 0 table 254",
		"default via 10.99.0.254 metric 50 table 254",
		"fd00:98::/48 via fd00:99::1 metric 1024 table 254",
	}
	dhcpUnits = []string{"bond-dhcp4@br0.service", "bond-dhcp6@br0.service"}
)

// assertConverged checks, with netlink, everything brConf asks of br0 given the slaves
// that are present.
func assertConverged(t *testing.T, ns *testNS, slaves ...string) {
	t.Helper()
	assertMaster(t, ns, "br0", "bridge")
	assertPorts(t, ns, "br0", slaves...)
	if got := portsOf(t, ns, "br0"); !reflect.DeepEqual(got, sorted(slaves)) {
		t.Errorf("ports of br0 = %v, want %v", got, sorted(slaves))
	}
	addrs := addrsOf(t, ns, "br0")
	for _, a := range wantAddrs {
		if !contains(addrs, a) {
			t.Errorf("br0 addresses %v lack %s", addrs, a)
		}
	}
	routes := routesOf(t, ns, "br0")
	for _, r := range wantRoutes {
		if !contains(routes, r) {
			t.Errorf("br0 routes %v lack %q", routes, r)
		}
	}
}

// assertDHCPUnits checks that the fake systemd holds both DHCP units of br0, each
// started exactly once and waiting for an active slave before the client starts.
func assertDHCPUnits(t *testing.T, ns *testNS) {
	t.Helper()
	rec, ok := readUnits(t, ns)
	if !ok {
		t.Fatalf("no unit record at %s: no unit was started", ns.unitsPath())
	}
	for _, name := range dhcpUnits {
		u, ok := rec.Units[name]
		if !ok {
			t.Errorf("unit %s not started; record: %+v", name, rec.Calls)
			continue
		}
		// The client runs under bond-hotplug's supervisor, which first waits for
		// an active slave (see lib/units: no blocking ExecStartPre).
		if len(u.ExecStart) < 4 || u.ExecStart[0] != hotplugBin || u.ExecStart[2] != "br0" || u.ExecStart[3] != "--" {
			t.Errorf("%s ExecStart = %q, want %s --supervise|--wait-then br0 -- CLIENT...", name, u.ExecStart, hotplugBin)
		}
		if u.Device != "br0" {
			t.Errorf("%s bound to device %q, want br0", name, u.Device)
		}
		if n := len(callsLike(rec, "start "+name+":")); n != 1 {
			t.Errorf("%s started %d times, want once; calls:\n%s", name, n, strings.Join(rec.Calls, "\n"))
		}
	}
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

// slavesAndStrangers creates the configured slaves veth0, veth1, lan1 and a pair that
// matches nothing (eth9/eth9p). Every peer (peer0, peer1, plan1) matches nothing too.
func slavesAndStrangers(t *testing.T, ns *testNS) {
	t.Helper()
	mustVeth(t, ns, "veth0", "peer0", "veth1", "peer1", "lan1", "plan1", "eth9", "eth9p")
}

// upBridge is the common starting point: a namespace with slavesAndStrangers, brConf
// written, and bond-up run on it. It returns the namespace and the config's path.
func upBridge(t *testing.T) (*testNS, string) {
	t.Helper()
	ns := newNS(t)
	slavesAndStrangers(t, ns)
	conf := writeConfig(t, ns, brConf)
	mustRun(t, ns, nil, upBin, "-c", conf)
	return ns, conf
}

var strangers = []string{"peer0", "peer1", "plan1", "eth9", "eth9p"}

func TestBondUp(t *testing.T) {
	t.Parallel()
	t.Run("creates the bridge, enslaves every present configured slave, adds addresses, routes and DHCP units", func(t *testing.T) {
		t.Parallel()
		ns := newNS(t)
		slavesAndStrangers(t, ns)
		conf := writeConfig(t, ns, brConf)
		before := dump(t, ns)

		_, stderr := mustRun(t, ns, nil, upBin, "-c", conf)

		assertConverged(t, ns, "veth0", "veth1", "lan1")
		assertDHCPUnits(t, ns)
		after := dump(t, ns)
		for _, s := range strangers {
			if b, a := dumpOf(before, s), dumpOf(after, s); b != a {
				t.Errorf("bond-up touched %s, which the config does not name:\nbefore: %s\nafter:  %s", s, b, a)
			}
		}
		for _, want := range []string{"create bridge br0", "enslave veth0 to br0", "enslave lan1 to br0",
			"add address fd00:99::2/64 to br0", `add route "fd00:98::/48 via fd00:99::1" on br0`} {
			if !contains(logLines(stderr, "bond-up", "br0"), want) {
				t.Errorf("stderr lacks the log line %q:\n%s", want, stderr)
			}
		}
	})

	t.Run("starts no DHCP unit when DHCP and DHCP6 are no", func(t *testing.T) {
		t.Parallel()
		ns := newNS(t)
		slavesAndStrangers(t, ns)
		conf := writeConfig(t, ns, brConf+noDHCP)

		mustRun(t, ns, nil, upBin, "-c", conf)

		assertConverged(t, ns, "veth0", "veth1", "lan1")
		rec, _ := readUnits(t, ns)
		if len(rec.Units) != 0 || len(callsLike(rec, "start ")) != 0 {
			t.Errorf("units started with DHCP=no: %v", rec.Calls)
		}
	})

	t.Run("takes the config from BOND_HOTPLUG_CONFIG and acts on the named master only", func(t *testing.T) {
		t.Parallel()
		ns := newNS(t)
		mustVeth(t, ns, "veth0", "peer0", "lan1", "plan1")
		conf := writeConfig(t, ns, brConf+noDHCP+"br1SLAVES='eth*'\n")
		mustVeth(t, ns, "eth0", "eth0p")

		mustRun(t, ns, map[string]string{"BOND_HOTPLUG_CONFIG": conf}, upBin, "br0")

		assertConverged(t, ns, "veth0", "lan1")
		if ns.link(t, "br1") != nil {
			t.Errorf("bond-up br0 also created br1")
		}
	})
}

func TestBondUpIsIdempotent(t *testing.T) {
	t.Parallel()
	t.Run("a second bond-up changes nothing and says nothing to do", func(t *testing.T) {
		t.Parallel()
		ns, conf := upBridge(t)
		before := dump(t, ns)
		recBefore, _ := readUnits(t, ns)

		stdout, stderr := mustRun(t, ns, nil, upBin, "-c", conf)

		if !strings.Contains(stdout, "br0: nothing to do") {
			t.Errorf("second bond-up does not say nothing to do on stdout:\nstdout:\n%s\nstderr:\n%s", stdout, stderr)
		}
		if lines := logLines(stderr, "bond-up", "br0"); len(lines) != 0 {
			t.Errorf("second bond-up logged actions: %q", lines)
		}
		assertSameDump(t, "a second bond-up", before, dump(t, ns))
		recAfter, _ := readUnits(t, ns)
		if !reflect.DeepEqual(recBefore.Calls, recAfter.Calls) {
			t.Errorf("second bond-up called systemd: before %q, after %q", recBefore.Calls, recAfter.Calls)
		}
	})

	t.Run("bond-up -n on a converged system prints nothing to do", func(t *testing.T) {
		t.Parallel()
		ns, conf := upBridge(t)
		before := dump(t, ns)

		stdout, stderr := mustRun(t, ns, nil, upBin, "-n", "-c", conf)

		if stdout != "br0: nothing to do\n" {
			t.Errorf("bond-up -n stdout = %q, want %q (stderr %q)", stdout, "br0: nothing to do\n", stderr)
		}
		assertSameDump(t, "bond-up -n", before, dump(t, ns))
	})

	t.Run("bond-up -n on an unconfigured system prints the plan and changes nothing", func(t *testing.T) {
		t.Parallel()
		ns := newNS(t)
		slavesAndStrangers(t, ns)
		conf := writeConfig(t, ns, brConf)
		before := dump(t, ns)

		stdout, stderr := mustRun(t, ns, nil, upBin, "-c", conf, "-n")

		for _, want := range []string{
			"br0: create bridge br0",
			"br0: set br0 up",
			"br0: enslave lan1 to br0",
			"br0: enslave veth0 to br0",
			"br0: enslave veth1 to br0",
			"br0: add address 10.99.0.2/24 to br0",
			"br0: add address fd00:99::2/64 to br0",
			`br0: add route "default via 10.99.0.254 metric 50" on br0`,
			"br0: start bond-dhcp4@br0.service: ",
			"br0: start bond-dhcp6@br0.service: ",
		} {
			if !strings.Contains(stdout, want) {
				t.Errorf("bond-up -n plan lacks %q:\n%s", want, stdout)
			}
		}
		if strings.Contains(stdout, "eth9") || strings.Contains(stdout, "peer") {
			t.Errorf("bond-up -n plans to touch an interface the config does not name:\n%s", stdout)
		}
		if strings.Contains(stdout, "nothing to do") {
			t.Errorf("bond-up -n says nothing to do on an unconfigured system:\n%s\nstderr:\n%s", stdout, stderr)
		}
		assertSameDump(t, "bond-up -n", before, dump(t, ns))
		if rec, _ := readUnits(t, ns); len(rec.Calls) != 0 {
			t.Errorf("bond-up -n called systemd: %q", rec.Calls)
		}
	})
}

func TestForeignDeviceHoldingTheMasterName(t *testing.T) {
	t.Parallel()
	t.Run("bond-up, bond-hotplug and bond-down exit 1 with a clear message and leave the device intact", func(t *testing.T) {
		t.Parallel()
		ns := newNS(t)
		mustVeth(t, ns, "br0", "fp0", "veth0", "peer0")
		conf := writeConfig(t, ns, brConf)
		before := dump(t, ns)

		for _, c := range []struct {
			bin  string
			env  map[string]string
			args []string
		}{
			{upBin, nil, []string{"-c", conf}},
			{hotplugBin, nil, []string{"-c", conf, "add", "veth0"}},
			{downBin, nil, []string{"-c", conf}},
		} {
			stdout, stderr, code := run(t, ns, c.env, c.bin, c.args...)
			if code != 1 {
				t.Errorf("%s %q: exit %d, want 1\nstdout:\n%s\nstderr:\n%s", c.bin, c.args, code, stdout, stderr)
			}
			if !strings.Contains(stderr, "br0 is a veth, configured as a bridge") {
				t.Errorf("%s %q: stderr does not say br0 is a veth where a bridge is configured:\n%s", c.bin, c.args, stderr)
			}
			assertSameDump(t, c.bin, before, dump(t, ns))
		}
		if l := ns.link(t, "br0"); l == nil || l.Type() != "veth" {
			t.Errorf("the veth br0 is gone or changed: %v", l)
		}
	})
}
