// SPDX-License-Identifier: Apache-2.0

// Package online owns the answer to "is the network up?" that the rest of the system
// asks through network-online.target: what systemd-networkd-wait-online is for
// networkd. bond-wait-online.service (`bond-up --wait-online`), ordered before that
// target and pulled in only when something wants it, waits until each enabled master
// has an active slave and an address, or until its timeout: then it fails, and the
// target is reached anyway (it only Wants the unit), so a boot with no NIC is never
// held past the timeout.
package online

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Status is what one master shows of being online.
type Status struct {
	Master string
	Exists bool
	// Active is the active slave of a bond (a port with carrier for a bridge): a
	// master with link.
	Active string
	// Addr is a usable address: global scope, past duplicate address detection.
	Addr string
}

// Online reports whether the master has link and an address.
func (s Status) Online() bool { return s.Exists && s.Active != "" && s.Addr != "" }

// Missing says what the master still lacks.
func (s Status) Missing() string {
	switch {
	case !s.Exists:
		return s.Master + " does not exist"
	case s.Active == "":
		return s.Master + " has no active slave"
	case s.Addr == "":
		return s.Master + " (active slave " + s.Active + ") has no address yet"
	}
	return ""
}

// Reader reads one master's status.
type Reader func(master string) Status

// ErrTimeout marks a wait that ended without every master online.
var ErrTimeout = errors.New("not online")

// Wait returns nil once every master is online, and ErrTimeout (naming what is
// missing) after timeout. It reads again on each signal from changes (netlink
// notifications of links and addresses) and, as a safety net for a lost
// notification, every poll.
func Wait(ctx context.Context, masters []string, timeout, poll time.Duration, read Reader, changes <-chan struct{}) ([]Status, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(poll)
	defer tick.Stop()
	for {
		sts := make([]Status, 0, len(masters))
		var missing []string
		for _, m := range masters {
			s := read(m)
			sts = append(sts, s)
			if !s.Online() {
				missing = append(missing, s.Missing())
			}
		}
		if len(missing) == 0 {
			return sts, nil
		}
		select {
		case <-ctx.Done():
			return sts, fmt.Errorf("%w: %s", context.Cause(ctx), strings.Join(missing, "; "))
		case <-deadline.C:
			return sts, fmt.Errorf("%w after %v: %s", ErrTimeout, timeout, strings.Join(missing, "; "))
		case <-changes:
		case <-tick.C:
		}
	}
}

// Netlink reads a master's status through h.
func Netlink(h *netlink.Handle) Reader {
	return func(master string) Status {
		s := Status{Master: master}
		l, err := h.LinkByName(master)
		if err != nil {
			return s
		}
		s.Exists = true
		carrier := l.Attrs().RawFlags&unix.IFF_LOWER_UP != 0 && l.Attrs().Flags&net.FlagUp != 0
		if b, ok := l.(*netlink.Bond); ok {
			if b.ActiveSlave > 0 && carrier {
				if al, err := h.LinkByIndex(b.ActiveSlave); err == nil {
					s.Active = al.Attrs().Name
				}
			}
		} else if carrier {
			// A bridge: a port with carrier (a bridge with no port may show
			// carrier, with nobody to talk to).
			if all, err := h.LinkList(); err == nil {
				for _, p := range all {
					a := p.Attrs()
					if a.MasterIndex == l.Attrs().Index && a.RawFlags&unix.IFF_LOWER_UP != 0 && a.Flags&net.FlagUp != 0 {
						s.Active = a.Name
						break
					}
				}
			}
		}
		addrs, err := h.AddrList(l, netlink.FAMILY_ALL)
		if err != nil {
			return s
		}
		s.Addr = usable(addrs)
		return s
	}
}

// usable returns the first address another host can reach: global scope, not
// tentative or failed (DAD), IPv4 first.
func usable(addrs []netlink.Addr) string {
	var out []string
	for _, a := range addrs {
		if a.Scope != int(netlink.SCOPE_UNIVERSE) || a.Flags&(unix.IFA_F_TENTATIVE|unix.IFA_F_DADFAILED) != 0 {
			continue
		}
		p, ok := netip.AddrFromSlice(a.IP)
		if !ok || p.Unmap().IsLinkLocalUnicast() {
			continue
		}
		out = append(out, p.Unmap().String())
	}
	slices.SortStableFunc(out, func(a, b string) int {
		return boolInt(strings.Contains(a, ":")) - boolInt(strings.Contains(b, ":"))
	})
	if len(out) == 0 {
		return ""
	}
	return out[0]
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Changes relays netlink link and address notifications as wake-ups (coalesced: a
// pending one is enough). Closing done ends the subscriptions.
func Changes(done <-chan struct{}) (<-chan struct{}, error) {
	out := make(chan struct{}, 1)
	links := make(chan netlink.LinkUpdate, 64)
	addrs := make(chan netlink.AddrUpdate, 64)
	if err := netlink.LinkSubscribeWithOptions(links, done, netlink.LinkSubscribeOptions{}); err != nil {
		return nil, fmt.Errorf("subscribe to link changes: %w", err)
	}
	if err := netlink.AddrSubscribeWithOptions(addrs, done, netlink.AddrSubscribeOptions{}); err != nil {
		return nil, fmt.Errorf("subscribe to address changes: %w", err)
	}
	poke := func() {
		select {
		case out <- struct{}{}:
		default:
		}
	}
	go func() {
		for {
			select {
			case _, ok := <-links:
				if !ok {
					links = nil
				}
				poke()
			case _, ok := <-addrs:
				if !ok {
					addrs = nil
				}
				poke()
			case <-done:
				return
			}
			if links == nil && addrs == nil {
				return
			}
		}
	}()
	return out, nil
}
