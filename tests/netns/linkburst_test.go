// SPDX-License-Identifier: Apache-2.0

package netns_test

// Issue 11.3: a burst of link events overflows the netlink subscription's socket; the
// library then closes its channel. The built binaries must subscribe again and carry
// on: --wait-active neither spins nor misses the carrier, --supervise neither panics
// nor misses the MAC change.

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
)

// syncBuffer is a bytes.Buffer safe to read while a process writes to it.
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

// proc is a binary running in the background; done closes when it exited, with err.
type proc struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
	done   chan struct{}
	err    error
}

// background starts bin in ns and stops it (SIGINT, then SIGKILL after 5 s) when t
// ends.
func background(t *testing.T, ns *testNS, env map[string]string, bin string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: command(context.Background(), ns, env, bin, args...), stderr: &syncBuffer{}, done: make(chan struct{})}
	p.cmd.Stderr = p.stderr
	// A child it leaves behind (a supervised client, when it crashes) may hold stderr.
	p.cmd.WaitDelay = 2 * time.Second
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.cmd.Process.Signal(os.Interrupt)
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// burst creates n veth pairs and sets one end of each up, in one `ip -batch`: about
// 3n link events as fast as the kernel makes them (this host's kernel has no dummy).
func burst(t *testing.T, ns *testNS, n int) {
	t.Helper()
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "link add bd%d type veth peer name bp%d\n", i, i)
	}
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "link set bd%d up\n", i)
	}
	p := filepath.Join(ns.dir, "burst.batch")
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("ip", "-n", ns.Name, "-batch", p).CombinedOutput(); err != nil {
		t.Fatalf("ip -batch (%d veth pairs): %v: %s", n, err, out)
	}
}

// cpuSeconds is the user+system CPU time of process pid so far.
func cpuSeconds(t *testing.T, pid int) float64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatalf("read CPU time of %d: %v", pid, err)
	}
	// Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100 // USER_HZ is 100 on Linux
}

func waitFor(t *testing.T, what string, d time.Duration, cond func() bool, p *proc) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		select {
		case <-p.done:
			t.Fatalf("exited (%v) while waiting for %s:\n%s", p.err, what, p.stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s after %v:\n%s", what, d, p.stderr.String())
		}
	}
}

// A receive buffer this small overflows in any burst (the kernel rounds it up to its
// minimum, about 2 KiB): the test proves the recovery, the default buffer (4 MiB) only
// makes it rarer.
var tinyRcvBuf = map[string]string{"BOND_HOTPLUG_NETLINK_RCVBUF": "1"}

const lostNote = "link notifications lost ("

func TestLinkEventBurstOverflowingTheSubscription(t *testing.T) {
	t.Parallel()
	t.Run("--wait-active subscribes again, stays idle, and still sees the carrier", func(t *testing.T) {
		t.Parallel()
		ns := newNS(t)
		mustVeth(t, ns, "veth0", "peer0")
		conf := writeConfig(t, ns, brConf+noDHCP)
		mustRun(t, ns, nil, upBin, "-c", conf)
		p := background(t, ns, tinyRcvBuf, hotplugBin, "-c", conf, "--wait-active", "br0")
		time.Sleep(300 * time.Millisecond) // subscribed (it subscribes before its first check)

		burst(t, ns, 500)
		time.Sleep(time.Second) // let the re-read after resubscribing finish
		before := cpuSeconds(t, p.cmd.Process.Pid)
		time.Sleep(2 * time.Second)
		used := cpuSeconds(t, p.cmd.Process.Pid) - before
		t.Logf("CPU used in 2 s of waiting after the burst: %.2f s", used)
		if used > 0.5 {
			t.Errorf("--wait-active used %.2f s of CPU in 2 s of waiting after the burst (spinning)", used)
		}
		if !strings.Contains(p.stderr.String(), lostNote) {
			t.Fatalf("the burst did not overflow the subscription, or the binary did not notice:\n%s", p.stderr.String())
		}
		withLink(t, ns, "peer0", func(h *netlink.Handle, l netlink.Link) error { return h.LinkSetUp(l) })
		select {
		case <-p.done:
			if p.err != nil {
				t.Fatalf("--wait-active: %v:\n%s", p.err, p.stderr.String())
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("--wait-active missed br0's carrier after the burst:\n%s", p.stderr.String())
		}
	})
	t.Run("--supervise survives the burst and still restarts the client on a MAC change", func(t *testing.T) {
		t.Parallel()
		ns, conf := bridgeWithCarrier(t)
		starts := filepath.Join(ns.dir, "starts")
		p := background(t, ns, tinyRcvBuf, hotplugBin, "-c", conf, "--supervise", "br0", "--",
			"/bin/sh", "-c", `echo $$ >> "$0"; exec sleep 120 >/dev/null 2>&1`, starts)
		count := func() int {
			b, _ := os.ReadFile(starts)
			return strings.Count(string(b), "\n")
		}
		waitFor(t, "client start", 10*time.Second, func() bool { return count() == 1 }, p)

		burst(t, ns, 500)
		waitFor(t, "note of the overflow", 10*time.Second, func() bool { return strings.Contains(p.stderr.String(), lostNote) }, p)
		withLink(t, ns, "br0", func(h *netlink.Handle, l netlink.Link) error {
			return h.LinkSetHardwareAddr(l, []byte{0x02, 0xb0, 0x0d, 0x11, 0x00, 0x03})
		})
		waitFor(t, "client restart after the MAC change", 10*time.Second, func() bool { return count() == 2 }, p)
	})
}

// bridgeWithCarrier makes br0 with bond-up in a new namespace, from brConf without
// DHCP, with veth0 enslaved and its peer up (so br0 has carrier): what the DHCP
// supervisor tests start from. It returns the namespace and the configuration file.
func bridgeWithCarrier(t *testing.T) (*testNS, string) {
	t.Helper()
	ns := newNS(t)
	mustVeth(t, ns, "veth0", "peer0")
	conf := writeConfig(t, ns, brConf+noDHCP)
	mustRun(t, ns, nil, upBin, "-c", conf)
	withLink(t, ns, "peer0", func(h *netlink.Handle, l netlink.Link) error { return h.LinkSetUp(l) })
	return ns, conf
}
