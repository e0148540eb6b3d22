// SPDX-License-Identifier: Apache-2.0

package app

// The apply path (converge, apply, re-planning) on netdev.Fake and units.Fake:
// plain tests, no root. tests/netns and the VM lab prove the real writer and systemd.

import (
	"bytes"
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/bond-hotplug/bond-hotplug/lib/lock"
	"github.com/bond-hotplug/bond-hotplug/lib/netdev"
	"github.com/bond-hotplug/bond-hotplug/lib/units"
)

// fakeEnv is an Env on an in-memory kernel and a recording unit manager.
func fakeEnv(t testing.TB, conf string) (*Env, *netdev.Fake, *units.Fake, *bytes.Buffer) {
	t.Helper()
	k := netdev.NewFake()
	rec := units.NewFake()
	e, log := testEnv(t, nil, conf, func(context.Context) (units.Manager, error) { return rec, nil })
	e.Kernel, e.Source = k, k
	return e, k, rec, log
}

const rebuildConf = `bond0SLAVES='eth0'
bond0ADDRS='192.168.0.2/24 fd00::2/64'
bond0ROUTES='"10.9.0.0/16 via 192.168.0.1" "fd00:9::/48 via fd00::1"'
bond0DHCP=no
bond0DHCP6=no
`

// A rebuild (wrong mode: the bond goes down) makes the kernel drop the IPv4 routes and,
// with keep_addr_on_down=0, the IPv6 addresses; the run reads and plans again, so it
// ends with everything back, and the next run has nothing to do.
func TestRebuildEndsWithEveryRouteAndAddressBack(t *testing.T) {
	e, k, _, log := fakeEnv(t, rebuildConf)
	if err := e.Up(context.Background(), nil); err != nil {
		t.Fatalf("first bond-up: %v\n%s", err, log)
	}
	k.AddLink("eth0", "device")
	if err := e.Up(context.Background(), nil); err != nil {
		t.Fatalf("bond-up with eth0: %v\n%s", err, log)
	}
	// Someone changes the mode behind our back (or the file changes MODE and back).
	k.BondOf["bond0"].Mode = "balance-rr"
	k.Writes = nil
	if err := e.Up(context.Background(), nil); err != nil {
		t.Fatalf("bond-up repairing the mode: %v\n%s", err, log)
	}
	want := `release eth0
set bond0 down
set bond0 mode active-backup
set bond0 up
set eth0 down
enslave eth0 to bond0
set eth0 up
add address fd00::2/64 to bond0
replace route "10.9.0.0/16 via 192.168.0.1" dev bond0
replace route "fd00:9::/48 via fd00::1" dev bond0`
	if got := k.Transcript(); got != want {
		t.Errorf("writes of the repairing run:\n%s\nwant:\n%s", got, want)
	}
	if got := len(k.RoutesOf["bond0"]); got != 2 {
		t.Errorf("bond0 has %d routes after the rebuild, want 2: %+v", got, k.RoutesOf["bond0"])
	}
	e.Out = &bytes.Buffer{}
	if err := e.Up(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if got := e.Out.(*bytes.Buffer).String(); got != "bond0: nothing to do\n" {
		t.Errorf("the run after the rebuild says %q, want nothing to do", got)
	}
}

// A device pulled between planning and applying is skipped; the run re-plans and ends 0.
func TestVanishedDeviceIsSkippedAndTheRunReplans(t *testing.T) {
	e, k, _, log := fakeEnv(t, "br0SLAVES='veth*'\nbr0DHCP=no\nbr0DHCP6=no\n")
	k.AddLink("veth0", "veth")
	k.AddLink("veth1", "veth")
	k.Vanish["veth0"] = true
	if err := e.Up(context.Background(), nil); err != nil {
		t.Fatalf("bond-up: %v\n%s", err, log)
	}
	if !strings.Contains(log.String(), "enslave veth0 to br0: skipped") {
		t.Errorf("log does not say veth0 was skipped:\n%s", log)
	}
	if k.Devs["veth1"].Master != "br0" {
		t.Errorf("veth1 not enslaved: %+v", k.Devs["veth1"])
	}
}

// A unit that cannot start fails the run (exit 1) after every network step was done.
func TestUnitFailureFailsTheRunAfterTheNetworkSteps(t *testing.T) {
	e, k, rec, _ := fakeEnv(t, "br0SLAVES='veth*'\nbr0ADDRS='10.0.0.2/24'\n")
	k.AddLink("veth0", "veth")
	rec.FailStart = units.ErrUnavailable
	err := e.Up(context.Background(), nil)
	if ExitCode(err) != ExitFailure || !strings.Contains(err.Error(), "systemd is not reachable") {
		t.Fatalf("want exit 1 naming systemd, got %v", err)
	}
	if k.Devs["veth0"].Master != "br0" || len(k.AddrsOf["br0"]) != 1 {
		t.Errorf("network steps not done: %s", k.Transcript())
	}
}

// The record through whole runs on the fake kernel: bond-up records, an edited file
// undoes what it dropped (and only that), hot-plug acts only while the master is up,
// and bond-down of a master only the record names tears it down and forgets it.
func TestRecordAcrossRuns(t *testing.T) {
	conf := "br0SLAVES='veth0 veth1'\nbr0ADDRS='10.0.0.2/24 10.0.1.2/24'\nbr0DHCP=no\nbr0DHCP6=no\n"
	e, k, _, log := fakeEnv(t, conf)
	ctx := context.Background()
	k.AddLink("veth0", "veth")
	k.AddLink("veth1", "veth")
	k.AddLink("hand0", "veth")

	if err := e.Hotplug(ctx, "add", "veth0"); err != nil {
		t.Fatal(err)
	}
	if len(k.Writes) != 0 {
		t.Fatalf("an add event before any bond-up wrote: %s", k.Transcript())
	}
	if err := e.Up(ctx, nil); err != nil {
		t.Fatalf("bond-up: %v\n%s", err, log)
	}
	k.Devs["hand0"].Master = "br0" // enslaved by hand
	k.AddrsOf["br0"] = append(k.AddrsOf["br0"], netdev.Addr{Prefix: netip.MustParsePrefix("10.0.9.9/24")})
	if err := os.WriteFile(e.ConfigPath, []byte("br0SLAVES='veth0'\nbr0ADDRS='10.0.0.2/24'\nbr0DHCP=no\nbr0DHCP6=no\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	k.Writes = nil
	if err := e.Up(ctx, nil); err != nil {
		t.Fatalf("bond-up after the edit: %v\n%s", err, log)
	}
	want := "delete address 10.0.1.2/24 from br0\nrelease veth1"
	if got := k.Transcript(); got != want {
		t.Errorf("writes after the edit:\n%s\nwant:\n%s", got, want)
	}
	if err := e.Down(ctx, nil, false); err != nil {
		t.Fatalf("bond-down: %v\n%s", err, log)
	}
	if _, ok := k.Devs["br0"]; ok {
		t.Errorf("br0 still exists after bond-down")
	}
	if ms, err := e.store().Masters(); err != nil || len(ms) != 0 {
		t.Errorf("records after bond-down: %v, %v", ms, err)
	}
	k.Writes = nil
	if err := e.Hotplug(ctx, "add", "veth0"); err != nil {
		t.Fatal(err)
	}
	if len(k.Writes) != 0 {
		t.Errorf("an add event after bond-down wrote: %s", k.Transcript())
	}
}

func TestBondDownOfAMasterOnlyTheRecordNames(t *testing.T) {
	e, k, rec, log := fakeEnv(t, "br0SLAVES='veth0'\nbr0ADDRS='10.0.0.2/24'\nbr0DHCP6=no\n")
	ctx := context.Background()
	k.AddLink("veth0", "veth")
	if err := e.Up(ctx, nil); err != nil {
		t.Fatalf("bond-up: %v\n%s", err, log)
	}
	if err := os.WriteFile(e.ConfigPath, []byte("br1SLAVES='veth0'\nbr1DHCP=no\nbr1DHCP6=no\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := e.Up(ctx, []string{"br0"}); ExitCode(err) != ExitUsage {
		t.Errorf("bond-up br0 (no longer configured): %v, want a usage error", err)
	}
	k.Writes, rec.Calls = nil, nil
	if err := e.Down(ctx, []string{"br0"}, false); err != nil {
		t.Fatalf("bond-down br0: %v\n%s", err, log)
	}
	want := "delete address 10.0.0.2/24 from br0\nrelease veth0\nset veth0 up\ndelete br0"
	if got := k.Transcript(); got != want {
		t.Errorf("bond-down br0 wrote:\n%s\nwant:\n%s", got, want)
	}
	if got := rec.Transcript(); got != "stop bond-dhcp4@br0.service (wait)" {
		t.Errorf("bond-down br0 unit calls: %q, want the DHCPv4 client stopped first", got)
	}
	k.Writes, rec.Calls = nil, nil
	if err := e.Down(ctx, []string{"br0"}, false); err != nil || len(k.Writes)+len(rec.Calls) != 0 {
		t.Errorf("a second bond-down br0 (ExecStop at shutdown): %v, writes %q, unit calls %q; want nothing done, exit 0", err, k.Writes, rec.Calls)
	}
	if err := e.Down(ctx, []string{"br5"}, false); ExitCode(err) != ExitUsage {
		t.Errorf("bond-down br5 (neither configured nor ever recorded): %v, want a usage error", err)
	}
}

// An unreadable record (cut short, edited by hand, from an incompatible version) used
// to fail every run of its master until someone deleted it, and bond-down without
// arguments (shutdown) for every master. It is set aside: nothing the file does not
// name is undone, what is configured is adopted, and the teardown of the others goes on.
func TestCorruptRecordIsSetAsideAndWedgesNothing(t *testing.T) {
	e, k, _, log := fakeEnv(t, "br0SLAVES='veth0'\nbr0ADDRS='10.0.0.2/24'\nbr0DHCP=no\nbr0DHCP6=no\n")
	ctx := context.Background()
	k.AddLink("veth0", "veth")
	if err := e.Up(ctx, nil); err != nil {
		t.Fatalf("bond-up: %v\n%s", err, log)
	}
	p := filepath.Join(e.StateDir, "br0.json")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b[:len(b)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	// Another master's record, unreadable, that only a record names.
	if err := os.WriteFile(filepath.Join(e.StateDir, "br7.json"), []byte(`{"master":"br7","up":tru`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := e.Up(ctx, nil); err != nil {
		t.Fatalf("bond-up with a cut-short record: %v\n%s", err, log)
	}
	if !strings.Contains(log.String(), "set aside as "+p+".corrupt") {
		t.Errorf("no warning that the record was set aside:\n%s", log)
	}
	r, err := e.store().Load("br0")
	if err != nil || r == nil || !r.Up || !r.HasSlave("veth0") {
		t.Errorf("record after bond-up: %+v, %v; want br0 up with veth0 adopted", r, err)
	}
	if err := e.Down(ctx, nil, false); err != nil {
		t.Fatalf("bond-down with another master's record unreadable: %v\n%s", err, log)
	}
	if _, ok := k.Devs["br0"]; ok {
		t.Errorf("br0 still exists after bond-down")
	}
}

// Slaves swapped between two configured masters in the file: br0 finds veth1 still on
// br1 (converged after it) and used to end with no slave, br1 having released veth1
// since; bond-up exited 0 and nothing brought veth1 back until some later event.
func TestSlavesSwappedBetweenMastersConvergeInOneBondUp(t *testing.T) {
	e, k, _, log := fakeEnv(t, "br0SLAVES='veth0'\nbr0DHCP=no\nbr0DHCP6=no\nbr1SLAVES='veth1'\nbr1DHCP=no\nbr1DHCP6=no\n")
	ctx := context.Background()
	k.AddLink("veth0", "veth")
	k.AddLink("veth1", "veth")
	if err := e.Up(ctx, nil); err != nil {
		t.Fatalf("bond-up: %v\n%s", err, log)
	}
	if err := os.WriteFile(e.ConfigPath, []byte("br0SLAVES='veth1'\nbr0DHCP=no\nbr0DHCP6=no\nbr1SLAVES='veth0'\nbr1DHCP=no\nbr1DHCP6=no\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e.Since = lock.Now() // as a real run: coalescing on
	if err := e.Up(ctx, nil); err != nil {
		t.Fatalf("bond-up after the swap: %v\n%s", err, log)
	}
	if got := k.Devs["veth0"].Master + " " + k.Devs["veth1"].Master; got != "br1 br0" {
		t.Errorf("masters of veth0 and veth1 after one bond-up: %q, want \"br1 br0\"\n%s", got, log)
	}
	e.Out, e.Since = &bytes.Buffer{}, lock.Now()
	if err := e.Up(ctx, nil); err != nil || e.Out.(*bytes.Buffer).String() != "br0: nothing to do\nbr1: nothing to do\n" {
		t.Errorf("the next bond-up: %v, %q; want nothing to do", err, e.Out)
	}
}

// Our br0 deleted by hand and a bridge of the same name made by the user since, with
// a port of theirs: bond-down of br0 (no longer in the file) used to release their
// port and delete their bridge, the record saying "created". The record keeps the
// ifindex of what we created.
func TestBondDownLeavesADeviceMadeByHandUnderARecordedName(t *testing.T) {
	e, k, _, log := fakeEnv(t, "br0SLAVES='veth0'\nbr0DHCP=no\nbr0DHCP6=no\n")
	ctx := context.Background()
	k.AddLink("veth0", "veth")
	k.AddLink("hand0", "veth")
	if err := e.Up(ctx, nil); err != nil {
		t.Fatalf("bond-up: %v\n%s", err, log)
	}
	if err := os.WriteFile(e.ConfigPath, []byte("br1SLAVES='veth0'\nbr1DHCP=no\nbr1DHCP6=no\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := k.DeleteLink("br0"); err != nil {
		t.Fatal(err)
	}
	k.AddLink("br0", "bridge")
	k.Devs["hand0"].Master = "br0"
	k.Writes = nil
	if err := e.Down(ctx, []string{"br0"}, false); err != nil {
		t.Fatalf("bond-down br0: %v\n%s", err, log)
	}
	if len(k.Writes) != 0 {
		t.Errorf("bond-down br0 touched the user's br0:\n%s", k.Transcript())
	}
}

// PRIMARY changed to a NIC that is not plugged in: the bond kept the old primary (it
// shows, being a slave) and every run said "nothing to do", so the old NIC stayed
// preferred. The kernel takes a primary by name while it is absent.
func TestPrimaryChangedToAnAbsentNICReplacesTheOldOne(t *testing.T) {
	conf := "bond0PRIMARY='eth0'\nbond0SLAVES='eth0 eth1 eth2'\nbond0DHCP=no\nbond0DHCP6=no\n"
	e, k, _, log := fakeEnv(t, conf)
	ctx := context.Background()
	k.AddLink("eth0", "device")
	k.AddLink("eth1", "device")
	if err := e.Up(ctx, nil); err != nil {
		t.Fatalf("bond-up: %v\n%s", err, log)
	}
	if err := os.WriteFile(e.ConfigPath, []byte(strings.Replace(conf, "PRIMARY='eth0'", "PRIMARY='eth2'", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	k.Writes = nil
	if err := e.Up(ctx, nil); err != nil {
		t.Fatalf("bond-up after the edit: %v\n%s", err, log)
	}
	if got := k.BondOf["bond0"].Primary; got != "eth2" {
		t.Errorf("bond0's primary after the edit: %q, want eth2 (writes: %s)", got, k.Transcript())
	}
	e.Out = &bytes.Buffer{}
	e.Since = 0
	if err := e.Up(ctx, nil); err != nil || e.Out.(*bytes.Buffer).String() != "bond0: nothing to do\n" {
		t.Errorf("the next bond-up: %v, %q; want nothing to do", err, e.Out)
	}
}

// The master renumbered (ADDRS edited, ROUTES not): the old address goes, and with the
// last IPv4 address the kernel deletes the master's IPv4 routes, which the plan found
// in place. The run used to exit 0 with every static route gone.
func TestRenumberedMasterKeepsItsRoutes(t *testing.T) {
	conf := "br0SLAVES='veth0'\nbr0ADDRS='10.1.0.2/24'\nbr0ROUTES='\"10.9.0.0/16 via 10.1.0.1\"'\nbr0DHCP=no\nbr0DHCP6=no\n"
	e, k, _, log := fakeEnv(t, conf)
	ctx := context.Background()
	k.AddLink("veth0", "veth")
	if err := e.Up(ctx, nil); err != nil {
		t.Fatalf("bond-up: %v\n%s", err, log)
	}
	if err := os.WriteFile(e.ConfigPath, []byte(strings.Replace(conf, "10.1.0.2/24", "10.1.0.3/24", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	k.Writes = nil
	if err := e.Up(ctx, nil); err != nil {
		t.Fatalf("bond-up after the edit: %v\n%s", err, log)
	}
	if got := len(k.RoutesOf["br0"]); got != 1 {
		t.Errorf("br0 has %d routes after the renumbering, want 1; writes:\n%s", got, k.Transcript())
	}
}

// openresolv's state directory is prepared before each DHCP unit starts (its sandbox
// can write /run/resolvconf only if it exists then) and the run says what it made;
// a failure to make it is said and the unit starts all the same.
func TestDHCPUnitsStartAfterResolvconfsDirectoryIsPrepared(t *testing.T) {
	conf := "bond0SLAVES='eth0'\n"
	for _, c := range []struct {
		name    string
		made    string
		err     error
		wantLog string
	}{
		{"made", "/run/resolvconf", nil, "bond-dhcp4@bond0.service: made /run/resolvconf"},
		{"failed", "", os.ErrPermission, "bond-dhcp4@bond0.service: DNS may not reach resolvconf: permission denied"},
		{"nothing to make", "", nil, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			e, k, rec, log := fakeEnv(t, conf)
			k.AddLink("eth0", "device")
			var order []string
			e.PrepareDNS = func() (string, error) {
				order = append(order, "prepare before "+strconv.Itoa(len(rec.Calls))+" starts")
				return c.made, c.err
			}
			if err := e.Up(context.Background(), nil); err != nil {
				t.Fatalf("bond-up: %v\n%s", err, log)
			}
			want := []string{"prepare before 0 starts", "prepare before 1 starts"}
			if strings.Join(order, "; ") != strings.Join(want, "; ") {
				t.Errorf("prepared %q; units started: %s; want %q", order, rec.Transcript(), want)
			}
			if n := strings.Count(rec.Transcript(), "start bond-dhcp"); n != 2 {
				t.Errorf("%d DHCP units started, want 2:\n%s", n, rec.Transcript())
			}
			if c.wantLog != "" && !strings.Contains(log.String(), c.wantLog) {
				t.Errorf("log lacks %q:\n%s", c.wantLog, log)
			}
			if c.wantLog == "" && strings.Contains(log.String(), "resolvconf") {
				t.Errorf("log speaks of resolvconf with nothing made:\n%s", log)
			}
		})
	}
}
