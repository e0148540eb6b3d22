// SPDX-License-Identifier: Apache-2.0

package dhcpunit

import (
	"context"
	"time"

	"github.com/bond-hotplug/bond-hotplug/lib/netdev"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// The DHCP clients start once what they depend on has settled, so that the first
// exchange is the one that counts (issue 10): a DHCPv4 client that starts with a MAC
// the bond is about to drop is answered at the old MAC and must be restarted; dhcp6c
// that starts before the link-local address has passed duplicate address detection
// fails its first Solicit ("transmit failed: Cannot assign requested address") and
// waits out its own back-off.
const (
	// settleMACBound bounds the wait for the bond's MAC: the driver copies it in the
	// same operation that makes a slave active, so this only covers a driver that
	// does not; the client then starts and the restart on a MAC change stays the
	// safety net.
	settleMACBound = 3 * time.Second
	// linkLocalBound bounds the wait for a usable IPv6 link-local address (DAD takes
	// about one second; an interface with IPv6 disabled never gets one).
	linkLocalBound = 10 * time.Second
	// settlePoll re-reads the state between notifications.
	settlePoll = 100 * time.Millisecond
)

// macSettled reports whether master's MAC is the one that will carry traffic: with
// fail_over_mac=active the bond takes the active slave's MAC, a moment after the
// slave became active. Other settings (none, follow) and bridges keep the master's
// MAC, so it has settled once the master carries traffic.
func macSettled(r netdev.Source, master string) (bool, string) {
	s, err := r.Links()
	if err != nil {
		return false, ""
	}
	m, ok := s.Get(master)
	if !ok {
		return false, ""
	}
	if m.Kind != "bond" {
		return true, m.MAC
	}
	b, err := r.Bond(master)
	if err != nil || b.FailOverMAC != "active" {
		return err == nil, m.MAC
	}
	sl, ok := s.Get(b.ActiveSlave)
	return ok && sl.MAC == m.MAC, m.MAC
}

// waitMAC returns once macSettled holds, or after settleMACBound (logged).
func (e *Env) waitMAC(ctx context.Context, r netdev.Source, master string, updates <-chan netlink.LinkUpdate) {
	start := time.Now()
	tick := time.NewTicker(settlePoll)
	defer tick.Stop()
	for {
		ok, mac := macSettled(r, master)
		if ok {
			if d := time.Since(start); d > settlePoll {
				e.Log.Info("%s: MAC settled at %s after %.2f s", master, mac, d.Seconds())
			}
			return
		}
		if time.Since(start) > settleMACBound {
			e.Log.Info("%s: MAC %s still differs from the active slave's after %.0f s: starting the client anyway", master, mac, settleMACBound.Seconds())
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-updates:
		case <-tick.C:
		}
	}
}

// usableLinkLocal reports whether master has an IPv6 link-local address a client can
// send from: one that has passed duplicate address detection, or an optimistic one
// (RFC 4429: the kernel lets it be used while DAD runs; masters we create get
// optimistic_dad, see netdev.Writer), never one whose DAD failed.
func usableLinkLocal(h *netlink.Handle, master string) bool {
	l, err := h.LinkByName(master)
	if err != nil {
		return false
	}
	as, err := h.AddrList(l, netlink.FAMILY_V6)
	if err != nil {
		return false
	}
	for _, a := range as {
		if a.IP.IsLinkLocalUnicast() && usableFlags(a.Flags) {
			return true
		}
	}
	return false
}

// usableFlags: a tentative address cannot be bound or sent from, unless it is also
// optimistic (the kernel sets both while an optimistic address is in DAD).
func usableFlags(f int) bool {
	switch {
	case f&unix.IFA_F_DADFAILED != 0:
		return false
	case f&unix.IFA_F_TENTATIVE != 0:
		return f&unix.IFA_F_OPTIMISTIC != 0
	}
	return true
}

// waitLinkLocal returns once master has a usable link-local address, or after
// linkLocalBound (logged): on address notifications, with a poll for a missed one.
func (e *Env) waitLinkLocal(ctx context.Context, h *netlink.Handle, master string) {
	start := time.Now()
	updates := make(chan netlink.AddrUpdate, 64)
	done := make(chan struct{})
	defer close(done)
	if err := netlink.AddrSubscribeWithOptions(updates, done, netlink.AddrSubscribeOptions{}); err != nil {
		updates = nil // the poll alone
	}
	tick := time.NewTicker(settlePoll)
	defer tick.Stop()
	for {
		if usableLinkLocal(h, master) {
			e.Log.Info("%s: IPv6 link-local address usable after %.2f s", master, time.Since(start).Seconds())
			return
		}
		if time.Since(start) > linkLocalBound {
			e.Log.Info("%s: no usable IPv6 link-local address after %.0f s: starting the client anyway", master, linkLocalBound.Seconds())
			return
		}
		select {
		case <-ctx.Done():
			return
		case _, ok := <-updates:
			if !ok {
				updates = nil
			}
		case <-tick.C:
		}
	}
}
