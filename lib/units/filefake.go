// SPDX-License-Identifier: Apache-2.0

package units

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// FileFake is a Fake kept in a JSON file, so that several processes (the built
// binaries run by namespace tests, where no systemd runs) share one fake systemd. It is
// selected with BOND_HOTPLUG_UNITS=record:FILE and is meant for tests only.
type FileFake struct {
	Path string
}

type fakeFile struct {
	Units map[string]Spec `json:"units"`
	Calls []string        `json:"calls"`
}

// with runs f on the file's content under an exclusive flock and writes the result back.
func (f FileFake) with(fn func(r *Fake) error) error {
	fd, err := os.OpenFile(f.Path, os.O_RDWR|os.O_CREATE|unix.O_NOFOLLOW, 0o600)
	if err != nil {
		return fmt.Errorf("open unit record %s: %w", f.Path, err)
	}
	defer fd.Close()
	if err := unix.Flock(int(fd.Fd()), unix.LOCK_EX); err != nil {
		return fmt.Errorf("lock unit record %s: %w", f.Path, err)
	}
	var rf fakeFile
	if st, _ := fd.Stat(); st != nil && st.Size() > 0 {
		if err := json.NewDecoder(fd).Decode(&rf); err != nil {
			return fmt.Errorf("read unit record %s: %w", f.Path, err)
		}
	}
	r := &Fake{Units: rf.Units, Calls: rf.Calls}
	if r.Units == nil {
		r.Units = map[string]Spec{}
	}
	ferr := fn(r)
	b, err := json.Marshal(fakeFile{Units: r.Units, Calls: r.Calls})
	if err != nil {
		return errors.Join(ferr, err)
	}
	if err := fd.Truncate(0); err != nil {
		return errors.Join(ferr, err)
	}
	if _, err := fd.WriteAt(b, 0); err != nil {
		return errors.Join(ferr, err)
	}
	return ferr
}

func (f FileFake) List(ctx context.Context) (out []State, err error) {
	err = f.with(func(r *Fake) error { out, err = r.List(ctx); return err })
	return out, err
}

func (f FileFake) Start(ctx context.Context, s Spec) error {
	return f.with(func(r *Fake) error { return r.Start(ctx, s) })
}

func (f FileFake) Stop(ctx context.Context, name string, wait bool) error {
	return f.with(func(r *Fake) error { return r.Stop(ctx, name, wait) })
}

func (f FileFake) Close() {}

// Load reads the recorded state (for test assertions).
func (f FileFake) Load() (*Fake, error) {
	var out *Fake
	err := f.with(func(r *Fake) error { out = r; return nil })
	return out, err
}
