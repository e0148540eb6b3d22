// Package lock owns the per-master lock that serialises bond-up, bond-down and the
// bond-hotplug runs udev starts in bursts: one flock on /run/lock/bond-hotplug/MASTER.
// flock locks vanish with the process, so a killed run never leaves one behind.
package lock

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// DefaultDir holds the lock files.
const DefaultDir = "/run/lock/bond-hotplug"

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

// stampLen is the fixed width of the stamp kept in the lock file: the time the last
// successful full run took the lock. Fixed width, written in one pwrite, so a reader
// never sees half of it.
const stampLen = 20

// ensureDir creates dir (0700) and refuses one that is a symlink or not root's when we
// are root: a lock file others can redirect would let them make us truncate or block
// on any file.
func ensureDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create lock directory %s: %w", dir, err)
	}
	st, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("lock directory %s: %w", dir, err)
	}
	if !st.IsDir() {
		return fmt.Errorf("lock directory %s is not a directory (a symlink?)", dir)
	}
	if sys, ok := st.Sys().(*unix.Stat_t); ok && os.Geteuid() == 0 && sys.Uid != 0 {
		return fmt.Errorf("lock directory %s is owned by uid %d, not root", dir, sys.Uid)
	}
	if st.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("lock directory %s is writable by group or others (%v)", dir, st.Mode().Perm())
	}
	return nil
}

// Acquire takes the lock of master in dir, waiting at most timeout.
func Acquire(dir, master string, timeout time.Duration) (*Lock, error) {
	l, _, err := AcquireOrCoalesce(dir, master, timeout, -1)
	return l, err
}

// AcquireOrCoalesce is Acquire for runs that only ask "converge the master from the
// state as it is now" (udev events): it returns coalesced=true, without the lock,
// as soon as a run that took the lock after since (Now() at this run's start) has
// finished successfully, because that run read the state after ours changed and so
// already did our work. A burst of events then costs a few runs, not one per event.
// since < 0 never coalesces.
func AcquireOrCoalesce(dir, master string, timeout time.Duration, since int64) (*Lock, bool, error) {
	if err := ensureDir(dir); err != nil {
		return nil, false, err
	}
	p := filepath.Join(dir, master+".lock")
	// O_NOFOLLOW: a symlink planted in place of the lock file is refused, not followed.
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, false, fmt.Errorf("open lock %s: %w", p, err)
	}
	covered := func() bool { return since >= 0 && readStamp(f) > since }
	deadline := time.Now().Add(timeout)
	// Poll with a short back-off rather than a blocking flock: a blocking call cannot
	// be abandoned at the deadline. Runs hold the lock for milliseconds.
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
		time.Sleep(wait)
		if wait < 20*time.Millisecond {
			wait *= 2
		}
	}
}

func readStamp(f *os.File) int64 {
	b := make([]byte, stampLen)
	n, _ := f.ReadAt(b, 0)
	if n != stampLen {
		return -1
	}
	v, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return -1
	}
	return v
}

// Done records that this run converged the master successfully, for waiters that can
// coalesce with it (see AcquireOrCoalesce). Call it only after a full, successful run.
func (l *Lock) Done() error {
	if l == nil || l.f == nil {
		return nil
	}
	_, err := l.f.WriteAt([]byte(fmt.Sprintf("%*d", stampLen, l.start)), 0)
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
