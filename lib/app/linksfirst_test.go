// SPDX-License-Identifier: Apache-2.0

package app

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bond-hotplug/bond-hotplug/lib/netdev"
	"github.com/bond-hotplug/bond-hotplug/lib/units"
)

// enslaveGate is the fake kernel, closing opened at the first enslaving (then calling
// after, if set).
type enslaveGate struct {
	*netdev.Fake
	opened chan struct{}
	once   sync.Once
	after  func()
}

func (g *enslaveGate) Enslave(link, master string) error {
	err := g.Fake.Enslave(link, master)
	g.once.Do(func() {
		close(g.opened)
		if g.after != nil {
			g.after()
		}
	})
	return err
}

// slowList is systemd's unit manager answering the unit list only once gate is
// closed (nil: at once), as a slow D-Bus does; after a second it gives up (and counts
// it in waits), so that a run that waits for the list before enslaving ends instead
// of hanging.
type slowList struct {
	*units.Fake
	gate  chan struct{}
	mu    sync.Mutex
	waits int // lists that gave up: the run waited for them before enslaving
}

func (s *slowList) List(ctx context.Context) ([]units.State, error) {
	if s.gate != nil {
		select {
		case <-s.gate:
		case <-time.After(time.Second):
			s.mu.Lock()
			s.waits++
			s.mu.Unlock()
			return nil, errors.New("no answer")
		}
	}
	return s.Fake.List(ctx)
}

const linksFirstConf = "bond0SLAVES='eth0 wl*'\nbond0PRIMARY=eth0\n"

// linksFirstEnv is the converged laptop with its cable out (bond-up ran with the Wi-Fi
// card only), its unit manager slow from now on.
func linksFirstEnv(t *testing.T) (*Env, *netdev.Fake, *enslaveGate, *slowList, func() string) {
	t.Helper()
	k := netdev.NewFake()
	mgr := &slowList{Fake: units.NewFake()}
	e, log := testEnv(t, nil, linksFirstConf, func(context.Context) (units.Manager, error) { return mgr, nil })
	e.Kernel, e.Source = k, k
	w := k.AddLink("wlan0", "device")
	w.Wireless = true
	if err := e.Up(context.Background(), nil); err != nil {
		t.Fatalf("bond-up: %v\n%s", err, log)
	}
	k.Writes, mgr.Calls = nil, nil
	gate := &enslaveGate{Fake: k, opened: make(chan struct{})}
	e.Kernel, mgr.gate = gate, gate.opened
	return e, k, gate, mgr, log.String
}

// Issue 20: a hot-plugged NIC is enslaved before the run has systemd's unit list (a
// D-Bus round trip, the longest wait of a hot-plug run), and the same run still does
// what needs the list: the record names what was done, and the next run has nothing
// to do.
func TestHotplugEnslavesBeforeTheUnitListAndFinishesTheUnitsInTheSameRun(t *testing.T) {
	e, k, _, mgr, log := linksFirstEnv(t)
	ctx := context.Background()
	k.AddLink("eth0", "device")
	w := k.AddLink("wlan1", "device")
	w.Wireless = true
	if err := e.Hotplug(ctx, "add", "eth0"); err != nil {
		t.Fatalf("hot-plug of eth0: %v\n%s", err, log())
	}
	want := "enslave eth0 to bond0\nset eth0 prio 2\nset eth0 up\nenslave wlan1 to bond0\nset wlan1 prio 1\nset wlan1 up"
	if got := k.Transcript(); got != want {
		t.Errorf("kernel writes of the hot-plug:\n%s\nwant:\n%s", got, want)
	}
	if mgr.waits != 0 {
		t.Errorf("the run waited for the unit list before it enslaved eth0")
	}
	if got := mgr.Transcript(); !strings.Contains(got, "start bond-wpa@wlan1.service") {
		t.Errorf("the same run did not start wlan1's supplicant after its kernel steps: unit calls %q", got)
	}
	r, err := e.store().Load("bond0")
	if err != nil || r == nil || !r.HasSlave("eth0") || !r.HasSlave("wlan1") || r.Units["bond-wpa@wlan1.service"] == nil {
		t.Errorf("record after the hot-plug: %+v, %v; want eth0, wlan1 and wlan1's supplicant", r, err)
	}
	k.Writes, mgr.Calls = nil, nil
	if err := e.Hotplug(ctx, "add", "eth0"); err != nil || len(k.Writes)+len(mgr.Calls) != 0 {
		t.Errorf("the next run: %v, writes %q, unit calls %q; want nothing to do", err, k.Writes, mgr.Calls)
	}
}

// A run stopped between its kernel steps and its unit steps (SIGTERM, here right
// after the enslaving) leaves a record of what it did; the next event's run
// converges the rest.
func TestHotplugStoppedAfterTheEnslavingIsFinishedByTheNextRun(t *testing.T) {
	e, k, gate, mgr, log := linksFirstEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	gate.after = cancel
	w := k.AddLink("wlan1", "device")
	w.Wireless = true
	err := e.Hotplug(ctx, "add", "wlan1")
	if !errors.Is(err, errInterrupted) {
		t.Fatalf("hot-plug stopped after the enslaving: %v, want interrupted\n%s", err, log())
	}
	if mgr.waits != 0 {
		t.Errorf("the run waited for the unit list before it enslaved wlan1")
	}
	if got := k.Transcript(); got != "enslave wlan1 to bond0" {
		t.Errorf("kernel writes of the stopped run: %q, want the enslaving only", got)
	}
	if r, err := e.store().Load("bond0"); err != nil || r == nil || !r.HasSlave("wlan1") {
		t.Errorf("record after the stopped run: %+v, %v; want wlan1 named", r, err)
	}
	k.Writes, mgr.Calls = nil, nil
	if err := e.Hotplug(context.Background(), "add", "wlan1"); err != nil {
		t.Fatalf("the next run: %v\n%s", err, log())
	}
	if got := k.Transcript(); got != "set wlan1 prio 1\nset wlan1 up" {
		t.Errorf("kernel writes of the next run: %q, want wlan1's prio and up", got)
	}
	if got := mgr.Transcript(); !strings.HasPrefix(got, "start bond-wpa@wlan1.service:") || strings.Contains(got, "\n") {
		t.Errorf("unit calls of the next run: %q, want wlan1's supplicant started", got)
	}
}

// Issue 20, the cold start: bond-up at boot (no record: it is on tmpfs) creates the
// master and enslaves before systemd's unit list is in, and still starts the clients
// in the same run.
func TestBondUpAtBootEnslavesBeforeTheUnitList(t *testing.T) {
	k := netdev.NewFake()
	mgr := &slowList{Fake: units.NewFake()}
	e, log := testEnv(t, nil, linksFirstConf+"bond0DHCP='yes'\n", func(context.Context) (units.Manager, error) { return mgr, nil })
	gate := &enslaveGate{Fake: k, opened: make(chan struct{})}
	e.Kernel, e.Source, mgr.gate = gate, k, gate.opened
	k.AddLink("eth0", "device")
	if err := e.Up(context.Background(), nil); err != nil {
		t.Fatalf("bond-up: %v\n%s", err, log)
	}
	if mgr.waits != 0 {
		t.Errorf("bond-up at boot waited for the unit list before it enslaved eth0")
	}
	if got := mgr.Transcript(); !strings.Contains(got, "start bond-dhcp4@bond0.service") {
		t.Errorf("the same run did not start the DHCPv4 client: unit calls %q", got)
	}
	r, err := e.store().Load("bond0")
	if err != nil || r == nil || !r.Created || !r.HasSlave("eth0") || r.Units["bond-dhcp4@bond0.service"] == nil {
		t.Errorf("record after bond-up: %+v, %v; want bond0 created, eth0 and the DHCPv4 unit", r, err)
	}
}

// A reload (the record names units) enslaves first too: plan.Up stops a client the
// file dropped after its kernel steps either way, and a supplicant's stop keeps its
// place (plan.LinksFirst, tested in lib/plan).
func TestBondUpReloadEnslavesBeforeTheUnitList(t *testing.T) {
	e, k, _, mgr, log := linksFirstEnv(t)
	k.AddLink("eth0", "device")
	if err := e.Up(context.Background(), nil); err != nil {
		t.Fatalf("bond-up: %v\n%s", err, log())
	}
	if mgr.waits != 0 {
		t.Errorf("bond-up with wlan0's supplicant recorded waited for the unit list before it enslaved eth0")
	}
	if got := k.Transcript(); !strings.Contains(got, "enslave eth0 to bond0") {
		t.Errorf("kernel writes: %q, want eth0 enslaved", got)
	}
}

// udevLate is udev announcing master only at its third look (waitUdev polls).
type udevLate struct {
	fakeInfo
	master string
	mu     sync.Mutex
	looks  int
}

func (u *udevLate) Initialized(name string) bool {
	if name != u.master {
		return true
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	u.looks++
	return u.looks >= 3
}

func (u *udevLate) seen() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.looks
}

// startSpy notes, at each unit start, how often udev had been asked about the master.
type startSpy struct {
	*units.Fake
	info   *udevLate
	starts map[string]int
}

func (s *startSpy) Start(ctx context.Context, sp units.Spec) error {
	s.starts[sp.Name] = s.info.seen()
	return s.Fake.Start(ctx, sp)
}

// The kernel steps first must not lose bond-up's wait for udev's announcement of a
// master it created before it starts the master's units (waitUdev: right after
// bond-down systemd may still see the old master's device, and a unit bound to it
// would be stopped, releasing its new lease, when udev gets to the old remove event).
// The create and the starts are two applies then; the wait is the run's.
func TestBondUpAtBootWaitsForUdevBeforeTheMastersUnits(t *testing.T) {
	k := netdev.NewFake()
	info := &udevLate{master: "bond0"}
	mgr := &startSpy{Fake: units.NewFake(), info: info, starts: map[string]int{}}
	e, log := testEnv(t, nil, linksFirstConf+"bond0DHCP='yes'\n", func(context.Context) (units.Manager, error) { return mgr, nil })
	e.Kernel, e.Source, e.Info, e.WaitUdev = k, k, info, true
	k.AddLink("eth0", "device")
	if err := e.Up(context.Background(), nil); err != nil {
		t.Fatalf("bond-up: %v\n%s", err, log)
	}
	if n, ok := mgr.starts["bond-dhcp4@bond0.service"]; !ok || n < 3 {
		t.Errorf("bond-dhcp4@bond0 started after %d looks at udev's database (started: %v), want it started once udev announced bond0 (the third look)", n, ok)
	}
}
