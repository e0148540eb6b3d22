// SPDX-License-Identifier: Apache-2.0

package dhcpunit

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// On a new path the first question is whether the network is still the same, asked of
// the IPv4 default router the way RFC 4436 (Detecting Network Attachment in IPv4)
// does: an ARP request for the router's address, unicast to the MAC the kernel last
// resolved it to. An answer from that MAC means the same network: the client is left
// alone, exactly as before the move (no exchange; a DHCP server that tells clients
// apart by MAC, as dnsmasq does for dhclient without a client identifier, would
// refuse the address to the bond's new MAC under fail_over_mac=active, lab 81). No
// answer within gatewayBound, or an answer from another MAC, means another network:
// the client verifies its lease (INIT-REBOOT, Confirm).

// gatewayBound is how long the router may take to answer: the time a move to another
// network costs before the client asks (three requests, 250 ms apart).
const (
	gatewayBound = time.Second
	gatewayRetry = 250 * time.Millisecond
)

// gateway is master's IPv4 default router as the kernel knows it before the move.
type gateway struct {
	ip  netip.Addr
	mac net.HardwareAddr
	src netip.Addr // our lease address, the ARP request's sender
}

func (g gateway) String() string {
	if g.mac == nil {
		return g.ip.String() + " (not yet resolved)"
	}
	return g.ip.String() + " at " + g.mac.String()
}

// neighbours remembers the MAC each neighbour of the master last resolved to,
// from the kernel's notifications: the kernel forgets them at the very moment that
// matters (a new MAC under fail_over_mac=active flushes the master's ARP entries, so
// does a carrier loss), the supervisor must not.
type neighbours struct {
	mu  sync.Mutex
	mac map[netip.Addr]net.HardwareAddr
}

func (n *neighbours) get(ip netip.Addr) net.HardwareAddr {
	if n == nil {
		return nil
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.mac[ip]
}

func (n *neighbours) note(ip net.IP, mac net.HardwareAddr, state int) {
	a, ok := netip.AddrFromSlice(ip)
	a = a.Unmap()
	if !ok || len(mac) != 6 || state&(netlink.NUD_INCOMPLETE|netlink.NUD_FAILED) != 0 {
		return
	}
	n.mu.Lock()
	n.mac[a] = bytes.Clone(mac)
	n.mu.Unlock()
}

// watchNeighbours follows master's neighbour entries (the IPv4 router's, and the
// IPv6 router's for ndisc.go) until ctx ends (deletions are not news: the last MAC
// stays). nil when the kernel refuses the subscription.
func watchNeighbours(ctx context.Context, h *netlink.Handle, index int) *neighbours {
	n := &neighbours{mac: map[netip.Addr]net.HardwareAddr{}}
	ch := make(chan netlink.NeighUpdate, 64)
	done := make(chan struct{})
	if err := netlink.NeighSubscribe(ch, done); err != nil {
		return nil
	}
	for _, fam := range []int{netlink.FAMILY_V4, netlink.FAMILY_V6} {
		if ns, err := h.NeighList(index, fam); err == nil {
			for _, e := range ns {
				n.note(e.IP, e.HardwareAddr, e.State)
			}
		}
	}
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case u, ok := <-ch:
				if !ok {
					return
				}
				if u.Type == unix.RTM_NEWNEIGH && u.LinkIndex == index && (u.Family == unix.AF_INET || u.Family == unix.AF_INET6) {
					n.note(u.IP, u.HardwareAddr, u.State)
				}
			}
		}
	}()
	return n
}

// defaultRouter is the router of link l's default route of family (the first whose
// router address accept takes); ok is false with none.
func defaultRouter(h *netlink.Handle, l netlink.Link, family int, accept func(net.IP) bool) (netip.Addr, bool) {
	rs, err := h.RouteList(l, family)
	if err != nil {
		return netip.Addr{}, false
	}
	for _, r := range rs {
		if (r.Dst == nil || r.Dst.IP.IsUnspecified()) && r.Gw != nil && accept(r.Gw) {
			ip, ok := netip.AddrFromSlice(r.Gw)
			return ip.Unmap(), ok
		}
	}
	return netip.Addr{}, false
}

// routerMAC is router's MAC from the kernel's neighbour entry on link l (a resolved
// one), else the last one known (nil when neither); err is the neighbour list's.
func routerMAC(h *netlink.Handle, l netlink.Link, family int, router netip.Addr, known *neighbours) (net.HardwareAddr, error) {
	ns, err := h.NeighList(l.Attrs().Index, family)
	var mac net.HardwareAddr
	for _, n := range ns {
		if ip, ok := netip.AddrFromSlice(n.IP); ok && ip.Unmap() == router && len(n.HardwareAddr) == 6 &&
			n.State&(netlink.NUD_INCOMPLETE|netlink.NUD_FAILED) == 0 {
			mac = n.HardwareAddr
		}
	}
	if mac == nil {
		mac = known.get(router)
	}
	return mac, err
}

// readGateway finds master's IPv4 default route's router, its MAC (the kernel's
// neighbour entry, or the last one known) and our address in its subnet; ok is false
// when any of them is missing.
func readGateway(h *netlink.Handle, master string, known *neighbours) (gateway, bool) {
	l, err := h.LinkByName(master)
	if err != nil {
		return gateway{}, false
	}
	var g gateway
	var ok bool
	if g.ip, ok = defaultRouter(h, l, netlink.FAMILY_V4, func(net.IP) bool { return true }); !ok {
		return gateway{}, false
	}
	if g.mac, err = routerMAC(h, l, netlink.FAMILY_V4, g.ip, known); err != nil {
		return gateway{}, false
	}
	// g.mac may still be nil: the router was not resolved yet (a path change seconds
	// after the lease). Then the probe asks by broadcast, and an answer from the
	// router's address counts: weaker than its MAC (another network may use the same
	// router address), but restarting the client there would cost the address at home
	// with a server that tells clients apart by MAC (CI run 20261207-130937, lab 04).
	as, err := h.AddrList(l, netlink.FAMILY_V4)
	if err != nil {
		return gateway{}, false
	}
	for _, a := range as {
		ip, _ := netip.AddrFromSlice(a.IP.To4())
		ones, _ := a.Mask.Size()
		if netip.PrefixFrom(ip, ones).Masked().Contains(g.ip) {
			g.src = ip
			break
		}
	}
	return g, g.src.IsValid()
}

// packetSocket is a raw packet socket for one EtherType (proto) on the link with
// index ifindex: the probes of gateway.go and ndisc.go send and hear their frames
// there, whatever the kernel's routing and neighbour state. Raw, so that the probe
// writes the Ethernet header itself: a datagram socket's header carries the
// master's MAC as its source, which is not always the MAC to send from (sourceMAC).
// The caller closes it.
func packetSocket(ifindex int, proto uint16, what string) (int, error) {
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, int(htons(proto)))
	if err != nil {
		return -1, fmt.Errorf("%s: %w", what, err)
	}
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(proto), Ifindex: ifindex}); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("%s: bind: %w", what, err)
	}
	return fd, nil
}

// sameGateway reports whether g answers, from its MAC, an ARP request sent on the
// link with index ifindex from mac (sourceMAC). An error means it could not ask.
func sameGateway(ifindex int, mac net.HardwareAddr, g gateway, bound time.Duration) (bool, error) {
	fd, err := packetSocket(ifindex, unix.ETH_P_ARP, "ARP socket")
	if err != nil {
		return false, err
	}
	defer unix.Close(fd)
	to := &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ARP), Ifindex: ifindex, Halen: 6}
	copy(to.Addr[:], g.mac)
	if g.mac == nil {
		copy(to.Addr[:], []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	}
	req := ethernetFrame(to.Addr[:6], mac, unix.ETH_P_ARP, arpRequest(mac, g.src, g.ip))
	return probe(fd, req, to, bound, func(b []byte, _ *unix.SockaddrLinklayer) (bool, bool) {
		sha, spa, ok := arpReply(b)
		if !ok || spa != g.ip {
			return false, false
		}
		// From another MAC: the address answers on another network.
		return true, g.mac == nil || bytes.Equal(sha, g.mac)
	}, fmt.Sprintf("ARP request to %s", g))
}

// ethernetFrame is payload behind an Ethernet header from src to dst.
func ethernetFrame(dst, src net.HardwareAddr, proto uint16, payload []byte) []byte {
	b := make([]byte, ethHeaderLen, ethHeaderLen+len(payload))
	copy(b[0:6], dst)
	copy(b[6:12], src)
	binary.BigEndian.PutUint16(b[12:], proto)
	return append(b, payload...)
}

const ethHeaderLen = 14

// probe sends the frame req to `to` on the raw packet socket fd every gatewayRetry
// until answer accepts a packet (answered) or bound has passed (false); answer's
// second result is the probe's. answer gets the packet without its Ethernet header.
func probe(fd int, req []byte, to *unix.SockaddrLinklayer, bound time.Duration,
	answer func([]byte, *unix.SockaddrLinklayer) (answered, same bool), what string) (bool, error) {
	deadline := time.Now().Add(bound)
	buf := make([]byte, 1500)
	for next := time.Now(); ; {
		now := time.Now()
		if !now.Before(deadline) {
			return false, nil
		}
		if !now.Before(next) {
			if err := unix.Sendto(fd, req, 0, to); err != nil {
				return false, fmt.Errorf("%s: %w", what, err)
			}
			next = now.Add(gatewayRetry)
		}
		until := next
		if deadline.Before(until) {
			until = deadline
		}
		wait := until.Sub(now)
		tv := unix.NsecToTimeval(max(wait, time.Millisecond).Nanoseconds())
		if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
			return false, fmt.Errorf("%s: %w", what, err)
		}
		n, from, err := unix.Recvfrom(fd, buf, 0)
		if err != nil {
			if err == unix.EAGAIN || err == unix.EINTR {
				continue
			}
			return false, fmt.Errorf("%s: answer: %w", what, err)
		}
		ll, _ := from.(*unix.SockaddrLinklayer)
		if ll == nil || n < ethHeaderLen {
			continue
		}
		if answered, same := answer(buf[ethHeaderLen:n], ll); answered {
			return same, nil
		}
	}
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// arpRequest is an Ethernet/IPv4 ARP request (RFC 826) for tpa from sha/spa.
func arpRequest(sha net.HardwareAddr, spa, tpa netip.Addr) []byte {
	b := make([]byte, 28)
	binary.BigEndian.PutUint16(b[0:], 1)      // hardware: Ethernet
	binary.BigEndian.PutUint16(b[2:], 0x0800) // protocol: IPv4
	b[4], b[5] = 6, 4
	binary.BigEndian.PutUint16(b[6:], 1) // request
	copy(b[8:14], sha)
	s := spa.As4()
	copy(b[14:18], s[:])
	t := tpa.As4()
	copy(b[24:28], t[:])
	return b
}

// arpReply parses an Ethernet/IPv4 ARP reply: the sender's MAC and address.
func arpReply(b []byte) (net.HardwareAddr, netip.Addr, bool) {
	if len(b) < 28 || binary.BigEndian.Uint16(b[0:]) != 1 || binary.BigEndian.Uint16(b[2:]) != 0x0800 ||
		b[4] != 6 || b[5] != 4 || binary.BigEndian.Uint16(b[6:]) != 2 {
		return nil, netip.Addr{}, false
	}
	spa := netip.AddrFrom4([4]byte(b[14:18]))
	return net.HardwareAddr(bytes.Clone(b[8:14])), spa, true
}
