// SPDX-License-Identifier: Apache-2.0

package dns

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/sys/unix"
)

// DefaultRoot holds the DHCP units' runtime directories (units.RuntimeDir): each
// protocol's data lives in its own unit's directory, the one place under /run its
// sandbox may write, and systemd removes it with the unit, so a stopped client's
// servers cannot outlive it.
const DefaultRoot = "/run/bond-hotplug"

// unitDir is the runtime directory of the unit that runs proto's client on master
// (units.RuntimeDir of bond-dhcp4/bond-dhcp6; a test keeps the two in step).
func unitDir(proto Proto, master string) string {
	if proto == V6 {
		return "bond-dhcp6-" + master
	}
	return "bond-dhcp4-" + master
}

// Store is the DNS data of the masters' leases, one file per master and protocol.
type Store struct{ Root string }

func (s Store) path(master string, proto Proto) string {
	return filepath.Join(s.Root, unitDir(proto, master), "dns")
}

// Put keeps d as proto's data for master (write and rename: a reader never sees half).
func (s Store) Put(master string, proto Proto, d Data) error {
	p := s.path(master, proto)
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, []byte(d.Render()), 0o644); err != nil {
		return fmt.Errorf("keeping the %s DNS data of %s: %w", proto, master, err)
	}
	if err := os.Rename(tmp, p); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("keeping the %s DNS data of %s: %w", proto, master, err)
	}
	return nil
}

// Clear drops proto's data for master; none is fine.
func (s Store) Clear(master string, proto Proto) error {
	if err := os.Remove(s.path(master, proto)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("dropping the %s DNS data of %s: %w", proto, master, err)
	}
	return nil
}

// has reports whether proto's data of master is kept.
func (s Store) has(master string, proto Proto) bool {
	_, err := os.Lstat(s.path(master, proto))
	return err == nil
}

// Get is proto's data for master (empty when none is kept).
func (s Store) Get(master string, proto Proto) (Data, error) {
	p := s.path(master, proto)
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return Data{}, nil
	}
	if err != nil {
		return Data{}, err
	}
	return Parse(p, string(b))
}

// Link is master's data per protocol.
func (s Store) Link(master string) (map[Proto]Data, error) {
	out := map[Proto]Data{}
	for _, p := range Protos {
		d, err := s.Get(master, p)
		if err != nil {
			return nil, err
		}
		out[p] = d
	}
	return out, nil
}

// Masters lists the masters with data kept, sorted.
func (s Store) Masters() ([]string, error) {
	var out []string
	for _, p := range Protos {
		pre := unitDir(p, "")
		m, err := filepath.Glob(filepath.Join(s.Root, pre+"*", "dns"))
		if err != nil {
			return nil, err
		}
		for _, f := range m {
			name := strings.TrimPrefix(filepath.Base(filepath.Dir(f)), pre)
			if !slices.Contains(out, name) {
				out = append(out, name)
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

// All is the merged data of every master, masters in name order (for the one
// /etc/resolv.conf all of them share).
func (s Store) All() (Data, error) {
	ms, err := s.Masters()
	if err != nil {
		return Data{}, err
	}
	var all []Data
	for _, m := range ms {
		l, err := s.Link(m)
		if err != nil {
			return Data{}, err
		}
		all = append(all, l[V4], l[V6])
	}
	return Merge(all...), nil
}

// lock serialises the writers of every master (their scripts, the supervisors'
// teardown): a flock on the root directory, which the sandboxed units can open
// read-only. Released by the returned function, or by the process's end.
func (s Store) lock() (func(), error) {
	f, err := os.Open(s.Root)
	if err != nil {
		return nil, fmt.Errorf("DNS lock: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("DNS lock on %s: %w", s.Root, err)
	}
	return func() { _ = f.Close() }, nil
}
