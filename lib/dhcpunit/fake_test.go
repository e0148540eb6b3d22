// SPDX-License-Identifier: Apache-2.0

package dhcpunit

import (
	"bytes"
	"context"
	"net"
	"net/netip"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bond-hotplug/bond-hotplug/lib/config"
	"github.com/bond-hotplug/bond-hotplug/lib/logx"
	"github.com/bond-hotplug/bond-hotplug/lib/netdev"
	"github.com/vishvananda/netlink"
)

// The waits and the supervisor's restart decision run here on netdev's Fake kernel:
// the test changes the Fake and sends the link notification the kernel would, and the
// code under test decides from what it reads. The netns tests prove the same code on
// netlink (tests/netns: wait, supervise, release).

// kernel is the Fake behind a lock: the code under test reads it from its own
// goroutine (on a notification or its poll) while the test changes it.
type kernel struct {
	mu sync.Mutex
	f  *netdev.Fake
}

func (k *kernel) change(fn func(f *netdev.Fake)) {
	k.mu.Lock()
	defer k.mu.Unlock()
	fn(k.f)
}

func (k *kernel) Links() (netdev.Snapshot, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.f.Links()
}

func (k *kernel) Bond(name string) (netdev.Bond, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.f.Bond(name)
}

func (k *kernel) Addrs(name string) ([]netdev.Addr, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.f.Addrs(name)
}

func (k *kernel) Routes(name string) ([]netdev.Route, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.f.Routes(name)
}

// laptop is bond0 (active-backup, fail_over_mac=active, up) with eth0 and wlan0
// enslaved and up, no carrier anywhere; bond0 has its own MAC.
func laptop(t *testing.T) *kernel {
	t.Helper()
	f := netdev.NewFake()
	o := config.BondOptions{Mode: "active-backup", Miimon: 100, FailOverMAC: "active", PrimaryReselect: "always"}
	if err := f.CreateBond("bond0", o); err != nil {
		t.Fatal(err)
	}
	f.BondOf["bond0"].Primary = "eth0"
	f.Devs["bond0"].AdminUp = true
	f.Devs["bond0"].MAC = "02:00:00:00:00:b0"
	for name, mac := range map[string]string{"eth0": "02:00:00:00:00:e0", "wlan0": "02:00:00:00:00:a0"} {
		l := f.AddLink(name, "device")
		l.MAC, l.AdminUp, l.Master = mac, true, "bond0"
	}
	return &kernel{f: f}
}

// syncBuffer is the log of code that logs from other goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func testEnv() (*Env, *syncBuffer) {
	var out syncBuffer
	return &Env{Log: &logx.Logger{ID: "bond-hotplug", Out: &out}}, &out
}

// update is the notification the kernel sends about link name with its MAC.
func update(name, mac string) netlink.LinkUpdate {
	l := &netlink.Device{}
	l.Name = name
	l.HardwareAddr, _ = net.ParseMAC(mac)
	return netlink.LinkUpdate{Link: l}
}

// notify sends the kernel's notification u, unless the code under test already
// returned (its poll may see the change first).
func notify(updates chan<- netlink.LinkUpdate, u netlink.LinkUpdate, done <-chan struct{}) {
	select {
	case updates <- u:
	case <-done:
	}
}

// waitFor fails the test unless done closes within the bound.
func waitFor(t *testing.T, what string, done <-chan struct{}) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: still waiting after 5 s", what)
	}
}

// notYet fails the test if done closes within a while: the notification was sent and
// read (the channel is unbuffered), so a wrong decision would already have been made.
func notYet(t *testing.T, what string, done <-chan struct{}) {
	t.Helper()
	select {
	case <-done:
		t.Fatalf("%s: returned too early", what)
	case <-time.After(200 * time.Millisecond):
	}
}

func TestWaitActiveReturnsOnTheNotificationThatTheActiveSlaveHasCarrier(t *testing.T) {
	k := laptop(t)
	e, log := testEnv()
	updates := make(chan netlink.LinkUpdate)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	var err error
	go func() {
		defer close(done)
		err = e.waitActive(ctx, k, "bond0", updates)
	}()
	// Carrier on the backup only: the active slave (the primary, eth0) has none.
	k.change(func(f *netdev.Fake) { f.Devs["wlan0"].Carrier = true })
	notify(updates, update("wlan0", "02:00:00:00:00:a0"), done)
	notYet(t, "carrier on the backup", done)
	k.change(func(f *netdev.Fake) { f.Devs["eth0"].Carrier = true })
	notify(updates, update("eth0", "02:00:00:00:00:e0"), done)
	waitFor(t, "carrier on the active slave", done)
	if err != nil {
		t.Fatal(err)
	}
	if got := log.String(); !strings.Contains(got, "bond0: active (eth0 02:00:00:00:00:b0) after") {
		t.Errorf("log %q does not name the active slave", got)
	}
}

func TestWaitActiveDoesNotTakeAMasterThatIsDownForActive(t *testing.T) {
	k := laptop(t)
	k.change(func(f *netdev.Fake) {
		f.Devs["bond0"].AdminUp = false
		f.Devs["eth0"].Carrier = true
	})
	e, _ := testEnv()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := e.waitActive(ctx, k, "bond0", nil); err == nil || !strings.Contains(err.Error(), "waiting for an active slave on bond0") {
		t.Fatalf("waitActive on a master that is down = %v, want the context's end", err)
	}
}

func TestWaitActiveTakesABridgeWithCarrier(t *testing.T) {
	f := netdev.NewFake()
	if err := f.CreateBridge("br0"); err != nil {
		t.Fatal(err)
	}
	f.Devs["br0"].AdminUp, f.Devs["br0"].Carrier = true, true
	e, _ := testEnv()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.waitActive(ctx, &kernel{f: f}, "br0", nil); err != nil {
		t.Fatal(err)
	}
}

func TestMACSettlesWhenTheBondHasTheActiveSlavesMAC(t *testing.T) {
	for _, tc := range []struct {
		name      string
		failOver  string
		bondMAC   string
		wantReady bool
	}{
		{"fail_over_mac=active, the bond's own MAC still", "active", "02:00:00:00:00:b0", false},
		{"fail_over_mac=active, the active slave's MAC", "active", "02:00:00:00:00:e0", true},
		{"fail_over_mac=none keeps the bond's MAC", "none", "02:00:00:00:00:b0", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := laptop(t)
			k.change(func(f *netdev.Fake) {
				f.BondOf["bond0"].FailOverMAC = tc.failOver
				f.Devs["bond0"].MAC = tc.bondMAC
			})
			ok, mac := macSettled(k, "bond0")
			if ok != tc.wantReady || mac != tc.bondMAC {
				t.Errorf("macSettled = %v, %s; want %v, %s", ok, mac, tc.wantReady, tc.bondMAC)
			}
		})
	}
}

func TestWaitMACReturnsOnTheNotificationOfTheNewMAC(t *testing.T) {
	k := laptop(t)
	e, log := testEnv()
	updates := make(chan netlink.LinkUpdate)
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.waitMAC(context.Background(), k, "bond0", updates)
	}()
	notify(updates, update("wlan0", "02:00:00:00:00:a0"), done)
	notYet(t, "another link's notification", done)
	k.change(func(f *netdev.Fake) { f.Devs["bond0"].MAC = "02:00:00:00:00:e0" })
	notify(updates, update("bond0", "02:00:00:00:00:e0"), done)
	waitFor(t, "the bond's new MAC", done)
	if got := log.String(); !strings.Contains(got, "bond0: MAC settled at 02:00:00:00:00:e0") {
		t.Errorf("log %q does not say the MAC settled", got)
	}
}

// supervised runs watchMAC over a real child process (sleep) and reports its result.
type supervised struct {
	restart bool
	why     string
	err     error
	done    chan struct{}
}

func superviseSleep(t *testing.T, e *Env, k *kernel, mac *string, updates chan netlink.LinkUpdate) *supervised {
	t.Helper()
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Skipf("no sleep to run as the client: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	ctx, cancel := context.WithCancel(context.Background())
	s := &supervised{done: make(chan struct{})}
	go func() {
		defer close(s.done)
		// No path to watch (no such master in this sysfs): only the MAC matters here.
		sess := &session{master: "bond0", mac: *mac, restartOnMAC: true, paths: &pathWatch{sys: t.TempDir(), master: "bond0"}}
		s.restart, s.why, s.err = e.watchMAC(ctx, k, sess, updates, nil, exited, cmd)
		*mac = sess.mac // the MAC it watches from now on (read after done)
	}()
	t.Cleanup(func() {
		cancel()
		<-s.done
	})
	return s
}

func TestTheClientIsRestartedWhenTheMACChangesBeforeALease(t *testing.T) {
	k := laptop(t)
	e, _ := testEnv()
	updates := make(chan netlink.LinkUpdate)
	mac := "02:00:00:00:00:e0"
	s := superviseSleep(t, e, k, &mac, updates)
	notify(updates, update("bond0", "02:00:00:00:00:e0"), s.done) // the MAC it started with
	notify(updates, update("wlan0", "02:00:00:00:00:a1"), s.done) // another link's
	notYet(t, "no change of the bond's MAC", s.done)
	k.change(func(f *netdev.Fake) { f.Devs["bond0"].MAC = "02:00:00:00:00:a0" })
	notify(updates, update("bond0", "02:00:00:00:00:a0"), s.done)
	waitFor(t, "the MAC change", s.done)
	if !s.restart || s.why != "the MAC changed before a lease" || s.err != nil {
		t.Errorf("watchMAC = %v, %q, %v; want a restart for the MAC", s.restart, s.why, s.err)
	}
	if mac != "02:00:00:00:00:a0" {
		t.Errorf("the MAC to watch is %s, want the new one", mac)
	}
}

func TestTheClientKeepsRunningWhenTheMACChangesWithALeaseHeld(t *testing.T) {
	k := laptop(t)
	k.change(func(f *netdev.Fake) {
		f.AddrsOf["bond0"] = []netdev.Addr{
			{Prefix: netip.MustParsePrefix("192.168.1.10/24")},                // static: not a lease
			{Prefix: netip.MustParsePrefix("192.168.7.50/24"), Dynamic: true}, // the lease
		}
	})
	e, log := testEnv()
	updates := make(chan netlink.LinkUpdate)
	mac := "02:00:00:00:00:e0"
	s := superviseSleep(t, e, k, &mac, updates)
	notify(updates, update("bond0", "02:00:00:00:00:a0"), s.done)
	notYet(t, "a MAC change with a lease", s.done)
	if got := log.String(); !strings.Contains(got, "02:00:00:00:00:e0 -> 02:00:00:00:00:a0 with a lease held") {
		t.Errorf("log %q does not say the client keeps running", got)
	}
}

func TestAResyncReadsTheMACAgain(t *testing.T) {
	k := laptop(t)
	e, _ := testEnv()
	updates := make(chan netlink.LinkUpdate)
	mac := "02:00:00:00:00:b0"
	s := superviseSleep(t, e, k, &mac, updates)
	notify(updates, netlink.LinkUpdate{}, s.done) // notifications were lost: the MAC is as before
	notYet(t, "a resync with the same MAC", s.done)
	k.change(func(f *netdev.Fake) { f.Devs["bond0"].MAC = "02:00:00:00:00:e0" })
	notify(updates, netlink.LinkUpdate{}, s.done)
	waitFor(t, "a resync with a new MAC", s.done)
	if !s.restart {
		t.Errorf("watchMAC after a resync with a new MAC: no restart (%q, %v)", s.why, s.err)
	}
}

func TestOnlyADynamicIPv4AddressIsALease(t *testing.T) {
	for _, tc := range []struct {
		addrs []netdev.Addr
		want  bool
	}{
		{nil, false},
		{[]netdev.Addr{{Prefix: netip.MustParsePrefix("192.168.1.10/24")}}, false},
		{[]netdev.Addr{{Prefix: netip.MustParsePrefix("2001:db8::5/64"), Dynamic: true}}, false},
		{[]netdev.Addr{{Prefix: netip.MustParsePrefix("192.168.7.50/24"), Dynamic: true}}, true},
	} {
		k := laptop(t)
		k.change(func(f *netdev.Fake) { f.AddrsOf["bond0"] = tc.addrs })
		if got := hasLease4(k, "bond0"); got != tc.want {
			t.Errorf("hasLease4 with %v = %v, want %v", tc.addrs, got, tc.want)
		}
	}
}
