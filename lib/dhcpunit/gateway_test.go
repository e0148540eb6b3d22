// SPDX-License-Identifier: Apache-2.0

package dhcpunit

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// twoNets: a throw-away "laptop" namespace (v0, 10.1.0.2/24, a default route via
// 10.1.0.1) cabled to a "router" namespace (v1, 10.1.0.1/24) by a veth pair.
func twoNets(t *testing.T) (laptop, router string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates network namespaces")
	}
	id := time.Now().UnixNano() % 1e9
	laptop, router = fmt.Sprintf("bhgwl%d", id), fmt.Sprintf("bhgwr%d", id)
	for _, ns := range []string{laptop, router} {
		if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
			t.Fatalf("ip netns add %s: %v %s", ns, err, out)
		}
		t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns).Run() })
	}
	run := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %v: %v %s", args, err, out)
		}
	}
	run("-n", laptop, "link", "add", "v0", "type", "veth", "peer", "name", "v1", "netns", router)
	run("-n", laptop, "addr", "add", "10.1.0.2/24", "dev", "v0")
	run("-n", router, "addr", "add", "10.1.0.1/24", "dev", "v1")
	run("-n", laptop, "link", "set", "v0", "up")
	run("-n", router, "link", "set", "v1", "up")
	run("-n", laptop, "route", "add", "default", "via", "10.1.0.1", "dev", "v0")
	// The router's MAC in the neighbour table, as traffic before a move leaves it.
	out, err := exec.Command("ip", "-n", router, "-br", "link", "show", "v1").Output()
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(out))
	if len(f) < 3 {
		t.Fatalf("ip -br link: %q", out)
	}
	run("-n", laptop, "neigh", "replace", "10.1.0.1", "lladdr", f[2], "dev", "v0", "nud", "stale")
	return laptop, router
}

// inNS runs f on a thread in namespace name (the ARP socket is made there).
func inNS(t *testing.T, name string, f func(h *netlink.Handle)) {
	t.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := netns.Get()
	if err != nil {
		t.Fatal(err)
	}
	defer orig.Close()
	ns, err := netns.GetFromName(name)
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	if err := netns.Set(ns); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = netns.Set(orig) }()
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	f(h)
}

func TestTheSameRouterAnswersFromItsMAC(t *testing.T) {
	laptop, router := twoNets(t)
	var routerMAC net.HardwareAddr
	inNS(t, router, func(h *netlink.Handle) {
		l, err := h.LinkByName("v1")
		if err != nil {
			t.Fatal(err)
		}
		routerMAC = l.Attrs().HardwareAddr
	})
	inNS(t, laptop, func(h *netlink.Handle) {
		g, ok := readGateway(h, "v0", nil)
		if !ok || g.ip.String() != "10.1.0.1" || g.src.String() != "10.1.0.2" || g.mac.String() != routerMAC.String() {
			t.Fatalf("readGateway: %v %+v, want 10.1.0.1 at %s from 10.1.0.2", ok, g, routerMAC)
		}
		l, _ := h.LinkByName("v0")
		same, err := sameGateway(l.Attrs().Index, l.Attrs().HardwareAddr, g, gatewayBound)
		if err != nil || !same {
			t.Fatalf("the router itself: same %v, err %v", same, err)
		}
		// Another network whose router has the same address (192.168.1.1 in every
		// home): the answer comes from another MAC.
		other := g
		other.mac = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x99}
		if same, err := sameGateway(l.Attrs().Index, l.Attrs().HardwareAddr, other, gatewayBound); err != nil || same {
			t.Fatalf("another router's MAC: same %v, err %v", same, err)
		}
	})
	// fail_over_mac=active: the bond's new MAC flushes its ARP entries at the move;
	// the supervisor still knows the router's MAC from the kernel's notifications.
	inNS(t, laptop, func(h *netlink.Handle) {
		l, _ := h.LinkByName("v0")
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		known := watchNeighbours(ctx, h, l.Attrs().Index)
		if known == nil {
			t.Fatal("no neighbour subscription")
		}
		if out, err := exec.Command("ip", "-n", laptop, "neigh", "flush", "dev", "v0").CombinedOutput(); err != nil {
			t.Fatalf("%v %s", err, out)
		}
		// Forgotten and never remembered (a move seconds after the lease): the
		// router's address only, asked by broadcast, and its answer counts.
		g0, ok := readGateway(h, "v0", nil)
		if !ok || g0.mac != nil {
			t.Fatalf("the kernel forgot the router: readGateway %v %v, want its address without a MAC", ok, g0)
		}
		if same, err := sameGateway(l.Attrs().Index, l.Attrs().HardwareAddr, g0, gatewayBound); err != nil || !same {
			t.Fatalf("the router asked by broadcast: same %v, err %v", same, err)
		}
		g, ok := readGateway(h, "v0", known)
		if !ok || g.mac.String() != routerMAC.String() {
			t.Fatalf("the remembered MAC: %v %v, want %s", ok, g, routerMAC)
		}
	})
	// The café: nobody has the old router's address. No answer within the bound.
	inNS(t, router, func(h *netlink.Handle) {
		if out, err := exec.Command("ip", "-n", router, "addr", "flush", "dev", "v1").CombinedOutput(); err != nil {
			t.Fatalf("%v %s", err, out)
		}
	})
	inNS(t, laptop, func(h *netlink.Handle) {
		l, _ := h.LinkByName("v0")
		// Asked by broadcast (its MAC never resolved): no answer either.
		unresolved := gateway{ip: mustAddr("10.1.0.1"), src: mustAddr("10.1.0.2")}
		if same, err := sameGateway(l.Attrs().Index, l.Attrs().HardwareAddr, unresolved, gatewayBound); err != nil || same {
			t.Fatalf("a router gone, asked by broadcast: same %v, err %v", same, err)
		}
		g := gateway{ip: mustAddr("10.1.0.1"), mac: routerMAC, src: mustAddr("10.1.0.2")}
		start := time.Now()
		same, err := sameGateway(l.Attrs().Index, l.Attrs().HardwareAddr, g, gatewayBound)
		if err != nil || same {
			t.Fatalf("a router gone: same %v, err %v", same, err)
		}
		// Not before the bound (a slow router still counts); the upper limit only
		// catches a wait that never ends (generous: the host may be loaded).
		if d := time.Since(start); d < gatewayBound || d > 5*gatewayBound {
			t.Errorf("gave up after %v, want about %v", d, gatewayBound)
		}
	})
}

func TestARPRequestAndReply(t *testing.T) {
	sha := net.HardwareAddr{2, 0, 0, 0, 0, 1}
	req := arpRequest(sha, mustAddr("10.1.0.2"), mustAddr("10.1.0.1"))
	if _, _, ok := arpReply(req); ok {
		t.Fatal("a request is no reply")
	}
	rep := append([]byte(nil), req...)
	rep[7] = 2
	mac, spa, ok := arpReply(rep)
	if !ok || mac.String() != sha.String() || spa.String() != "10.1.0.2" {
		t.Fatalf("reply: %v %s %s", ok, mac, spa)
	}
	if _, _, ok := arpReply(rep[:20]); ok {
		t.Fatal("a short packet is no reply")
	}
}
