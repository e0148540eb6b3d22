// SPDX-License-Identifier: Apache-2.0

package dhcpunit

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bond-hotplug/bond-hotplug/lib/logx"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// The supervisors run for as long as the laptop is up, through thousands of path
// changes (issue 17.7, the soak). This runs three of them through many moves, on
// real netlink in a throw-away namespace: DHCPv4 (restartOnMAC), DHCPv6 with a
// client verified by a restart, and DHCPv6 with dhcp6c (the default, verified by the
// DHCPv4 lease). Each move costs a router probe, a MAC change and a renewed lease.
// The test checks that what a move leaves behind does not pile up: goroutines, open
// files and the heap still live after a collection. OS threads and RSS are printed,
// not bounded: Go's runtime takes another thread when it wants one, and the RSS
// follows the garbage (the netlink library allocates 64 KiB per receive). The host has
// no bonding driver, so the master is a bridge and the bond's sysfs files
// (active_slave, the slaves' operstate and carrier_changes: what a path is made of,
// roam.go) are a directory of this test's; every move is announced by a real link
// notification about a port.
//
// BOND_HOTPLUG_STEADY_CYCLES=N runs N moves (default 60) and prints the figures
// every N/10 (go test -run Steady -v ./lib/dhcpunit).

// countingLog counts the lines containing each of its patterns and keeps nothing
// else: the supervisors' log over a long run must not be the heap growth this test
// looks for.
type countingLog struct {
	patterns [][]byte
	n        []atomic.Int64
	mu       sync.Mutex
	last     string // the last line, for a failure's message
}

func newCountingLog(patterns ...string) *countingLog {
	c := &countingLog{n: make([]atomic.Int64, len(patterns))}
	for _, p := range patterns {
		c.patterns = append(c.patterns, []byte(p))
	}
	return c
}

func (c *countingLog) Write(p []byte) (int, error) {
	for i, pat := range c.patterns {
		c.n[i].Add(int64(bytes.Count(p, pat)))
	}
	c.mu.Lock()
	c.last = string(p)
	c.mu.Unlock()
	return len(p), nil
}

func (c *countingLog) count(i int) int64 { return c.n[i].Load() }

func (c *countingLog) lastLine() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last
}

// sample is what the process holds at one point of the run.
type sample struct {
	cycle             int
	goroutines, fds   int
	threads, rssKiB   int
	heapLive, heapSys uint64
}

func (s sample) String() string {
	return fmt.Sprintf("after %4d moves: %3d goroutines, %3d fds, %3d threads, heap live %5d KiB (sys %5d KiB), RSS %6d KiB",
		s.cycle, s.goroutines, s.fds, s.threads, s.heapLive>>10, s.heapSys>>10, s.rssKiB)
}

func takeSample(cycle int) sample {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	s := sample{cycle: cycle, goroutines: runtime.NumGoroutine(), heapLive: m.HeapAlloc, heapSys: m.HeapSys}
	if es, err := os.ReadDir("/proc/self/fd"); err == nil {
		s.fds = len(es)
	}
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			f := strings.Fields(l)
			if len(f) < 2 {
				continue
			}
			switch f[0] {
			case "VmRSS:":
				s.rssKiB, _ = strconv.Atoi(f[1])
			case "Threads:":
				s.threads, _ = strconv.Atoi(f[1])
			}
		}
	}
	return s
}

// fakeBondSys writes the bond's part of sysfs for br0: active slave, its operstate
// and carrier_changes.
func fakeBondSys(t *testing.T, sys, active string, changes int) {
	t.Helper()
	write := func(rel, v string) {
		p := filepath.Join(sys, "class/net", rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		// Renamed into place: the supervisor may read it at any moment.
		if err := os.WriteFile(p+".new", []byte(v+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(p+".new", p); err != nil {
			t.Fatal(err)
		}
	}
	write(active+"/operstate", "up")
	write(active+"/carrier_changes", strconv.Itoa(changes))
	write("br0/bonding/active_slave", active)
}

func TestSupervisorsSteadyThroughMoves(t *testing.T) {
	cycles := 60
	if v := os.Getenv("BOND_HOTPLUG_STEADY_CYCLES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 20 {
			t.Fatalf("BOND_HOTPLUG_STEADY_CYCLES=%q: want a number of moves, at least 20", v)
		}
		cycles = n
	}
	laptop, _, sys, bin, ip, lease := bridgeNets(t)

	// Each move is noticed by the three supervisors: each asks the router, which
	// answers ("same network"); dhcp6c's (the default DHCPv6 client) too, since it
	// cannot verify its lease itself (roam2: RFC 6059's question first). Each is
	// ready for the first move once its client's first exchange can start: at the
	// active master (the bridge's MAC is settled at once), and the DHCPv6 ones at a
	// usable link-local address.
	const (
		probed = iota
		active
	)
	log := newCountingLog("same network, lease kept", "br0: active (")
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	supervise := func(restartOnMAC bool, argv []string) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- superviseIn(ctx, laptop, sys, log, restartOnMAC, argv)
		}()
	}
	supervise(true, []string{filepath.Join(bin, "dhclient"), "infinity"})
	supervise(false, []string{filepath.Join(bin, "dhcpcd"), "infinity"})
	supervise(false, []string{filepath.Join(bin, "dhcp6c"), "infinity"})
	defer func() {
		cancel()
		wg.Wait()
	}()

	// A move: the other slave active, its carrier changed, the master's MAC its own
	// (fail_over_mac=active), the port's notification; then the lease renewed.
	slaves := []string{"eth0", "wlan0"}
	move := func(i int) {
		t.Helper()
		wantProbed := log.count(probed) + 3
		fakeBondSys(t, sys, slaves[i%2], i+1)
		ip("-n", laptop, "link", "set", "br0", "address", fmt.Sprintf("02:00:00:00:%02x:%02x", i%2, 0xb0))
		state := "down"
		if i%2 == 0 {
			state = "up"
		}
		ip("-n", laptop, "link", "set", "d0", state)
		deadline := time.Now().Add(10 * time.Second)
		for log.count(probed) < wantProbed {
			if time.Now().After(deadline) {
				t.Fatalf("move %d: not noticed by all three supervisors within 10 s (routers found %d of %d; last log line %q)",
					i, log.count(probed), wantProbed, log.lastLine())
			}
			time.Sleep(5 * time.Millisecond)
		}
		lease()
	}
	deadline := time.Now().Add(15 * time.Second)
	for !usableLinkLocalIn(t, laptop) || log.count(active) < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("the supervisors not waiting for moves within 15 s (last log line %q)", log.lastLine())
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Past their settle waits and their first path taken (the DHCPv6 one polls the
	// link-local address every settlePoll).
	time.Sleep(3 * settlePoll)
	// Some moves first: the supervisors have then made all they keep (the
	// subscriptions, the client's wait, the router's MAC) before the first sample.
	for i := 1; i <= 10; i++ {
		move(i)
	}
	step := max(cycles/10, 1)
	first := takeSample(0)
	samples := []sample{first}
	t.Log(first)
	for i := 1; i <= cycles; i++ {
		move(10 + i)
		if i%step == 0 {
			s := takeSample(i)
			samples = append(samples, s)
			t.Log(s)
		}
	}
	select {
	case err := <-errs:
		t.Fatalf("a supervisor ended during the moves: %v", err)
	default:
	}
	last := samples[len(samples)-1]
	// Goroutines and files are counted exactly: what a move starts must have ended
	// (an ARP probe's socket, a client's wait), give or take one relay in flight.
	if d := last.goroutines - first.goroutines; d > 1 {
		t.Errorf("goroutines %d -> %d over %d moves", first.goroutines, last.goroutines, cycles)
	}
	if d := last.fds - first.fds; d > 1 {
		t.Errorf("open files %d -> %d over %d moves", first.fds, last.fds, cycles)
	}
	// The live heap may wobble by what a collection happens to catch in flight (a
	// netlink receive's 64 KiB buffer), never by something kept per move.
	if last.heapLive > first.heapLive+256<<10 {
		t.Errorf("live heap %d -> %d KiB over %d moves", first.heapLive>>10, last.heapLive>>10, cycles)
	}
}

// usableLinkLocalIn reports whether br0 in namespace ns has a usable link-local address.
func usableLinkLocalIn(t *testing.T, ns string) bool {
	t.Helper()
	n, err := netns.GetFromName(ns)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	h, err := netlink.NewHandleAt(n)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	return usableLinkLocal(h, "br0")
}

// bridgeNets is a throw-away "laptop" namespace whose br0 (the "bond") has a port
// cabled to a "router" namespace (10.1.0.1, fd01::1) and a port (a veth, d0) whose
// up/down announces a move; br0 holds our leases (addresses with a lifetime, renewed
// by lease()) and the default route via the router. sys is the bond's part of sysfs
// (fakeBondSys: eth0 active), bin the clients: sleep under the names the supervisor
// knows (dhclient, dhcpcd, dhcp6c).
func bridgeNets(t *testing.T) (laptop, router, sys, bin string, ip func(args ...string), lease func()) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates network namespaces")
	}
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep(1)")
	}
	id := time.Now().UnixNano() % 1e9
	laptop, router = fmt.Sprintf("bhstl%d", id), fmt.Sprintf("bhstr%d", id)
	for _, ns := range []string{laptop, router} {
		if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
			t.Fatalf("ip netns add %s: %v %s", ns, err, out)
		}
		t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns).Run() })
	}
	ip = func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %v: %v %s", args, err, out)
		}
	}
	ip("-n", laptop, "link", "add", "br0", "type", "bridge")
	ip("-n", laptop, "link", "add", "v0", "type", "veth", "peer", "name", "v1", "netns", router)
	ip("-n", laptop, "link", "add", "d0", "type", "veth", "peer", "name", "d1")
	ip("-n", laptop, "link", "set", "v0", "master", "br0")
	ip("-n", laptop, "link", "set", "d0", "master", "br0")
	for _, l := range []string{"v0", "d0", "br0"} {
		ip("-n", laptop, "link", "set", l, "up")
	}
	ip("-n", router, "addr", "add", "10.1.0.1/24", "dev", "v1")
	ip("-n", router, "addr", "add", "fd01::1/64", "dev", "v1", "nodad")
	ip("-n", router, "link", "set", "v1", "up")
	lease = func() {
		ip("-n", laptop, "addr", "replace", "10.1.0.2/24", "dev", "br0", "valid_lft", "3600", "preferred_lft", "3600")
		ip("-n", laptop, "addr", "replace", "fd01::2/64", "dev", "br0", "nodad", "valid_lft", "3600", "preferred_lft", "3600")
	}
	lease()
	ip("-n", laptop, "route", "replace", "default", "via", "10.1.0.1", "dev", "br0")
	sys = t.TempDir()
	fakeBondSys(t, sys, "eth0", 1)
	bin = t.TempDir()
	for _, name := range []string{"dhclient", "dhcpcd", "dhcp6c"} {
		if err := os.Symlink(sleep, filepath.Join(bin, name)); err != nil {
			t.Fatal(err)
		}
	}
	return laptop, router, sys, bin, ip, lease
}

// superviseIn runs Supervise on br0 of namespace ns until ctx ends. The whole
// supervisor runs on one thread in that namespace: its subscriptions, its ARP socket
// and its client are made there. The thread is never unlocked: it dies with the
// goroutine.
func superviseIn(ctx context.Context, ns, sys string, log io.Writer, restartOnMAC bool, argv []string) error {
	runtime.LockOSThread()
	n, err := netns.GetFromName(ns)
	if err != nil {
		return err
	}
	defer n.Close()
	if err := netns.Set(n); err != nil {
		return err
	}
	h, err := netlink.NewHandleAt(n)
	if err != nil {
		return err
	}
	defer h.Close()
	e := &Env{Log: &logx.Logger{ID: "bond-hotplug", Out: log}, Sys: sys, Handle: h}
	return e.Supervise(ctx, "br0", argv, restartOnMAC)
}
