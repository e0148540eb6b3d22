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

// FileRecorder is a Recorder kept in a JSON file, so that several processes (the built
// binaries run by namespace tests, where no systemd runs) share one fake systemd. It is
// selected with BOND_HOTPLUG_UNITS=record:FILE and is meant for tests only.
type FileRecorder struct {
	Path string
}

type recorderFile struct {
	Units map[string]Spec `json:"units"`
	Calls []string        `json:"calls"`
}

// with runs f on the file's content under an exclusive flock and writes the result back.
func (f FileRecorder) with(fn func(r *Recorder) error) error {
	fd, err := os.OpenFile(f.Path, os.O_RDWR|os.O_CREATE|unix.O_NOFOLLOW, 0o600)
	if err != nil {
		return fmt.Errorf("open unit record %s: %w", f.Path, err)
	}
	defer fd.Close()
	if err := unix.Flock(int(fd.Fd()), unix.LOCK_EX); err != nil {
		return fmt.Errorf("lock unit record %s: %w", f.Path, err)
	}
	var rf recorderFile
	if st, _ := fd.Stat(); st != nil && st.Size() > 0 {
		if err := json.NewDecoder(fd).Decode(&rf); err != nil {
			return fmt.Errorf("read unit record %s: %w", f.Path, err)
		}
	}
	r := &Recorder{Units: rf.Units, Calls: rf.Calls}
	if r.Units == nil {
		r.Units = map[string]Spec{}
	}
	ferr := fn(r)
	b, err := json.Marshal(recorderFile{Units: r.Units, Calls: r.Calls})
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

func (f FileRecorder) States(ctx context.Context, names []string) (out map[string]State, err error) {
	err = f.with(func(r *Recorder) error { out, err = r.States(ctx, names); return err })
	return out, err
}

func (f FileRecorder) List(ctx context.Context) (out []State, err error) {
	err = f.with(func(r *Recorder) error { out, err = r.List(ctx); return err })
	return out, err
}

func (f FileRecorder) Start(ctx context.Context, s Spec) error {
	return f.with(func(r *Recorder) error { return r.Start(ctx, s) })
}

func (f FileRecorder) Stop(ctx context.Context, name string, wait bool) error {
	return f.with(func(r *Recorder) error { return r.Stop(ctx, name, wait) })
}

func (f FileRecorder) Close() {}

// Load reads the recorded state (for test assertions).
func (f FileRecorder) Load() (*Recorder, error) {
	var out *Recorder
	err := f.with(func(r *Recorder) error { out = r; return nil })
	return out, err
}
