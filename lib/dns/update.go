// SPDX-License-Identifier: Apache-2.0

package dns

import (
	"fmt"
	"os/exec"

	godbus "github.com/godbus/dbus/v5"
)

// Updater applies kept data to the system: the one writer of every link's DNS.
type Updater struct {
	Store  Store
	System System
	// Logf reports what was done (the unit's journal).
	Logf func(format string, args ...any)
}

// Set keeps d as proto's data for master and applies the link's merged data.
func (u Updater) Set(master string, ifindex int, proto Proto, d Data) error {
	return u.change(master, ifindex, func() error {
		if d.Empty() {
			return u.Store.Clear(master, proto)
		}
		return u.Store.Put(master, proto, d)
	})
}

// Drop forgets proto's data for master (its lease is gone, or its client stopped)
// and applies what is left: the other protocol's data, or nothing of ours.
func (u Updater) Drop(master string, ifindex int, proto Proto) error {
	return u.change(master, ifindex, func() error { return u.Store.Clear(master, proto) })
}

func (u Updater) change(master string, ifindex int, edit func() error) error {
	unlock, err := u.Store.lock()
	if err != nil {
		return err
	}
	defer unlock()
	if err := edit(); err != nil {
		return err
	}
	per, err := u.Store.Link(master)
	if err != nil {
		return err
	}
	all, err := u.Store.All()
	if err != nil {
		return err
	}
	b, why := Detect(u.System)
	if r, ok := b.(Resolved); ok {
		if c, ok := r.Bus.(interface{ Close() error }); ok {
			defer func() { _ = c.Close() }()
		}
	}
	if err := b.Apply(Link{Name: master, Index: ifindex}, per, all); err != nil {
		return err
	}
	// The system may have changed hands since our resolv.conf went in (resolvconf
	// installed while a lease was held): once no lease has data left, what the file
	// backend kept is given back or removed too, whichever backend runs now.
	if _, isFile := b.(File); !isFile && all.Empty() {
		f := File{Path: u.System.ResolvConf, Saved: u.System.Saved}
		if err := f.Apply(Link{}, nil, Data{}); err != nil {
			return err
		}
	}
	if u.Logf != nil {
		m := Merge(per[V4], per[V6])
		u.Logf("%s: DNS via %s (%s): %d server(s) %v, search %v", master, b.Name(), why, len(m.Servers), m.Servers, m.Search)
	}
	return nil
}

// SystemDefault is the running system: the system bus, $PATH and /etc/resolv.conf.
func SystemDefault() System {
	return System{
		Resolved:   systemResolved,
		LookPath:   lookPath,
		Index:      Ifindex,
		ResolvConf: "/etc/resolv.conf",
		Saved:      "/etc/resolv.conf.bond-hotplug-saved",
		Run:        RunCommand,
	}
}

// lookPath finds a program in $PATH and then the sbin directories, which the
// environment of a client's script may lack.
func lookPath(prog string) (string, error) {
	if p, err := exec.LookPath(prog); err == nil {
		return p, nil
	}
	for _, d := range []string{"/usr/sbin", "/sbin", "/usr/bin", "/bin"} {
		if p, err := exec.LookPath(d + "/" + prog); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s: %w", prog, exec.ErrNotFound)
}

const (
	resolve1     = "org.freedesktop.resolve1"
	resolve1Path = "/org/freedesktop/resolve1"
	resolve1Mgr  = "org.freedesktop.resolve1.Manager"
)

// systemResolved connects to the system bus and asks whether resolved holds its
// name: a resolved that is merely activatable is not running, and starting it is
// not ours to do.
func systemResolved() (ResolvedBus, bool) {
	c, err := godbus.ConnectSystemBus()
	if err != nil {
		return nil, false
	}
	var has bool
	if err := c.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, resolve1).Store(&has); err != nil || !has {
		_ = c.Close()
		return nil, false
	}
	return dbusResolved{c: c, o: c.Object(resolve1, resolve1Path)}, true
}

// dbusResolved calls resolved's Manager over a system bus connection.
type dbusResolved struct {
	c *godbus.Conn
	o godbus.BusObject
}

func (d dbusResolved) Close() error { return d.c.Close() }

func (d dbusResolved) SetLinkDNS(ifindex int, servers []Server) error {
	return d.o.Call(resolve1Mgr+".SetLinkDNS", 0, int32(ifindex), servers).Err
}

func (d dbusResolved) SetLinkDomains(ifindex int, domains []Domain) error {
	return d.o.Call(resolve1Mgr+".SetLinkDomains", 0, int32(ifindex), domains).Err
}

func (d dbusResolved) SetLinkDefaultRoute(ifindex int, on bool) error {
	return d.o.Call(resolve1Mgr+".SetLinkDefaultRoute", 0, int32(ifindex), on).Err
}

func (d dbusResolved) RevertLink(ifindex int) error {
	return d.o.Call(resolve1Mgr+".RevertLink", 0, int32(ifindex)).Err
}
