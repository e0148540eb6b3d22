// SPDX-License-Identifier: Apache-2.0

package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"

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
	h, err := e.handle()
	if err != nil {
		return err
	}
	r := &netdev.Reader{H: h, Sys: e.Sys}
	w, err := watchLinks(e.Log, testLinkRcvBuf(linkRcvBuf))
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
	restarts := 0
	for {
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("start %s: %w", argv[0], err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		restart, err := e.watchMAC(ctx, r, master, &mac, restartOnMAC, updates, exited, cmd)
		if !restart {
			return err
		}
		// Counted, so that the journal shows whether the first exchange was lost
		// (the lab's benchmark reads this line).
		restarts++
		e.Log.Info("%s: client restart #%d (the MAC changed before a lease)", master, restarts)
	}
}

// watchMAC waits for the child to exit, the context to end, or the MAC to change
// without a lease; it reports whether the client must be started again.
func (e *Env) watchMAC(ctx context.Context, r *netdev.Reader, master string, mac *string, restartOnMAC bool,
	updates <-chan netlink.LinkUpdate, exited <-chan error, cmd *exec.Cmd) (bool, error) {
	for {
		select {
		case err := <-exited:
			var ee *exec.ExitError
			if errors.As(err, &ee) && ee.Sys().(syscall.WaitStatus).Signal() == syscall.SIGTERM {
				return false, nil // stopped (dhclient -r from ExecStop): not a failure
			}
			if err != nil {
				return false, fmt.Errorf("%s: %w", cmd.Path, err)
			}
			return false, nil
		case <-ctx.Done():
			_ = cmd.Process.Signal(syscall.SIGTERM)
			<-exited
			return false, nil
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
			return true, nil
		}
	}
}

// masterMAC is the master's MAC after update u: from u when it is about the master,
// read again after a resync (updates were lost); ok is false for other links.
func masterMAC(r *netdev.Reader, master string, u netlink.LinkUpdate) (string, bool) {
	if !isResync(u) {
		if u.Attrs().Name != master {
			return "", false
		}
		return u.Attrs().HardwareAddr.String(), true
	}
	l, err := r.H.LinkByName(master)
	if err != nil {
		return "", false // gone: systemd stops us (BindsTo), nothing to restart for
	}
	return l.Attrs().HardwareAddr.String(), true
}

// hasLease4 reports a dynamic (finite lifetime) IPv4 address on the master: a lease.
func hasLease4(r *netdev.Reader, master string) bool {
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
