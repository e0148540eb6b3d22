// SPDX-License-Identifier: Apache-2.0

// Package lock owns the per-master lock that serialises bond-up, bond-down and the
// bond-hotplug runs udev starts in bursts: one flock on /run/bond-hotplug/lock/MASTER.lock.
// flock locks vanish with the process, so a killed run never leaves one behind.
package lock

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// DefaultDir holds the lock files. Under /run (root's, 0755), not the world-writable
// /run/lock: there any user could create the directory first, then plant a forged
// "converged" stamp (every root run a silent no-op) or hold the flock (every run waits).
const DefaultDir = "/run/bond-hotplug/lock"

// ErrTimeout means another run held the lock for longer than we may wait.
var ErrTimeout = errors.New("timed out waiting for the lock")

// Lock is a held lock.
type Lock struct {
	f     *os.File
	start int64 // when it was taken, on the boot clock
}

// Now is the boot clock in nanoseconds: shared by all processes, never set back.
func Now() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err != nil {
		return time.Now().UnixNano()
	}
	return ts.Nano()
}

// The stamp kept in the lock file says what the last successful full run saw: when it
// took the lock (timeLen digits) and a digest of the configuration it read under the
// lock (digestLen characters). Fixed width, written in one pwrite, so a reader never
// sees half of it.
const (
	timeLen   = 20
	digestLen = 64
	stampLen  = timeLen + 1 + digestLen
)

// ensureDir creates dir (0700) in a parent readable by all (0755: the records beside
// the lock directory are what `bond-up -n` and --status read as an ordinary user), and
// refuses either when it is a symlink, writable by group or others, or (when we are
// root) owned by another user: whoever controls either could forge the stamp, hold the
// flock, or redirect the lock file.
func ensureDir(dir string) error {
	parent := filepath.Dir(filepath.Clean(dir))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("create directory %s: %w", parent, err)
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("create lock directory %s: %w", dir, err)
	}
	for _, d := range []string{dir, parent} {
		if err := checkDir(d); err != nil {
			return err
		}
	}
	// MkdirAll honours the umask (bond-up@.service runs with UMask=0077), and older
	// versions made the parent 0700: open it up for reading. checkDir made sure it
	// is ours and writable by us only.
	if st, err := os.Stat(parent); err == nil && st.Mode().Perm() != 0o755 {
		if err := os.Chmod(parent, 0o755); err != nil {
			return fmt.Errorf("directory %s: %w", parent, err)
		}
	}
	// The lock directory itself stays root-only whatever made it.
	if st, err := os.Stat(dir); err == nil && st.Mode().Perm() != 0o700 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("lock directory %s: %w", dir, err)
		}
	}
	return nil
}

// ErrUnsafeDir marks a lock directory others could tamper with.
var ErrUnsafeDir = errors.New("unsafe lock directory")

func checkDir(dir string) error {
	st, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("lock directory %s: %w", dir, err)
	}
	if !st.IsDir() {
		return fmt.Errorf("lock directory %s is not a directory (a symlink?): %w", dir, ErrUnsafeDir)
	}
	// os.Lstat's Sys is a *syscall.Stat_t (not x/sys/unix's type of the same shape):
	// a failed assertion must refuse, not skip the check.
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return fmt.Errorf("lock directory %s: no owner information (%T): %w", dir, st.Sys(), ErrUnsafeDir)
	}
	if os.Geteuid() == 0 && sys.Uid != 0 {
		return fmt.Errorf("lock directory %s is owned by uid %d, not root: %w", dir, sys.Uid, ErrUnsafeDir)
	}
	if st.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("lock directory %s is writable by group or others (%v): %w", dir, st.Mode().Perm(), ErrUnsafeDir)
	}
	return nil
}

// Acquire takes the lock of master in dir, waiting at most timeout, or until ctx ends
// (SIGINT, SIGTERM: a run told to stop stops waiting at once).
func Acquire(ctx context.Context, dir, master string, timeout time.Duration) (*Lock, error) {
	l, _, err := AcquireOrCoalesce(ctx, dir, master, timeout, -1, "")
	return l, err
}

// AcquireOrCoalesce is Acquire for runs that only ask "converge the master from the
// state and configuration as they are now" (bond-up, udev events): it returns
// coalesced=true, without the lock, as soon as a run that took the lock after since
// (Now() at this run's start) has finished successfully having read the configuration
// whose digest is digest (the one this run read at its start), because that run read
// the state after ours changed, and the same file, and so already did our work. A
// burst of events then costs a few runs, not one per event. A run that read another
// file (an edit came between) covers nobody who read this one: clocks alone cannot
// tell which of two reads was newer. since < 0 or digest "" never coalesces.
func AcquireOrCoalesce(ctx context.Context, dir, master string, timeout time.Duration, since int64, digest string) (*Lock, bool, error) {
	if err := ensureDir(dir); err != nil {
		return nil, false, err
	}
	p := filepath.Join(dir, master+".lock")
	// O_NOFOLLOW: a symlink planted in place of the lock file is refused, not followed.
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, false, fmt.Errorf("open lock %s: %w", p, err)
	}
	covered := func() bool {
		t, d := readStamp(f)
		return since >= 0 && digest != "" && t > since && d == digest
	}
	deadline := time.Now().Add(timeout)
	// Poll with a short back-off rather than a blocking flock: a blocking call cannot
	// be abandoned at the deadline. Runs hold the lock for milliseconds on real
	// hardware; the back-off tops out at 100 ms because in a burst every waiter's
	// wake-ups take CPU from the one run that holds the lock (in lab 10 on a loaded
	// host, 64 waiters at 20 ms left the holder of the single-CPU guest crawling).
	wait := time.Millisecond
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			if covered() {
				f.Close()
				return nil, true, nil
			}
			return &Lock{f: f, start: Now()}, false, nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) {
			f.Close()
			return nil, false, fmt.Errorf("lock %s: %w", p, err)
		}
		if covered() {
			f.Close()
			return nil, true, nil
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, false, fmt.Errorf("lock %s after %v: %w", p, timeout, ErrTimeout)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, false, fmt.Errorf("waiting for lock %s: %w", p, context.Cause(ctx))
		case <-time.After(wait):
		}
		if wait < 100*time.Millisecond {
			wait = min(2*wait, 100*time.Millisecond)
		}
	}
}

// readStamp returns the stamp's time and digest (-1 and "" when there is none).
func readStamp(f *os.File) (int64, string) {
	b := make([]byte, stampLen)
	n, _ := f.ReadAt(b, 0)
	if n != stampLen || b[timeLen] != ' ' {
		return -1, ""
	}
	v, err := strconv.ParseInt(strings.TrimSpace(string(b[:timeLen])), 10, 64)
	if err != nil {
		return -1, ""
	}
	return v, strings.TrimSpace(string(b[timeLen+1:]))
}

// Done records that this run converged the master successfully from the
// configuration whose digest is digest (read after the lock was taken), for waiters
// that can coalesce with it (see AcquireOrCoalesce). Call it only after a full,
// successful run.
func (l *Lock) Done(digest string) error {
	if l == nil || l.f == nil {
		return nil
	}
	if len(digest) > digestLen || strings.ContainsAny(digest, " \n") {
		return fmt.Errorf("lock stamp: digest %q is not %d characters without spaces", digest, digestLen)
	}
	_, err := l.f.WriteAt([]byte(fmt.Sprintf("%*d %*s", timeLen, l.start, digestLen, digest)), 0)
	return err
}

// Release drops the lock. The file stays: deleting it would race with a waiter that
// already opened it.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}
