// SPDX-License-Identifier: Apache-2.0

package dhcpunit

import (
	"bytes"
	"context"
	"encoding/binary"
	"net"
	"net/netip"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// twoNets6 is twoNets with IPv6: both ends' link-local addresses past duplicate
// address detection; it returns the router's link-local address and MAC.
func twoNets6(t *testing.T) (laptop, router string, routerLL netip.Addr, routerMAC net.HardwareAddr) {
	t.Helper()
	laptop, router = twoNets(t)
	for _, ns := range []struct{ name, dev string }{{laptop, "v0"}, {router, "v1"}} {
		inNS(t, ns.name, func(h *netlink.Handle) {
			l, err := h.LinkByName(ns.dev)
			if err != nil {
				t.Fatal(err)
			}
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
				as, err := h.AddrList(l, netlink.FAMILY_V6)
				if err != nil {
					t.Fatal(err)
				}
				var ll netip.Addr
				for _, a := range as {
					if a.IP.IsLinkLocalUnicast() && a.Flags&unix.IFA_F_TENTATIVE == 0 {
						ll, _ = netip.AddrFromSlice(a.IP.To16())
					}
				}
				if ll.IsValid() {
					if ns.name == router {
						routerLL, routerMAC = ll, l.Attrs().HardwareAddr
					}
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%s: no usable link-local address after 10 s: %v", ns.dev, as)
				}
			}
		})
	}
	return laptop, router, routerLL, routerMAC
}

func ipIn(t *testing.T, ns string, args ...string) {
	t.Helper()
	if out, err := exec.Command("ip", append([]string{"-n", ns}, args...)...).CombinedOutput(); err != nil {
		t.Fatalf("ip -n %s %v: %v %s", ns, args, err, out)
	}
}

func TestTheSameIPv6RouterAnswersFromItsMAC(t *testing.T) {
	laptop, router, routerLL, routerMAC := twoNets6(t)
	ipIn(t, laptop, "-6", "route", "add", "default", "via", routerLL.String(), "dev", "v0")
	ipIn(t, laptop, "-6", "neigh", "replace", routerLL.String(), "lladdr", routerMAC.String(), "dev", "v0", "nud", "stale")
	inNS(t, laptop, func(h *netlink.Handle) {
		l, _ := h.LinkByName("v0")
		g, ok := readGateway6(h, "v0", nil)
		if !ok || g.ip != routerLL || g.mac.String() != routerMAC.String() || !g.src.IsLinkLocalUnicast() {
			t.Fatalf("readGateway6: %v %+v, want %s at %s from our link-local address", ok, g, routerLL, routerMAC)
		}
		same, err := sameGateway6(l.Attrs().Index, l.Attrs().HardwareAddr, g, gatewayBound)
		if err != nil || !same {
			t.Fatalf("the router itself: same %v, err %v", same, err)
		}
		// fe80::1 is every other router's address too: its MAC tells them apart.
		other := g
		other.mac = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x99}
		if same, err := sameGateway6(l.Attrs().Index, l.Attrs().HardwareAddr, other, gatewayBound); err != nil || same {
			t.Fatalf("another router's MAC: same %v, err %v", same, err)
		}
		// Never resolved: asked at its solicited-node group, its answer counts.
		unresolved := g
		unresolved.mac = nil
		if same, err := sameGateway6(l.Attrs().Index, l.Attrs().HardwareAddr, unresolved, gatewayBound); err != nil || !same {
			t.Fatalf("the router asked by multicast: same %v, err %v", same, err)
		}
		// The kernel forgot it (a new MAC under fail_over_mac=active flushes the
		// neighbours); the supervisor's notifications did not.
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		known := watchNeighbours(ctx, h, l.Attrs().Index)
		if known == nil {
			t.Fatal("no neighbour subscription")
		}
		ipIn(t, laptop, "-6", "neigh", "flush", "dev", "v0")
		if g, ok := readGateway6(h, "v0", known); !ok || g.mac.String() != routerMAC.String() {
			t.Fatalf("the remembered MAC: %v %v, want %s", ok, g, routerMAC)
		}
	})
	// Another network: nobody answers for the old router's address.
	ipIn(t, router, "link", "set", "v1", "down")
	ipIn(t, router, "link", "set", "v1", "address", "02:00:00:00:00:98")
	ipIn(t, router, "link", "set", "v1", "up")
	inNS(t, laptop, func(h *netlink.Handle) {
		l, _ := h.LinkByName("v0")
		g := gateway6{ip: routerLL, mac: routerMAC}
		g.src = mustLinkLocal(t, h, l)
		start := time.Now()
		if same, err := sameGateway6(l.Attrs().Index, l.Attrs().HardwareAddr, g, gatewayBound); err != nil || same {
			t.Fatalf("a router gone: same %v, err %v", same, err)
		}
		if d := time.Since(start); d < gatewayBound || d > 5*gatewayBound {
			t.Errorf("gave up after %v, want about %v", d, gatewayBound)
		}
	})
}

func mustLinkLocal(t *testing.T, h *netlink.Handle, l netlink.Link) netip.Addr {
	t.Helper()
	as, err := h.AddrList(l, netlink.FAMILY_V6)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range as {
		if a.IP.IsLinkLocalUnicast() {
			ip, _ := netip.AddrFromSlice(a.IP.To16())
			return ip
		}
	}
	t.Fatalf("no link-local address on %s", l.Attrs().Name)
	return netip.Addr{}
}

func TestNeighborSolicitationChecksum(t *testing.T) {
	b := neighborSolicitation(net.HardwareAddr{2, 0, 0, 0, 0, 1}, netip.MustParseAddr("fe80::1"),
		netip.MustParseAddr("fe80::2"), netip.MustParseAddr("fe80::2"))
	// A packet with its checksum in place sums to zero (RFC 1071).
	if c := icmp6Checksum([16]byte(b[8:24]), [16]byte(b[24:40]), b[40:]); c != 0 {
		t.Fatalf("checksum does not verify: %#04x", c)
	}
	if _, ok := neighborAdvertisement(b); ok {
		t.Fatal("a solicitation is no advertisement")
	}
	na := bytes.Clone(b)
	na[40] = 136
	if target, ok := neighborAdvertisement(na); !ok || target.String() != "fe80::2" {
		t.Fatalf("advertisement: %v %s", ok, target)
	}
}

// routerAdvertisement is an RA (RFC 4861 4.2) with a router lifetime of 1800 s and
// one prefix (on-link, autonomous: SLAAC) valid 3600 s.
func routerAdvertisement(prefix netip.Prefix) []byte {
	b := make([]byte, 16+32)
	b[0], b[4] = 134, 64
	binary.BigEndian.PutUint16(b[6:], 1800)
	p := b[16:]
	p[0], p[1], p[2], p[3] = 3, 4, byte(prefix.Bits()), 0xc0
	binary.BigEndian.PutUint32(p[4:], 3600)
	binary.BigEndian.PutUint32(p[8:], 1800)
	a := prefix.Addr().As16()
	copy(p[16:], a[:])
	return b
}

// answerOneRS waits (in the router's namespace) for a router solicitation on v1,
// checks it as a router would (RFC 4861 6.1.1: hop limit 255, our MAC in its
// option) and answers with an advertisement of prefix.
func answerOneRS(t *testing.T, router string, laptopMAC net.HardwareAddr, prefix netip.Prefix, got chan<- string) {
	inNS(t, router, func(h *netlink.Handle) {
		l, _ := h.LinkByName("v1")
		pk, err := unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_IPV6)))
		if err != nil {
			got <- err.Error()
			return
		}
		defer unix.Close(pk)
		_ = unix.Bind(pk, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_IPV6), Ifindex: l.Attrs().Index})
		tv := unix.NsecToTimeval((5 * time.Second).Nanoseconds())
		_ = unix.SetsockoptTimeval(pk, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
		buf := make([]byte, 1500)
		for {
			n, _, err := unix.Recvfrom(pk, buf, 0)
			if err != nil {
				got <- "no router solicitation: " + err.Error()
				return
			}
			b := buf[:n]
			if len(b) < 40+16 || b[6] != unix.IPPROTO_ICMPV6 || b[40] != 133 {
				continue
			}
			var why []string
			if b[7] != 255 {
				why = append(why, "hop limit "+strconv.Itoa(int(b[7])))
			}
			if !bytes.Equal(b[24:40], net.ParseIP("ff02::2").To16()) {
				why = append(why, "destination "+net.IP(b[24:40]).String())
			}
			if !net.IP(b[8:24]).IsLinkLocalUnicast() {
				why = append(why, "source "+net.IP(b[8:24]).String())
			}
			if b[48] != 1 || b[49] != 1 || !bytes.Equal(b[50:56], laptopMAC) {
				why = append(why, "source link-layer option "+net.HardwareAddr(b[50:56]).String())
			}
			if len(why) > 0 {
				got <- "bad solicitation: " + strings.Join(why, ", ")
				return
			}
			break
		}
		fd, err := unix.Socket(unix.AF_INET6, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_ICMPV6)
		if err != nil {
			got <- err.Error()
			return
		}
		defer unix.Close(fd)
		_ = unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_HOPS, 255)
		_ = unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_IF, l.Attrs().Index)
		to := &unix.SockaddrInet6{ZoneId: uint32(l.Attrs().Index), Addr: [16]byte{0xff, 0x02, 15: 1}}
		if err := unix.Sendto(fd, routerAdvertisement(prefix), 0, to); err != nil {
			got <- "advertisement: " + err.Error()
			return
		}
		got <- ""
	})
}

// The old network's state from advertisements goes (default route, on-link prefix,
// SLAAC address), the rest stays (a static address and its prefix, a DHCPv6 lease);
// the router solicitation then brings the new network's state without waiting for
// an unsolicited advertisement (the router here sends none).
func TestAMoveForgetsTheOldRoutersAndSolicitsTheNew(t *testing.T) {
	laptop, router, routerLL, _ := twoNets6(t)
	old, cafe := netip.MustParsePrefix("2001:db8:77::/64"), netip.MustParsePrefix("2001:db8:66::/64")
	ipIn(t, laptop, "-6", "addr", "add", "fd00:1::2/64", "dev", "v0", "nodad")
	ipIn(t, laptop, "-6", "addr", "add", "2001:db8:77::102/128", "dev", "v0", "nodad", "valid_lft", "3600", "preferred_lft", "3600")
	// dhcp6c's lease: a /128 with no lifetime (permanent), in the advertised prefix.
	ipIn(t, laptop, "-6", "addr", "add", "2001:db8:77::103/128", "dev", "v0", "nodad")
	var laptopMAC net.HardwareAddr
	inNS(t, laptop, func(h *netlink.Handle) {
		l, _ := h.LinkByName("v0")
		laptopMAC = l.Attrs().HardwareAddr
	})
	// The old network's advertisement, as the kernel takes it in.
	inNS(t, router, func(h *netlink.Handle) {
		l, _ := h.LinkByName("v1")
		fd, err := unix.Socket(unix.AF_INET6, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_ICMPV6)
		if err != nil {
			t.Fatal(err)
		}
		defer unix.Close(fd)
		_ = unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_HOPS, 255)
		to := &unix.SockaddrInet6{ZoneId: uint32(l.Attrs().Index), Addr: [16]byte{0xff, 0x02, 15: 1}}
		if err := unix.Sendto(fd, routerAdvertisement(old), 0, to); err != nil {
			t.Fatal(err)
		}
	})
	var st raState
	inNS(t, laptop, func(h *netlink.Handle) {
		l, _ := h.LinkByName("v0")
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			var err error
			if st, err = readRAState(h, l); err != nil {
				t.Fatal(err)
			}
			if len(st.routes) == 2 && len(st.addrs) == 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("after the old network's advertisement: %s, want its default route, prefix and SLAAC address", st)
			}
		}
		s := st.String()
		if !strings.Contains(s, "default via "+routerLL.String()) || !strings.Contains(s, "prefix "+old.String()) ||
			!strings.Contains(s, "address 2001:db8:77:") || strings.Contains(s, "fd00:1::") || strings.Contains(s, "::102/128") ||
			strings.Contains(s, "::103/128") {
			t.Fatalf("the old network's state: %s, want its default route via %s, prefix %s and SLAAC address only", s, routerLL, old)
		}
		done, err := dropRAState(h, l, st)
		if err != nil || len(done.routes) != 2 || len(done.addrs) != 1 {
			t.Fatalf("dropRAState: %v, removed %s", err, done)
		}
		// Gone already: no error (the other family's supervisor may have done it).
		if _, err := dropRAState(h, l, st); err != nil {
			t.Fatalf("dropRAState again: %v", err)
		}
		if after, _ := readRAState(h, l); len(after.routes)+len(after.addrs) != 0 {
			t.Fatalf("left: %s", after)
		}
		out, _ := exec.Command("ip", "-n", laptop, "-6", "addr", "show", "dev", "v0").Output()
		for _, keep := range []string{"fd00:1::2/64", "2001:db8:77::102/128", "2001:db8:77::103/128"} {
			if !strings.Contains(string(out), keep) {
				t.Errorf("%s removed: %s", keep, out)
			}
		}
		out, _ = exec.Command("ip", "-n", laptop, "-6", "route", "show", "dev", "v0").Output()
		if !strings.Contains(string(out), "fd00:1::/64") {
			t.Errorf("the static address's prefix route removed: %s", out)
		}
	})
	got := make(chan string, 1)
	go answerOneRS(t, router, laptopMAC, cafe, got)
	time.Sleep(200 * time.Millisecond) // the router's socket open
	inNS(t, laptop, func(h *netlink.Handle) {
		l, _ := h.LinkByName("v0")
		if err := solicitRouters(l.Attrs().Index, l.Attrs().HardwareAddr); err != nil {
			t.Fatal(err)
		}
	})
	if why := <-got; why != "" {
		t.Fatal(why)
	}
	inNS(t, laptop, func(h *netlink.Handle) {
		l, _ := h.LinkByName("v0")
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			st, _ := readRAState(h, l)
			s := st.String()
			if strings.Contains(s, "default via "+routerLL.String()) && strings.Contains(s, "prefix "+cafe.String()) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("after the solicitation's answer: %s, want the new default route and prefix", s)
			}
		}
	})
}

// dhcpcd -6 sets accept_ra to 0 and does router discovery itself: the supervisor
// leaves the advertisements' state to it.
func TestTheKernelTakesRouterAdvertisementsUnlessTurnedOff(t *testing.T) {
	laptop, _ := twoNets(t)
	inNS(t, laptop, func(h *netlink.Handle) {
		if !kernelTakesRA("v0") {
			t.Fatal("accept_ra 1 (the default): the kernel takes them")
		}
		if out, err := exec.Command("ip", "netns", "exec", laptop, "sysctl", "-qw", "net.ipv6.conf.v0.accept_ra=0").CombinedOutput(); err != nil {
			t.Fatalf("%v %s", err, out)
		}
		if kernelTakesRA("v0") {
			t.Fatal("accept_ra 0 (dhcpcd's doing): the kernel does not")
		}
	})
}
