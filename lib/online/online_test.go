// SPDX-License-Identifier: Apache-2.0

package online

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// states is a Reader whose answers the test changes.
type states struct {
	mu sync.Mutex
	m  map[string]Status
}

func (s *states) set(st Status) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[st.Master] = st
}

func (s *states) read(m string) Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, ok := s.m[m]; ok {
		return st
	}
	return Status{Master: m}
}

func TestWaitEndsOnTheChangeThatBringsTheLastMasterOnline(t *testing.T) {
	s := &states{m: map[string]Status{"bond0": {Master: "bond0", Exists: true, Active: "eth0", Addr: "10.0.0.2"}}}
	s.set(Status{Master: "br0", Exists: true, Active: "br0"})
	changes := make(chan struct{}, 1)
	go func() {
		time.Sleep(50 * time.Millisecond)
		s.set(Status{Master: "br0", Exists: true, Active: "br0", Addr: "fd00::2"})
		changes <- struct{}{}
	}()
	start := time.Now()
	// The poll is an hour: only the notification can end it in time.
	sts, err := Wait(context.Background(), []string{"bond0", "br0"}, 10*time.Second, time.Hour, s.read, changes)
	if err != nil || len(sts) != 2 || !sts[1].Online() {
		t.Fatalf("Wait: %v %+v", err, sts)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestWaitTimesOutNamingWhatIsMissing(t *testing.T) {
	s := &states{m: map[string]Status{"bond1": {Master: "bond1", Exists: true, Active: "wlan0"}}}
	_, err := Wait(context.Background(), []string{"bond0", "bond1"}, 200*time.Millisecond, 50*time.Millisecond, s.read, nil)
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("want ErrTimeout, got %v", err)
	}
	for _, want := range []string{"bond0 does not exist", "bond1 (active slave wlan0) has no address yet"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not say %q", err, want)
		}
	}
}

func TestUsableAddressesAreGlobalAndPastDAD(t *testing.T) {
	addr := func(s string, scope netlink.Scope, flags int) netlink.Addr {
		ip, n, _ := net.ParseCIDR(s)
		n.IP = ip
		return netlink.Addr{IPNet: n, Scope: int(scope), Flags: flags}
	}
	for _, tc := range []struct {
		name  string
		addrs []netlink.Addr
		want  string
	}{
		{"none", nil, ""},
		{"link-local only", []netlink.Addr{addr("fe80::1/64", netlink.SCOPE_LINK, 0)}, ""},
		{"tentative", []netlink.Addr{addr("fd00::2/64", netlink.SCOPE_UNIVERSE, unix.IFA_F_TENTATIVE)}, ""},
		{"dad failed", []netlink.Addr{addr("fd00::2/64", netlink.SCOPE_UNIVERSE, unix.IFA_F_DADFAILED)}, ""},
		{"host scope", []netlink.Addr{addr("127.0.0.2/8", netlink.SCOPE_HOST, 0)}, ""},
		{"IPv6 only", []netlink.Addr{addr("fd00::2/64", netlink.SCOPE_UNIVERSE, 0)}, "fd00::2"},
		{"IPv4 first", []netlink.Addr{addr("fd00::2/64", netlink.SCOPE_UNIVERSE, 0), addr("10.0.0.2/24", netlink.SCOPE_UNIVERSE, 0)}, "10.0.0.2"},
	} {
		if got := usable(tc.addrs); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

// The real reader in a throw-away namespace: a bridge without a port with carrier is
// not online, with one and an address it is.
func TestNetlinkReaderOnARealBridge(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates a network namespace")
	}
	name := fmt.Sprintf("bhonl%d", time.Now().UnixNano()%1e9)
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Skipf("cannot create a network namespace: %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", name).Run() })
	ns, err := netns.GetFromName(name)
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		t.Fatal(err)
	}
	ip := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", append([]string{"-n", name}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("ip %v: %v %s", args, err, out)
		}
	}
	read := Netlink(h)
	if s := read("br0"); s.Exists || s.Online() {
		t.Fatalf("absent br0: %+v", s)
	}
	ip("link", "add", "br0", "type", "bridge")
	ip("link", "set", "br0", "up")
	ip("addr", "add", "10.7.0.2/24", "dev", "br0")
	if s := read("br0"); s.Online() || s.Missing() != "br0 has no active slave" {
		t.Fatalf("br0 without a port: %+v (%s)", s, s.Missing())
	}
	ip("link", "add", "veth0", "type", "veth", "peer", "name", "peer0")
	ip("link", "set", "veth0", "master", "br0")
	ip("link", "set", "veth0", "up")
	ip("link", "set", "peer0", "up")
	deadline := time.Now().Add(10 * time.Second)
	for !read("br0").Online() {
		if time.Now().After(deadline) {
			t.Fatalf("br0 with a port with carrier and 10.7.0.2: %+v", read("br0"))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if s := read("br0"); s.Addr != "10.7.0.2" {
		t.Errorf("address %q, want 10.7.0.2", s.Addr)
	}
}
