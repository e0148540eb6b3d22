// SPDX-License-Identifier: Apache-2.0

// Package record owns what bond-hotplug remembers between runs: per master, what runs
// of ours applied (the master if we created it, the slaves we enslaved, the static
// addresses and routes, the units with their command lines) and whether the master is
// administratively up. The next run compares this with the configuration, so that what
// the file no longer asks for is undone, and only that: what no record names (a
// hand-added address, a DHCP lease, a port enslaved by hand, a bond the user made) is
// never touched. Records live on tmpfs (/run): empty after a reboot, like the kernel's
// state they describe.
package record

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/bond-hotplug/bond-hotplug/lib/config"
	"golang.org/x/sys/unix"
)

// ErrCorrupt marks a record that exists but cannot be read as one (cut short, edited
// by hand, written by an incompatible version, or another master's): what it said is
// lost. Runs set it aside (SetAside) and go on as if there were none, which undoes
// nothing: the safe side, since a record decides what a run deletes.
var ErrCorrupt = errors.New("not a readable record")

// DefaultDir holds one file per master.
const DefaultDir = "/run/bond-hotplug/state"

// Record is what our runs applied to one master.
type Record struct {
	Master string `json:"master"`
	Kind   string `json:"kind"`
	// Up: bond-up brought the master up and bond-down has not taken it down since.
	// Hot-plug events maintain only such a master.
	Up bool `json:"up"`
	// Created: a run of ours created the master, so a run of ours may delete it.
	Created bool `json:"created"`
	// Index is the ifindex of the master a run of ours created (0: not known yet). A
	// device of the same name with another index was made by someone else after ours
	// went: nothing the record names is on it, and it is never ours to delete.
	Index   int            `json:"index,omitempty"`
	Primary string         `json:"primary,omitempty"`
	Slaves  []string       `json:"slaves,omitempty"`
	Addrs   []netip.Prefix `json:"addrs,omitempty"`
	Routes  []config.Route `json:"routes,omitempty"`
	// Units maps each unit we started to the command line it runs (ExecStart argv).
	Units map[string][]string `json:"units,omitempty"`
}

// Clone is a deep copy: the run keeps the record as last written beside the one it
// changes. Copied field by field rather than through JSON (which each run did several
// times: issue 20, reflection is slow at a process's start). TestCloneIsDeep fails
// for a field added without a value in its record; a new slice or map field must be
// copied here too.
func (r *Record) Clone() *Record {
	if r == nil {
		return nil
	}
	c := *r
	c.Slaves = slices.Clone(r.Slaves)
	c.Addrs = slices.Clone(r.Addrs)
	c.Routes = slices.Clone(r.Routes)
	if r.Units != nil {
		c.Units = make(map[string][]string, len(r.Units))
		for k, v := range r.Units {
			c.Units[k] = slices.Clone(v)
		}
	}
	return &c
}

// HasSlave reports whether name is a recorded slave.
func (r *Record) HasSlave(name string) bool { return slices.Contains(r.Slaves, name) }

// AddSlave records a slave (once).
func (r *Record) AddSlave(name string) {
	if !r.HasSlave(name) {
		r.Slaves = append(r.Slaves, name)
		sort.Strings(r.Slaves)
	}
}

// DropSlave forgets a slave.
func (r *Record) DropSlave(name string) {
	r.Slaves = slices.DeleteFunc(r.Slaves, func(s string) bool { return s == name })
}

// HasAddr reports whether p is a recorded address.
func (r *Record) HasAddr(p netip.Prefix) bool { return slices.Contains(r.Addrs, p) }

// AddAddr records an address (once).
func (r *Record) AddAddr(p netip.Prefix) {
	if !r.HasAddr(p) {
		r.Addrs = append(r.Addrs, p)
	}
}

// DropAddr forgets an address.
func (r *Record) DropAddr(p netip.Prefix) {
	r.Addrs = slices.DeleteFunc(r.Addrs, func(x netip.Prefix) bool { return x == p })
}

// HasRoute reports whether rt is a recorded route.
func (r *Record) HasRoute(rt config.Route) bool {
	return slices.ContainsFunc(r.Routes, rt.Same)
}

// AddRoute records a route (once).
func (r *Record) AddRoute(rt config.Route) {
	if !r.HasRoute(rt) {
		r.Routes = append(r.Routes, rt)
	}
}

// DropRoute forgets a route.
func (r *Record) DropRoute(rt config.Route) {
	r.Routes = slices.DeleteFunc(r.Routes, rt.Same)
}

// SetUnit records a unit we started and its command line.
func (r *Record) SetUnit(name string, argv []string) {
	if r.Units == nil {
		r.Units = map[string][]string{}
	}
	r.Units[name] = slices.Clone(argv)
}

// DropUnit forgets a unit.
func (r *Record) DropUnit(name string) { delete(r.Units, name) }

// Empty reports a record that owns nothing and is not up: nothing to keep.
func (r *Record) Empty() bool {
	return !r.Up && !r.Created && r.Index == 0 && r.Primary == "" && len(r.Slaves) == 0 && len(r.Addrs) == 0 &&
		len(r.Routes) == 0 && len(r.Units) == 0
}

// Store keeps records as one JSON file per master in Dir.
type Store struct {
	Dir string
}

func (s Store) path(master string) (string, error) {
	if err := config.CheckName(master); err != nil {
		return "", fmt.Errorf("record of %q: %w", master, err)
	}
	return filepath.Join(s.Dir, master+".json"), nil
}

// checkDir refuses a directory others could write records into: a record decides what
// a run deletes.
func checkDir(dir string) error {
	st, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("state directory %s: %w", dir, err)
	}
	if !st.IsDir() {
		return fmt.Errorf("state directory %s is not a directory (a symlink?)", dir)
	}
	if sys, ok := st.Sys().(*unix.Stat_t); ok && os.Geteuid() == 0 && sys.Uid != 0 {
		return fmt.Errorf("state directory %s is owned by uid %d, not root", dir, sys.Uid)
	}
	if st.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("state directory %s is writable by group or others (%v)", dir, st.Mode().Perm())
	}
	return nil
}

// Load returns the record of master, or nil when there is none. It never creates
// anything (a dry run reads records too).
func (s Store) Load(master string) (*Record, error) {
	p, err := s.path(master)
	if err != nil {
		return nil, err
	}
	if _, err := os.Lstat(s.Dir); errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err := checkDir(s.Dir); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read record %s: %w", p, err)
	}
	var r Record
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("read record %s: %w: %w", p, ErrCorrupt, err)
	}
	if r.Master != master {
		return nil, fmt.Errorf("read record %s: %w: it is the record of %q", p, ErrCorrupt, r.Master)
	}
	// The marker decides; the record's own field counts too for a record written by
	// a version without markers.
	r.Up = r.Up || s.IsUp(master)
	return &r, nil
}

// upPath is the marker of a master that is up: a file of its own, so that whether
// hot-plug maintains the master survives a record that cannot be read.
func (s Store) upPath(master string) (string, error) {
	if err := config.CheckName(master); err != nil {
		return "", fmt.Errorf("up marker of %q: %w", master, err)
	}
	return filepath.Join(s.Dir, master+".up"), nil
}

// IsUp reports whether master's up marker exists (bond-up ran, bond-down has not
// since), whatever its record says or whether it can be read.
func (s Store) IsUp(master string) bool {
	p, err := s.upPath(master)
	if err != nil || checkDir(s.Dir) != nil {
		return false
	}
	_, err = os.Lstat(p)
	return err == nil
}

// setUp creates or removes master's up marker.
func (s Store) setUp(master string, up bool) error {
	p, err := s.upPath(master)
	if err != nil {
		return err
	}
	if !up {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove up marker %s: %w", p, err)
		}
		return nil
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o644)
	if err != nil {
		return fmt.Errorf("write up marker %s: %w", p, err)
	}
	return f.Close()
}

// Save writes the record atomically (a temporary file renamed over the old one), so
// a run killed mid-write leaves the old record or the new one, never half of one, and
// sets the up marker to r.Up: a master going up is marked before its record says so,
// one going down loses its marker after its record says so, so that a run killed in
// between leaves the master up rather than hot-plug off.
func (s Store) Save(r *Record) error {
	p, err := s.path(r.Master)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		return fmt.Errorf("create state directory %s: %w", s.Dir, err)
	}
	if err := checkDir(s.Dir); err != nil {
		return err
	}
	// Readable by all whatever the umask (bond-up@.service runs with UMask=0077, so
	// the directory made at boot was 0700): `bond-up -n` and --status as an ordinary
	// user read the records. checkDir made sure it is ours and writable by us only.
	if st, err := os.Stat(s.Dir); err == nil && st.Mode().Perm() != 0o755 {
		if err := os.Chmod(s.Dir, 0o755); err != nil {
			return fmt.Errorf("state directory %s: %w", s.Dir, err)
		}
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encode record of %s: %w", r.Master, err)
	}
	tmp, err := os.CreateTemp(s.Dir, "."+r.Master+".*")
	if err != nil {
		return fmt.Errorf("write record %s: %w", p, err)
	}
	ok := false
	defer func() {
		if !ok {
			os.Remove(tmp.Name())
		}
	}()
	// Readable by all: `bond-up -n` as an ordinary user shows removals too.
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("write record %s: %w", p, err)
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("write record %s: %w", p, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write record %s: %w", p, err)
	}
	if r.Up {
		if err := s.setUp(r.Master, true); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		return fmt.Errorf("write record %s: %w", p, err)
	}
	ok = true
	if !r.Up {
		return s.setUp(r.Master, false)
	}
	return nil
}

// SetAside renames an unreadable record of master to MASTER.json.corrupt (replacing an
// older one), so that it stays for a post-mortem but no run reads it again. It returns
// the new path.
func (s Store) SetAside(master string) (string, error) {
	p, err := s.path(master)
	if err != nil {
		return "", err
	}
	if err := checkDir(s.Dir); err != nil {
		return "", err
	}
	if err := os.Rename(p, p+".corrupt"); err != nil {
		return "", fmt.Errorf("set aside record %s: %w", p, err)
	}
	return p + ".corrupt", nil
}

// Remove deletes the record of master and its up marker; none is success.
func (s Store) Remove(master string) error {
	p, err := s.path(master)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove record %s: %w", p, err)
	}
	return s.setUp(master, false)
}

// Masters lists the masters that have a record, sorted.
func (s Store) Masters() ([]string, error) {
	ents, err := os.ReadDir(s.Dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list records in %s: %w", s.Dir, err)
	}
	if err := checkDir(s.Dir); err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), ".json")
		if ok && !strings.HasPrefix(name, ".") && config.CheckName(name) == nil {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out, nil
}
