// SPDX-License-Identifier: Apache-2.0

package dhcpunit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/bond-hotplug/bond-hotplug/lib/config"
	"github.com/bond-hotplug/bond-hotplug/lib/netdev"
	"github.com/vishvananda/netlink"
)

// Supervise is the main process of the DHCP units. It waits until master has an
// active slave with carrier, then runs the client (argv). With restartOnMAC (DHCPv4)
// it restarts the client when the master's MAC changes before the client holds a
// lease: with fail_over_mac=active the bond takes the MAC of whichever slave becomes
// active, and a client that started with the old MAC keeps asking with it and never
// hears the answer (the seed's problem). Once a lease is held, a MAC change is left to
// the client (it renews with the new MAC by itself).
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
	mac := "" // the MAC the client started with; only watched with restartOnMAC
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
	var lost <-chan struct{}
	if restartOnMAC {
		lost = e.watchLease(ctx, h, r, master, usr1)
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
		restart, why, err := e.watchMAC(ctx, r, master, &mac, restartOnMAC, updates, lost, exited, cmd)
		if !restart {
			return err
		}
		// Counted, so that the journal shows whether the first exchange was lost
		// (the lab's benchmark reads this line).
		restarts++
		e.Log.Info("%s: client restart #%d (%s)", master, restarts, why)
	}
}

// leaseGrace is how long a vanished lease may stay away before the client is
// restarted: a client that replaces its own address (a new lease) deletes the old
// one first.
const leaseGrace = time.Second

// watchLease reports (on the returned channel) each time master's last DHCPv4 lease
// address vanished and did not come back within leaseGrace. SIGUSR1 (sent by the
// unit's ExecStop, bond-hotplug --release) turns it off for good.
func (e *Env) watchLease(ctx context.Context, h *netlink.Handle, r netdev.Source, master string, usr1 <-chan os.Signal) <-chan struct{} {
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
				if err != nil || u.NewAddr || u.LinkIndex != l.Attrs().Index || u.LinkAddress.IP.To4() == nil ||
					u.ValidLft <= 0 || u.ValidLft == math.MaxUint32 {
					continue // not the loss of a lease (a static address, another link)
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

// watchMAC waits for the child to exit, the context to end, or the MAC to change
// without a lease; it reports whether the client must be started again.
func (e *Env) watchMAC(ctx context.Context, r netdev.Source, master string, mac *string, restartOnMAC bool,
	updates <-chan netlink.LinkUpdate, lost <-chan struct{}, exited <-chan error, cmd *exec.Cmd) (bool, string, error) {
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
		case u := <-updates:
			if !restartOnMAC {
				continue
			}
			now, ok := masterMAC(r, master, u)
			if !ok || now == *mac {
				continue
			}
			was := *mac
			*mac = now
			if hasLease4(r, master) {
				e.Log.Info("%s: MAC %s -> %s with a lease held: client keeps running", master, was, now)
				continue
			}
			e.Log.Info("%s: MAC %s -> %s before a lease: restarting %s", master, was, now, cmd.Path)
			_ = cmd.Process.Signal(syscall.SIGTERM)
			<-exited
			return true, "the MAC changed before a lease", nil
		}
	}
}

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
