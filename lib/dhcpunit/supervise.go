// SPDX-License-Identifier: Apache-2.0

package dhcpunit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/bond-hotplug/bond-hotplug/lib/config"
	"github.com/bond-hotplug/bond-hotplug/lib/netdev"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Supervise is the main process of the DHCP units. It waits until master has an
// active slave with carrier, then runs the client (argv). With restartOnMAC (DHCPv4)
// it restarts the client when the master's MAC changes before the client holds a
// lease: with fail_over_mac=active the bond takes the MAC of whichever slave becomes
// active, and a client that started with the old MAC keeps asking with it and never
// hears the answer (the seed's problem). Once a lease is held, a MAC change is left to
// the client (it renews with the new MAC by itself), but a new path (roam.go: another
// active slave, or another association of it) has the client verify its lease.
func (e *Env) Supervise(ctx context.Context, master string, argv []string, restartOnMAC bool) error {
	if err := config.CheckName(master); err != nil {
		return usagef("supervising %q: %v", master, err)
	}
	if len(argv) == 0 || !filepath.IsAbs(argv[0]) {
		return usagef("supervising %s needs an absolute command after --", master)
	}
	// However it ends, nothing of its client's DNS stays behind (dns.go).
	defer e.dnsTeardown(master, restartOnMAC)
	// The unit's ExecStop (--release) sends SIGUSR1 before it releases the lease;
	// caught from the start, so that it never ends this process (Go's default).
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	defer signal.Stop(usr1)
	h, err := e.handle()
	if err != nil {
		return err
	}
	r := &netdev.Reader{H: h, Sys: e.Sys}
	w, err := watchLinks(e.Log, e.rcvBuf())
	if err != nil {
		return err
	}
	defer w.Stop()
	updates := w.C
	if err := e.waitActive(ctx, r, master, updates); err != nil {
		if ctx.Err() != nil {
			return nil // stopped while waiting: nothing was started, nothing to release
		}
		return err
	}
	// Then what the client's first exchange depends on (settle.go): DHCPv4 the MAC,
	// DHCPv6 a usable link-local address.
	if restartOnMAC {
		e.waitMAC(ctx, r, master, updates)
	} else {
		e.waitLinkLocal(ctx, h, master)
	}
	if ctx.Err() != nil {
		return nil
	}
	mac := ""
	if restartOnMAC {
		if l, err := h.LinkByName(master); err == nil {
			mac = l.Attrs().HardwareAddr.String()
		}
	}
	// DHCPv4: a lease address that vanishes while the client runs (the kernel deleted
	// it with a static primary of its subnet when promote_secondaries is off, or
	// someone ran `ip addr flush`) is noticed at once; the client would otherwise not
	// notice before its renewal, minutes later. Not while the unit stops: the
	// release (ExecStop) deletes it on purpose, and tells us first (SIGUSR1).
	s := &session{
		master: master, mac: mac, restartOnMAC: restartOnMAC,
		mode:  verifyModeFor(argv[0]),
		paths: &pathWatch{sys: e.sysRoot(), master: master},
	}
	if l, err := h.LinkByName(master); err == nil {
		s.index = l.Attrs().Index
	}
	s.paths.moved() // the path the client starts on
	if s.mode != verifyNone && s.index != 0 {
		s.neigh = watchNeighbours(ctx, h, s.index)
	}
	var lost <-chan struct{}
	if restartOnMAC {
		lost = e.watchLease(ctx, h, r, master, usr1, &s.quietUntil)
	} else if s.mode == verifyByIPv4 {
		s.newV4 = e.watchNewLeases4(ctx, h, master)
		s.v4Known = leaseSubnets(addrInfos(r, master))
	}
	restarts := 0
	for {
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("start %s: %w", argv[0], err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		restart, why, err := e.watchMAC(ctx, r, s, updates, lost, exited, cmd)
		if !restart {
			return err
		}
		if s.verifying {
			// Not a lost first exchange: not counted with those (the lab's
			// benchmark counts "client restart #").
			e.Log.Info("%s: client started again to verify its lease (%s)", master, why)
			continue
		}
		// Counted, so that the journal shows whether the first exchange was lost
		// (the lab's benchmark reads this line).
		restarts++
		e.Log.Info("%s: client restart #%d (%s)", master, restarts, why)
	}
}

// session is what the supervisor keeps across the client's restarts.
type session struct {
	master       string
	mac          string // the MAC the client started with; only watched with restartOnMAC
	restartOnMAC bool
	mode         verifyMode
	index        int // the master's ifindex (a new master is a new unit: BindsTo)
	paths        *pathWatch
	neigh        *neighbours // the routers' MACs as last resolved (gateway.go, ndisc.go)
	// verifying: the last restart was to verify the lease after a move.
	verifying bool
	// quietUntil (unix ns): until then a vanished DHCPv4 lease is the verifying
	// client's own doing (a DHCPNAK: the client removes the old network's address
	// and discovers), not a loss to restart it for.
	quietUntil atomic.Int64
	// verifyByIPv4: the subnets of the master's DHCPv4 leases when the path changed
	// (nil: no move pending), and the leases added since.
	pending []netip.Prefix
	newV4   <-chan netip.Prefix
	// v4Known: the subnets of the master's DHCPv4 leases, as last seen.
	v4Known []netip.Prefix
}

// verifyQuiet bounds how long a verifying client may take to replace a refused lease.
const verifyQuiet = 30 * time.Second

// leaseGrace is how long a vanished lease may stay away before the client is
// restarted: a client that replaces its own address (a new lease) deletes the old
// one first.
const leaseGrace = time.Second

// watchLease reports (on the returned channel) each time master's last DHCPv4 lease
// address vanished and did not come back within leaseGrace. SIGUSR1 (sent by the
// unit's ExecStop, bond-hotplug --release) turns it off for good.
func (e *Env) watchLease(ctx context.Context, h *netlink.Handle, r netdev.Source, master string, usr1 <-chan os.Signal, quietUntil *atomic.Int64) <-chan struct{} {
	out := make(chan struct{}, 1)
	ch := make(chan netlink.AddrUpdate, 64)
	done := make(chan struct{})
	if err := netlink.AddrSubscribeWithOptions(ch, done, netlink.AddrSubscribeOptions{}); err != nil {
		e.Log.Warn("%s: cannot watch addresses (%v): a lease deleted by someone else is noticed only by the client", master, err)
		return out
	}
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case <-usr1:
				e.Log.Info("%s: release requested: no longer watching the lease", master)
				return
			case u, ok := <-ch:
				if !ok {
					return
				}
				l, err := h.LinkByName(master)
				if err != nil || u.LinkIndex != l.Attrs().Index || u.LinkAddress.IP.To4() == nil ||
					u.ValidLft <= 0 || u.ValidLft == math.MaxUint32 {
					continue // not a lease (a static address, another link)
				}
				if u.NewAddr {
					quietUntil.Store(0) // a lease is bound again: losses count again
					continue
				}
				if time.Now().UnixNano() < quietUntil.Load() {
					continue // the verifying client replaces a refused lease
				}
				select {
				case <-ctx.Done():
					return
				case <-usr1:
					e.Log.Info("%s: release requested: no longer watching the lease", master)
					return
				case <-time.After(leaseGrace):
				}
				if hasLease4(r, master) {
					continue
				}
				e.Log.Warn("%s: the lease address %s vanished while the client runs", master, u.LinkAddress.String())
				select {
				case out <- struct{}{}:
				default:
				}
			}
		}
	}()
	return out
}

// watchMAC waits for the child to exit, the context to end, the MAC to change
// without a lease, or the master to move with a lease held (roam.go); it reports
// whether the client must be started again.
func (e *Env) watchMAC(ctx context.Context, r netdev.Source, s *session,
	updates <-chan netlink.LinkUpdate, lost <-chan struct{}, exited <-chan error, cmd *exec.Cmd) (bool, string, error) {
	master := s.master
	s.verifying = false
	for {
		select {
		case <-lost:
			// The client has it no more and would learn of it only at its renewal:
			// a new client reclaims it from its lease file at once.
			e.Log.Info("%s: restarting %s to apply its lease again", master, cmd.Path)
			_ = cmd.Process.Signal(syscall.SIGTERM)
			<-exited
			return true, "its lease address vanished", nil
		case err := <-exited:
			var ee *exec.ExitError
			if errors.As(err, &ee) && ee.Sys().(syscall.WaitStatus).Signal() == syscall.SIGTERM {
				return false, "", nil // stopped (dhclient -r from ExecStop): not a failure
			}
			if err != nil {
				return false, "", fmt.Errorf("%s: %w", cmd.Path, err)
			}
			return false, "", nil
		case <-ctx.Done():
			_ = cmd.Process.Signal(syscall.SIGTERM)
			<-exited
			return false, "", nil
		case a := <-s.newV4:
			known := s.v4Known
			s.v4Known = leaseSubnets(addrInfos(r, master))
			if len(s.v4Known) == 0 {
				s.v4Known = []netip.Prefix{a.Masked()}
			}
			if s.pending == nil {
				continue
			}
			if !elsewhere(a, s.pending) {
				if !elsewhere(a, known) {
					s.pending = nil // the lease was verified on the new path: same network
				}
				continue
			}
			why := fmt.Sprintf("moved: the DHCPv4 lease is now %s, outside %v", a, s.pending)
			s.pending = nil
			e.Log.Info("%s: %s: restarting %s (it releases the old network's lease)", master, why, cmd.Path)
			stopClient(cmd, exited)
			s.verifying = true
			return true, why, nil
		case u := <-updates:
			// The path first: a MAC change comes with a new active slave, and the
			// restart for it starts the client on the new path too. Read only for
			// news of the master or one of its slaves (a burst of other links'
			// events costs nothing here).
			var from, to path
			moved := false
			if isResync(u) || u.Attrs().Index == s.index || (s.index != 0 && u.Attrs().MasterIndex == s.index) {
				from, to, moved = s.paths.moved()
			}
			if s.restartOnMAC {
				now, ok := masterMAC(r, master, u)
				if ok && now != s.mac {
					was := s.mac
					s.mac = now
					if !hasLease4(r, master) {
						e.Log.Info("%s: MAC %s -> %s before a lease: restarting %s", master, was, now, cmd.Path)
						_ = cmd.Process.Signal(syscall.SIGTERM)
						<-exited
						return true, "the MAC changed before a lease", nil
					}
					e.Log.Info("%s: MAC %s -> %s with a lease held", master, was, now)
				}
			}
			if !moved {
				continue
			}
			why := fmt.Sprintf("%s now on %s, was %s", master, to, from)
			// What the old network's advertisements left, read before anyone
			// (this supervisor or the other family's) asks the new one's routers.
			ra := e.readRA(s)
			switch s.mode {
			case verifyRestart:
				held := hasLease4(r, master)
				if !s.restartOnMAC {
					held = hasLease6(r, master)
				}
				if !held {
					continue // the client's exchange in progress continues on the new path
				}
				same, known := e.sameNetwork(s, to, why)
				if same {
					continue
				}
				if e.pathLeft(s, to, why) {
					continue
				}
				e.refreshRA(s, ra, known)
				if client := filepath.Base(cmd.Path); known && !s.restartOnMAC && (client == "dhcpcd" || client == "dhclient") {
					// Another network for sure: the client's Confirm would get
					// NotOnLink and a new address, but neither removes the old one: a
					// new dhcpcd never removes what its --persistent predecessor left,
					// and dhclient-script removes an address only on EXPIRE6, RELEASE6
					// or STOP6, none of which a NotOnLink then a Solicit runs (lab 90,
					// run 20261207-145228-3556534902: home's /128 beside the café's,
					// an hour left).
					e.Log.Info("%s: %s: the old network's DHCPv6 addresses go, a new %s solicits", master, why, cmd.Path)
					e.releaseThenStop(cmd, exited, master, client == "dhclient")
					s.verifying = true
					return true, why, nil
				}
				e.Log.Info("%s: %s with a lease held: restarting %s to verify it", master, why, cmd.Path)
				if s.restartOnMAC {
					s.quietUntil.Store(time.Now().Add(verifyQuiet).UnixNano())
				}
				stopClient(cmd, exited)
				s.verifying = true
				return true, why, nil
			case verifyByIPv4:
				// dhcp6c's addresses have no lifetime (it keeps its own timers), so
				// no lease check. The routers first, as for the other clients (with
				// no IPv4 one known the IPv6 router, RFC 6059): another network for
				// sure restarts it now, whether or not DHCPv4 runs (and its lease
				// moves) on the master.
				s.pending = nil
				same, known := e.sameNetwork(s, to, why)
				if same || e.pathLeft(s, to, why) {
					continue
				}
				e.refreshRA(s, ra, known)
				if known {
					e.Log.Info("%s: %s: another network: restarting %s (it releases the old network's lease)", master, why, cmd.Path)
					stopClient(cmd, exited)
					s.verifying = true
					return true, why, nil
				}
				// No router to ask: the DHCPv4 lease tells, once it moves. Its
				// subnets as last seen, not read now: the DHCPv4 client may
				// already have removed the refused one.
				s.pending = s.v4Known
				if s.pending == nil {
					e.Log.Info("%s: %s: no router nor DHCPv4 lease to tell whether the network changed: %s keeps its lease until its renewal", master, why, cmd.Path)
					continue
				}
				e.Log.Info("%s: %s: %s is restarted if the DHCPv4 lease moves out of %v", master, why, cmd.Path, s.pending)
			}
		}
	}
}

// pathLeft tells whether the path the router probe was for went away while it
// waited (the soak, run 20261207-143709: the radio blocked 15 ms after the
// association): nothing could answer there, so the silence says nothing. The lease
// stays; the next path is probed when it comes.
func (e *Env) pathLeft(s *session, to path, why string) bool {
	if now, up := s.paths.current(); up && now == to {
		return false
	}
	e.Log.Info("%s: %s: the path changed during the router probe: no verdict, lease kept", s.master, why)
	return true
}

// sameNetwork asks master's IPv4 default router whether the network is the same
// (gateway.go), or with none known its IPv6 default router (ndisc.go); false when it
// cannot tell (no router known, no answer). known is true when a router was known
// and did not answer from its MAC.
func (e *Env) sameNetwork(s *session, to path, why string) (same, known bool) {
	master := s.master
	l, err := e.Handle.LinkByName(master)
	if err != nil {
		return false, false
	}
	mac := e.sourceMAC(l, to)
	var g fmt.Stringer
	var ask func() (bool, error)
	if g4, ok := readGateway(e.Handle, master, s.neigh); ok {
		g, ask = g4, func() (bool, error) { return sameGateway(l.Attrs().Index, mac, g4, gatewayBound) }
	} else if g6, ok := readGateway6(e.Handle, master, s.neigh); ok {
		g, ask = g6, func() (bool, error) { return sameGateway6(l.Attrs().Index, mac, g6, gatewayBound) }
	} else {
		return false, false
	}
	t := time.Now()
	same, err = ask()
	switch {
	case err != nil:
		e.Log.Warn("%s: %s: cannot ask the router %s (%v)", master, why, g, err)
	case same:
		e.Log.Info("%s: %s: the router %s answered in %.3f s: same network, lease kept", master, why, g, time.Since(t).Seconds())
	default:
		e.Log.Info("%s: %s: the router %s did not answer in %.1f s: another network", master, why, g, time.Since(t).Seconds())
	}
	return same, err == nil && !same
}

// sourceMAC is the MAC the router probe is sent from on path to. With
// fail_over_mac=active it is the new active slave's own: the bond takes that MAC,
// but the kernel announces the new active slave (which is when we probe) before it
// changes the bond's. A probe from the bond's MAC then left through the Wi-Fi card
// with the cable's MAC, which the access point drops: no answer, a verification, and
// the home server refused the INIT-REBOOT from the new MAC (soak 20261207-151956,
// cycles 296-300: the address lost on the same network). In the other modes the
// bond's MAC is the one in use: every slave carries it (none), or the kernel gives
// it to the new active slave (follow, where that slave's own MAC moves to the old
// one, and announcing it would misdirect the router's traffic). The bond's too when
// the slave cannot be read.
func (e *Env) sourceMAC(master netlink.Link, to path) net.HardwareAddr {
	own := master.Attrs().HardwareAddr
	b, err := os.ReadFile(filepath.Join(e.sysRoot(), "class/net", master.Attrs().Name, "bonding/fail_over_mac"))
	if err != nil || !strings.HasPrefix(string(b), "active") || to.index <= 0 {
		return own
	}
	sl, err := e.Handle.LinkByIndex(to.index)
	if err != nil || sl.Attrs().MasterIndex != master.Attrs().Index || len(sl.Attrs().HardwareAddr) != len(own) {
		return own
	}
	return sl.Attrs().HardwareAddr
}

// readRA reads what the routers' advertisements left on the master (ndisc.go); the
// zero state when it cannot be read (nothing is then removed).
func (e *Env) readRA(s *session) raState {
	l, err := e.Handle.LinkByName(s.master)
	if err != nil {
		return raState{}
	}
	st, err := readRAState(e.Handle, l)
	if err != nil {
		e.Log.Warn("%s: %v", s.master, err)
	}
	return st
}

// refreshRA has the kernel learn the new network's routers at once after a move
// (ndisc.go): with another network known (elsewhere), the old network's default
// routes, on-link prefixes and SLAAC addresses (old, read before the move) go first;
// then a router solicitation. With nothing known it only solicits: at home the
// answer changes nothing.
func (e *Env) refreshRA(s *session, old raState, elsewhere bool) {
	master := s.master
	l, err := e.Handle.LinkByName(master)
	if err != nil {
		return
	}
	if !kernelTakesRA(master) {
		// dhcpcd -6 does router discovery itself (it sets accept_ra to 0) and puts
		// back the routes someone else deletes (lab 82, run
		// 20261207-153010-4063781821: "pid 269 deleted route", then "adding
		// route" at its exit): its advertisements, its business.
		return
	}
	if elsewhere && (len(old.routes) > 0 || len(old.addrs) > 0) {
		done, err := dropRAState(e.Handle, l, old)
		if err != nil {
			e.Log.Warn("%s: %v", master, err)
		}
		if len(done.routes) > 0 || len(done.addrs) > 0 {
			e.Log.Info("%s: removed the old network's router advertisement state: %s", master, done)
		}
	}
	if as, err := e.Handle.AddrList(l, netlink.FAMILY_V6); err == nil && len(as) == 0 {
		return // IPv6 off on the master (disable_ipv6): nobody to ask, nothing to say
	}
	if err := solicitRouters(l.Attrs().Index, l.Attrs().HardwareAddr); err != nil {
		e.Log.Warn("%s: %v: the new network's IPv6 routes wait for its next advertisement", master, err)
		return
	}
	e.Log.Info("%s: router solicitation sent", master)
}

// releaseThenStop stops the DHCPv6 client and removes the old network's DHCPv6
// addresses (the master's global addresses with a lifetime: all from the network
// left) itself: `dhcpcd -6 -k` does not always reach the process (dhcpcd 9.4.1, lab
// 82: "waiting for pid ..." until killed), and --persistent leaves them at its exit.
// leasesOnly keeps to dhclient's /128 leases: with dhclient the kernel does SLAAC,
// and the new network's addresses (answers to the solicitation refreshRA just sent)
// must stay; dhcpcd runs router discovery itself (accept_ra 0).
func (e *Env) releaseThenStop(cmd *exec.Cmd, exited <-chan error, master string, leasesOnly bool) {
	stopClient(cmd, exited)
	h := e.Handle
	l, err := h.LinkByName(master)
	if err != nil {
		return
	}
	as, err := h.AddrList(l, netlink.FAMILY_V6)
	if err != nil {
		return
	}
	for _, a := range as {
		if a.IP.IsLinkLocalUnicast() || a.Flags&unix.IFA_F_PERMANENT != 0 {
			continue
		}
		if ones, _ := a.Mask.Size(); leasesOnly && ones != 128 {
			continue
		}
		if err := h.AddrDel(l, &a); err != nil {
			e.Log.Warn("%s: removing the old network's %s: %v", master, a.IPNet, err)
			continue
		}
		e.Log.Info("%s: removed the old network's %s", master, a.IPNet)
	}
}

// stopClient ends the client for a restart: SIGTERM, and SIGKILL if it has not
// exited within clientStopBound (dhcp6c retransmits its Release for ~20 s when no
// server answers it).
func stopClient(cmd *exec.Cmd, exited <-chan error) {
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(clientStopBound):
		_ = cmd.Process.Kill()
		<-exited
	}
}

const clientStopBound = 3 * time.Second

// masterMAC is the master's MAC after update u: from u when it is about the master,
// read again after a resync (updates were lost); ok is false for other links.
func masterMAC(r netdev.Source, master string, u netlink.LinkUpdate) (string, bool) {
	if !isResync(u) {
		if u.Attrs().Name != master {
			return "", false
		}
		return u.Attrs().HardwareAddr.String(), true
	}
	s, err := r.Links()
	if err != nil {
		return "", false
	}
	l, ok := s.Get(master)
	if !ok {
		return "", false // gone: systemd stops us (BindsTo), nothing to restart for
	}
	return l.MAC, true
}

// hasLease4 reports a dynamic (finite lifetime) IPv4 address on the master: a lease.
func hasLease4(r netdev.Source, master string) bool {
	as, err := r.Addrs(master)
	if err != nil {
		return false
	}
	for _, a := range as {
		if a.Dynamic && a.Prefix.Addr().Is4() {
			return true
		}
	}
	return false
}

// hasLease6 reports a dynamic (finite lifetime) IPv6 address on the master other than
// a link-local one: a DHCPv6 lease or an autoconfigured address.
func hasLease6(r netdev.Source, master string) bool {
	as, err := r.Addrs(master)
	if err != nil {
		return false
	}
	for _, a := range as {
		if a.Dynamic && a.Prefix.Addr().Is6() && !a.Prefix.Addr().IsLinkLocalUnicast() {
			return true
		}
	}
	return false
}

// addrInfos reads master's addresses for the move logic (nil when they cannot be read).
func addrInfos(r netdev.Source, master string) []addrInfo {
	as, err := r.Addrs(master)
	if err != nil {
		return nil
	}
	out := make([]addrInfo, 0, len(as))
	for _, a := range as {
		out = append(out, addrInfo{prefix: a.Prefix, dynamic: a.Dynamic})
	}
	return out
}

// watchNewLeases4 sends each DHCPv4 lease (a dynamic IPv4 address) added to master.
func (e *Env) watchNewLeases4(ctx context.Context, h *netlink.Handle, master string) <-chan netip.Prefix {
	out := make(chan netip.Prefix, 8)
	ch := make(chan netlink.AddrUpdate, 64)
	done := make(chan struct{})
	if err := netlink.AddrSubscribeWithOptions(ch, done, netlink.AddrSubscribeOptions{}); err != nil {
		e.Log.Warn("%s: cannot watch addresses (%v): a move to another network is noticed at the client's renewal", master, err)
		return out
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
				if !u.NewAddr || u.LinkAddress.IP.To4() == nil || u.ValidLft <= 0 || u.ValidLft == math.MaxUint32 {
					continue
				}
				l, err := h.LinkByName(master)
				if err != nil || u.LinkIndex != l.Attrs().Index {
					continue
				}
				ip, _ := netip.AddrFromSlice(u.LinkAddress.IP.To4())
				ones, _ := u.LinkAddress.Mask.Size()
				select {
				case out <- netip.PrefixFrom(ip, ones):
				default:
				}
			}
		}
	}()
	return out
}
