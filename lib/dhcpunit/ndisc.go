// SPDX-License-Identifier: Apache-2.0

package dhcpunit

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// IPv6 after a move (docs/ROAMING.md). Two things the kernel does not do by itself
// when the bond's carrier does not drop through the move (fail_over_mac=active and a
// backup slave), nor reliably when it does (its router solicitation leaves while a
// Wi-Fi slave is still dormant, before wpa_supplicant set the keys, and is lost):
//
//   - ask the new network's router for its advertisement: a Router Solicitation
//     (RFC 4861 6.3.7) sent on the master. The kernel learns the default route,
//     the on-link prefixes and SLAAC addresses from the answer as from any
//     advertisement; without it they wait for the next unsolicited one (dnsmasq:
//     up to 600 s, RFC 4861's MaxRtrAdvInterval default).
//   - forget the old network's: its default route stays until the router
//     lifetime ends (1800 s by default), and the kernel prefers neither router
//     while neither is known unreachable (CONFIG_IPV6_ROUTER_PREF), so packets
//     go to the router left behind; its on-link prefix route sends the old
//     prefix's traffic to a link where it no longer is, for the prefix's valid
//     lifetime (days); its SLAAC addresses stay as sources.
//
// And with no IPv4 router to ask (DHCPv6 alone), the same-network question goes to
// the IPv6 default router, the way RFC 6059 (DNAv6) does: a Neighbor Solicitation
// unicast to the MAC it had, for its link-local address.

// gateway6 is master's IPv6 default router as the kernel knows it before the move.
type gateway6 struct {
	ip  netip.Addr // its link-local address
	mac net.HardwareAddr
	src netip.Addr // our link-local address, the solicitation's source
}

func (g gateway6) String() string {
	if g.mac == nil {
		return g.ip.String() + " (not yet resolved)"
	}
	return g.ip.String() + " at " + g.mac.String()
}

// readGateway6 finds master's IPv6 default router (a link-local next hop), its MAC
// (the kernel's neighbour entry, or the last one known) and our link-local address;
// ok is false when the router or our address is missing.
func readGateway6(h *netlink.Handle, master string, known *neighbours) (gateway6, bool) {
	l, err := h.LinkByName(master)
	if err != nil {
		return gateway6{}, false
	}
	var g gateway6
	var ok bool
	if g.ip, ok = defaultRouter(h, l, netlink.FAMILY_V6, net.IP.IsLinkLocalUnicast); !ok {
		return gateway6{}, false
	}
	// Without the kernel's neighbour list the last MAC known still serves.
	g.mac, _ = routerMAC(h, l, netlink.FAMILY_V6, g.ip, known)
	as, err := h.AddrList(l, netlink.FAMILY_V6)
	if err != nil {
		return gateway6{}, false
	}
	for _, a := range as {
		if a.IP.IsLinkLocalUnicast() && a.Flags&(unix.IFA_F_TENTATIVE|unix.IFA_F_DADFAILED) == 0 {
			g.src, _ = netip.AddrFromSlice(a.IP.To16())
			break
		}
	}
	return g, g.src.IsValid()
}

// sameGateway6 reports whether g answers, from its MAC, a Neighbor Solicitation for
// its address sent on the link with index ifindex from mac (sourceMAC). With no
// MAC known the solicitation goes to the address's solicited-node multicast group,
// and an answer for the address counts (as gateway.go's broadcast ARP request).
func sameGateway6(ifindex int, mac net.HardwareAddr, g gateway6, bound time.Duration) (bool, error) {
	fd, err := packetSocket(ifindex, unix.ETH_P_IPV6, "IPv6 packet socket")
	if err != nil {
		return false, err
	}
	defer unix.Close(fd)
	dst := g.ip
	to := &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_IPV6), Ifindex: ifindex, Halen: 6}
	copy(to.Addr[:], g.mac)
	if g.mac == nil {
		t := g.ip.As16()
		dst = netip.AddrFrom16([16]byte{0xff, 0x02, 11: 1, 12: 0xff, 13: t[13], 14: t[14], 15: t[15]})
		copy(to.Addr[:], []byte{0x33, 0x33, 0xff, t[13], t[14], t[15]})
	}
	req := ethernetFrame(to.Addr[:6], mac, unix.ETH_P_IPV6, neighborSolicitation(mac, g.src, dst, g.ip))
	return probe(fd, req, to, bound, func(b []byte, from *unix.SockaddrLinklayer) (bool, bool) {
		target, ok := neighborAdvertisement(b)
		if !ok || target != g.ip || from.Pkttype == unix.PACKET_OUTGOING {
			return false, false
		}
		return true, g.mac == nil || bytes.Equal(from.Addr[:6], g.mac)
	}, fmt.Sprintf("neighbour solicitation to %s", g))
}

// neighborSolicitation is an IPv6 packet (header included: the packet socket sends
// it as it is) carrying a Neighbor Solicitation (RFC 4861 4.3) for target from src
// to dst, with our MAC as its source link-layer address option.
func neighborSolicitation(mac net.HardwareAddr, src, dst, target netip.Addr) []byte {
	const icmpLen = 24 + 8
	b := make([]byte, 40+icmpLen)
	b[0] = 0x60
	binary.BigEndian.PutUint16(b[4:], icmpLen)
	b[6] = unix.IPPROTO_ICMPV6
	b[7] = 255 // RFC 4861: a receiver drops neighbour discovery with any other hop limit
	s, d, t := src.As16(), dst.As16(), target.As16()
	copy(b[8:24], s[:])
	copy(b[24:40], d[:])
	m := b[40:]
	m[0] = 135 // Neighbor Solicitation
	copy(m[8:24], t[:])
	m[24], m[25] = 1, 1 // source link-layer address, 8 bytes
	copy(m[26:32], mac)
	binary.BigEndian.PutUint16(m[2:], icmp6Checksum(s, d, m))
	return b
}

// icmp6Checksum is the ICMPv6 checksum of m (its checksum field zero) between src
// and dst (RFC 4443 2.3: over the IPv6 pseudo-header).
func icmp6Checksum(src, dst [16]byte, m []byte) uint16 {
	var sum uint32
	add := func(b []byte) {
		for i := 0; i+1 < len(b); i += 2 {
			sum += uint32(binary.BigEndian.Uint16(b[i:]))
		}
		if len(b)%2 == 1 {
			sum += uint32(b[len(b)-1]) << 8
		}
	}
	add(src[:])
	add(dst[:])
	var pseudo [8]byte
	binary.BigEndian.PutUint32(pseudo[0:], uint32(len(m)))
	pseudo[7] = unix.IPPROTO_ICMPV6
	add(pseudo[:])
	add(m)
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}

// neighborAdvertisement parses an IPv6 packet carrying a Neighbor Advertisement
// (no extension headers: neighbour discovery has none) and returns its target.
func neighborAdvertisement(b []byte) (netip.Addr, bool) {
	if len(b) < 40+24 || b[0]>>4 != 6 || b[6] != unix.IPPROTO_ICMPV6 || b[7] != 255 || b[40] != 136 {
		return netip.Addr{}, false
	}
	return netip.AddrFrom16([16]byte(b[48:64])), true
}

// solicitRouters sends a Router Solicitation (RFC 4861 4.1) on the link with index
// ifindex, from its link-local address (the kernel's choice for a link-local
// multicast destination) with mac as the source link-layer address: the routers
// answer with an advertisement the kernel takes in as any other.
func solicitRouters(ifindex int, mac net.HardwareAddr) error {
	fd, err := unix.Socket(unix.AF_INET6, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_ICMPV6)
	if err != nil {
		return fmt.Errorf("ICMPv6 socket: %w", err)
	}
	defer unix.Close(fd)
	// Nothing is read from it: let no ICMPv6 message queue up on it meanwhile.
	var none [8]uint32
	for i := range none {
		none[i] = ^uint32(0)
	}
	_ = unix.SetsockoptString(fd, unix.IPPROTO_ICMPV6, unix.ICMPV6_FILTER, string(filterBytes(none[:])))
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_HOPS, 255); err != nil {
		return fmt.Errorf("ICMPv6 socket: hop limit: %w", err)
	}
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_IF, ifindex); err != nil {
		return fmt.Errorf("ICMPv6 socket: interface: %w", err)
	}
	rs := make([]byte, 8+8)
	rs[0] = 133         // Router Solicitation; the kernel fills in the checksum
	rs[8], rs[9] = 1, 1 // source link-layer address, 8 bytes
	copy(rs[10:16], mac)
	to := &unix.SockaddrInet6{ZoneId: uint32(ifindex), Addr: [16]byte{0xff, 0x02, 15: 2}}
	if err := unix.Sendto(fd, rs, 0, to); err != nil {
		return fmt.Errorf("router solicitation: %w", err)
	}
	return nil
}

// filterBytes is the ICMPv6 filter's bytes (eight host-order words: a set bit blocks
// the type).
func filterBytes(w []uint32) []byte {
	b := make([]byte, 4*len(w))
	for i, v := range w {
		binary.NativeEndian.PutUint32(b[4*i:], v)
	}
	return b
}

// raState is what the kernel learnt from the routers' advertisements on the master:
// default routes (proto ra), on-link prefix routes and SLAAC addresses.
type raState struct {
	routes []netlink.Route
	addrs  []netlink.Addr
}

func (s raState) String() string {
	var out []string
	for _, r := range s.routes {
		if r.Dst == nil || r.Dst.IP.IsUnspecified() {
			out = append(out, "default via "+r.Gw.String())
		} else {
			out = append(out, "prefix "+r.Dst.String())
		}
	}
	for _, a := range s.addrs {
		out = append(out, "address "+a.IPNet.String())
	}
	return strings.Join(out, ", ")
}

// readRAState reads the master's state from advertisements. On-link prefix routes
// are told from the others by what they are: a route the kernel made (proto kernel)
// for a prefix shorter than /128, not link-local, and not the prefix route of one of
// the master's permanent (static) addresses; an address from SLAAC is a dynamic
// one with such a prefix. A DHCPv6 lease is a /128 (dhcp6c's even permanent, with
// no lifetime): its client's business.
func readRAState(h *netlink.Handle, link netlink.Link) (raState, error) {
	rs, err := h.RouteList(link, netlink.FAMILY_V6)
	if err != nil {
		return raState{}, fmt.Errorf("IPv6 routes of %s: %w", link.Attrs().Name, err)
	}
	as, err := h.AddrList(link, netlink.FAMILY_V6)
	if err != nil {
		return raState{}, fmt.Errorf("IPv6 addresses of %s: %w", link.Attrs().Name, err)
	}
	var st raState
	for _, r := range rs {
		switch {
		case r.Protocol == unix.RTPROT_RA:
			st.routes = append(st.routes, r)
		case r.Protocol == unix.RTPROT_KERNEL && r.Dst != nil && !r.Dst.IP.IsLinkLocalUnicast() &&
			onesOf(r.Dst) < 128 && !holdsStatic(r.Dst, as):
			st.routes = append(st.routes, r)
			for _, a := range as {
				if a.Flags&unix.IFA_F_PERMANENT == 0 && onesOf(a.IPNet) == onesOf(r.Dst) && r.Dst.Contains(a.IP) {
					st.addrs = append(st.addrs, a)
				}
			}
		}
	}
	return st, nil
}

func onesOf(n *net.IPNet) int {
	ones, _ := n.Mask.Size()
	return ones
}

func holdsStatic(p *net.IPNet, as []netlink.Addr) bool {
	for _, a := range as {
		if a.Flags&unix.IFA_F_PERMANENT != 0 && onesOf(a.IPNet) == onesOf(p) && p.Contains(a.IP) {
			return true
		}
	}
	return false
}

// dropRAState removes st (the old network's, read before the move) from link;
// what is already gone is no error. It returns what it removed.
func dropRAState(h *netlink.Handle, link netlink.Link, st raState) (raState, error) {
	var done raState
	var errs []string
	for _, a := range st.addrs {
		if err := h.AddrDel(link, &a); err != nil && err != unix.EADDRNOTAVAIL {
			errs = append(errs, fmt.Sprintf("address %s: %v", a.IPNet, err))
			continue
		}
		done.addrs = append(done.addrs, a)
	}
	for _, r := range st.routes {
		if err := h.RouteDel(&r); err != nil && err != unix.ESRCH {
			errs = append(errs, fmt.Sprintf("route %v: %v", r.Dst, err))
			continue
		}
		done.routes = append(done.routes, r)
	}
	if len(errs) > 0 {
		return done, fmt.Errorf("removing the old network's IPv6 state from %s: %s", link.Attrs().Name, strings.Join(errs, "; "))
	}
	return done, nil
}

// kernelTakesRA reports whether the kernel learns from router advertisements on
// master (its accept_ra is not 0; the file is read in the caller's network
// namespace). A master it cannot read is taken as the kernel's default, on.
func kernelTakesRA(master string) bool {
	b, err := os.ReadFile("/proc/sys/net/ipv6/conf/" + master + "/accept_ra")
	return err != nil || strings.TrimSpace(string(b)) != "0"
}
