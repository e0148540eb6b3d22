// SPDX-License-Identifier: Apache-2.0

package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bond-hotplug/bond-hotplug/lib/logx"
	"github.com/bond-hotplug/bond-hotplug/lib/units"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// nsHandle creates a throw-away network namespace and a netlink handle in it.
func nsHandle(t *testing.T) (string, *netlink.Handle) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates a network namespace")
	}
	name := fmt.Sprintf("bhapp%d", time.Now().UnixNano()%1e9)
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Skipf("cannot create a network namespace: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
	ns, err := netns.GetFromName(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ns.Close() })
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		t.Fatal(err)
	}
	return name, h
}

func ip(t *testing.T, ns string, args ...string) {
	t.Helper()
	if out, err := exec.Command("ip", append([]string{"-n", ns}, args...)...).CombinedOutput(); err != nil {
		t.Fatalf("ip %v: %v %s", args, err, out)
	}
}

type fakeInfo struct{}

func (fakeInfo) Wireless(string) bool    { return false }
func (fakeInfo) Initialized(string) bool { return true }

func testEnv(t testing.TB, h *netlink.Handle, conf string, mgr func(context.Context) (units.Manager, error)) (*Env, *bytes.Buffer) {
	dir := t.TempDir()
	p := filepath.Join(dir, "network.conf")
	if err := os.WriteFile(p, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	return &Env{
		Out:         &bytes.Buffer{},
		Log:         &logx.Logger{ID: "test", Out: &log},
		ConfigPath:  p,
		Handle:      h,
		Info:        fakeInfo{},
		LockDir:     filepath.Join(dir, "lock"),
		StateDir:    filepath.Join(dir, "state"),
		LockTimeout: time.Second,
		Programs: units.Programs{Self: "/bin/bond-hotplug", Dhclient: "/sbin/dhclient",
			Dhcp6c: "/sbin/dhcp6c", WPASupplicant: "/sbin/wpa_supplicant"},
		Units: mgr,
		// Never the host's journal: a test that wants a failure sets its own.
		UnitFailure: func(context.Context, string) *units.Failure { return nil },
		// The file must be root's (lib/config's owner check, tested there). Run by
		// an ordinary user (makepkg's check()), the file is that user's: these
		// tests are about what the run does with it, so the check is off then.
		AllowInsecure: os.Geteuid() != 0,
	}, &log
}

const bridgeConf = "br0SLAVES='veth*'\nbr0ADDRS='10.99.0.2/24'\nbr0ROUTES='\"10.98.0.0/16 via 10.99.0.1\"'\n"

// When systemd cannot be reached, the network is still configured, the run fails
// (exit 1), and the next run, with systemd back, completes the job.
func TestSystemdUnreachableStillConfiguresTheNetworkAndTheNextRunCompletes(t *testing.T) {
	ns, h := nsHandle(t)
	ip(t, ns, "link", "add", "veth0", "type", "veth", "peer", "name", "peer0")
	down := func(context.Context) (units.Manager, error) { return nil, units.ErrUnavailable }
	e, log := testEnv(t, h, bridgeConf, down)
	err := e.Up(context.Background(), nil)
	if !errors.Is(err, units.ErrUnavailable) || ExitCode(err) != ExitFailure {
		t.Fatalf("want a run-time failure naming systemd, got %v (exit %d)", err, ExitCode(err))
	}
	l, err := h.LinkByName("veth0")
	if err != nil || l.Attrs().MasterIndex == 0 {
		t.Fatalf("veth0 not enslaved despite the unit failure: %v\n%s", err, log)
	}
	rec := units.NewFake()
	e.Units = func(context.Context) (units.Manager, error) { return rec, nil }
	e.mgr, e.mgrErr = nil, nil
	if err := e.Up(context.Background(), nil); err != nil {
		t.Fatalf("second run: %v", err)
	}
	want := "start bond-dhcp4@br0.service: /bin/bond-hotplug --supervise br0 -- /sbin/dhclient -4 -d -pf /run/bond-hotplug/bond-dhcp4-br0/dhclient.pid -lf /var/lib/dhcp/dhclient-bond-hotplug-br0.leases br0\n" +
		"start bond-dhcp6@br0.service: /bin/bond-hotplug --wait-then br0 -- /sbin/dhcp6c -f -P default -c /etc/wide-dhcpv6/dhcp6c.conf -p /run/bond-hotplug/bond-dhcp6-br0/dhcp6c.pid br0"
	if got := rec.Transcript(); got != want {
		t.Fatalf("second run's unit calls:\n%s\nwant:\n%s", got, want)
	}
}

// A device that vanishes between planning and applying is skipped, the run re-plans
// and succeeds.
func TestDeviceVanishingMidRunIsSkipped(t *testing.T) {
	ns, h := nsHandle(t)
	ip(t, ns, "link", "add", "veth0", "type", "veth", "peer", "name", "peer0")
	rec := units.NewFake()
	e, log := testEnv(t, h, bridgeConf+"br0DHCP=no\nbr0DHCP6=no\n", func(context.Context) (units.Manager, error) { return rec, nil })
	c, _ := e.loadConfig()
	st, err := e.readState(context.Background(), c, "br0", "")
	if err != nil {
		t.Fatal(err)
	}
	m, _ := c.Master("br0")
	p, err := planUp(c, m, e, st)
	if err != nil {
		t.Fatal(err)
	}
	ip(t, ns, "link", "del", "veth0") // pulled after planning
	vanished, err := e.apply(context.Background(), p, nil, &session{})
	if err != nil || !vanished {
		t.Fatalf("apply: vanished=%v err=%v\n%s", vanished, err, log)
	}
	if !strings.Contains(log.String(), "enslave veth0 to br0: skipped") {
		t.Fatalf("log does not say the device was skipped:\n%s", log)
	}
	if _, err := h.LinkByName("br0"); err != nil {
		t.Fatalf("master was not created: %v", err)
	}
}

// A master deleted by someone else between runs is created again by the next event.
func TestMasterDeletedBySomeoneElseIsRebuiltByTheNextEvent(t *testing.T) {
	ns, h := nsHandle(t)
	ip(t, ns, "link", "add", "veth0", "type", "veth", "peer", "name", "peer0")
	rec := units.NewFake()
	e, _ := testEnv(t, h, bridgeConf+"br0DHCP=no\nbr0DHCP6=no\n", func(context.Context) (units.Manager, error) { return rec, nil })
	if err := e.Up(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	ip(t, ns, "link", "del", "br0")
	if err := e.Hotplug(context.Background(), "remove", "br0"); err != nil {
		t.Fatalf("remove br0: %v", err)
	}
	ip(t, ns, "link", "add", "veth1", "type", "veth", "peer", "name", "peer1")
	if err := e.Hotplug(context.Background(), "add", "veth1"); err != nil {
		t.Fatalf("add veth1: %v", err)
	}
	for _, n := range []string{"veth0", "veth1"} {
		l, err := h.LinkByName(n)
		if err != nil || l.Attrs().MasterIndex == 0 {
			t.Fatalf("%s not enslaved after the master came back: %v", n, err)
		}
	}
}
