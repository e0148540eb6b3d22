// SPDX-License-Identifier: Apache-2.0

package lock

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

var bg = context.Background()

func TestSecondHolderWaitsThenTimesOut(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "locks")
	l, err := Acquire(bg, dir, "bond0", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Acquire(bg, dir, "bond0", 50*time.Millisecond); !errors.Is(err, ErrTimeout) {
		t.Fatalf("second Acquire: want ErrTimeout, got %v", err)
	}
	if _, err := Acquire(bg, dir, "br0", 50*time.Millisecond); err != nil {
		t.Fatalf("another master's lock must be independent: %v", err)
	}
	l.Release()
	l2, err := Acquire(bg, dir, "bond0", 50*time.Millisecond)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	l2.Release()
}

func TestSymlinkInPlaceOfTheLockFileIsRefused(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "locks")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	victim := filepath.Join(t.TempDir(), "victim")
	os.WriteFile(victim, []byte("keep"), 0o600)
	if err := os.Symlink(victim, filepath.Join(dir, "bond0.lock")); err != nil {
		t.Fatal(err)
	}
	if _, err := Acquire(bg, dir, "bond0", 50*time.Millisecond); err == nil {
		t.Fatal("a symlinked lock file was followed")
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep" {
		t.Fatal("victim changed")
	}
}

func TestSymlinkedOrWritableDirectoryIsRefused(t *testing.T) {
	base := t.TempDir()
	real := filepath.Join(base, "real")
	os.MkdirAll(real, 0o700)
	link := filepath.Join(base, "link")
	os.Symlink(real, link)
	if _, err := Acquire(bg, link, "bond0", 50*time.Millisecond); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Fatalf("symlinked directory: %v", err)
	}
	open := filepath.Join(base, "open")
	os.MkdirAll(open, 0o700)
	os.Chmod(open, 0o777)
	if _, err := Acquire(bg, open, "bond0", 50*time.Millisecond); err == nil || !strings.Contains(err.Error(), "writable") {
		t.Fatalf("world-writable directory: %v", err)
	}
}

// TestKilledHolderLeavesNoLock proves a run killed while holding the lock (SIGKILL,
// no cleanup) does not block the next one: flock dies with its process.
func TestKilledHolderLeavesNoLock(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "locks")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("flock", "-o", filepath.Join(dir, "bond0.lock"), "sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Skipf("flock(1) not available: %v", err)
	}
	// Wait until the child holds it.
	deadline := time.Now().Add(5 * time.Second)
	for {
		l, err := Acquire(bg, dir, "bond0", 10*time.Millisecond)
		if errors.Is(err, ErrTimeout) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		l.Release()
		if time.Now().After(deadline) {
			t.Fatal("flock(1) never took the lock")
		}
	}
	cmd.Process.Kill()
	cmd.Wait()
	l, err := Acquire(bg, dir, "bond0", time.Second)
	if err != nil {
		t.Fatalf("after the holder was killed: %v", err)
	}
	l.Release()
}

// A waiter coalesces with a run that took the lock after the waiter started and then
// finished successfully; it does not with one that took the lock before.
func TestWaiterCoalescesOnlyWithALaterSuccessfulRun(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "locks")
	early, err := Acquire(bg, dir, "bond0", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	since := Now() // the waiter starts while the early run holds the lock
	type result struct {
		l         *Lock
		coalesced bool
		err       error
	}
	res := make(chan result, 1)
	go func() {
		l, c, err := AcquireOrCoalesce(bg, dir, "bond0", 5*time.Second, since, "d1")
		res <- result{l, c, err}
	}()
	// The early run read the state before the waiter's change: finishing it must not
	// release the waiter from its work.
	early.Done("d1")
	early.Release()
	r := <-res
	if r.err != nil || r.coalesced || r.l == nil {
		t.Fatalf("after an earlier run: want the lock, got coalesced=%v err=%v", r.coalesced, r.err)
	}
	// Now a waiter that started before r.l was taken: r.l's run covers it once done.
	since2 := since
	go func() {
		l, c, err := AcquireOrCoalesce(bg, dir, "bond0", 5*time.Second, since2, "d1")
		res <- result{l, c, err}
	}()
	time.Sleep(50 * time.Millisecond)
	r.l.Done("d1")
	r2 := <-res
	if r2.err != nil || !r2.coalesced || r2.l != nil {
		t.Fatalf("after a later successful run: want coalesced, got lock=%v coalesced=%v err=%v", r2.l, r2.coalesced, r2.err)
	}
	r.l.Release()
	// A failed run (no Done) covers nobody.
	l3, err := Acquire(bg, dir, "br0", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		l, c, err := AcquireOrCoalesce(bg, dir, "br0", 5*time.Second, Now(), "d1")
		res <- result{l, c, err}
	}()
	time.Sleep(50 * time.Millisecond)
	l3.Release()
	r3 := <-res
	if r3.err != nil || r3.coalesced {
		t.Fatalf("after a failed run: want the lock, got coalesced=%v err=%v", r3.coalesced, r3.err)
	}
	r3.l.Release()
}

// A lock directory (or its parent) another user owns is refused when we are root: its
// owner could plant a forged "converged" stamp or hold the flock. The directory is
// made exactly as an attacker would: created first, owned by them, mode 0700, with a
// stamp that would turn every root run into a silent no-op.
func TestDirectoryOwnedByAnotherUserIsRefusedWhenRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: chowns a directory to another user")
	}
	const nobody = 65534
	for _, which := range []string{"directory", "parent"} {
		t.Run(which, func(t *testing.T) {
			parent := filepath.Join(t.TempDir(), "run-bond-hotplug")
			dir := filepath.Join(parent, "lock")
			if err := os.MkdirAll(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			forged := filepath.Join(dir, "bond0.lock")
			if err := os.WriteFile(forged, []byte(fmt.Sprintf("%20d %64s", int64(1)<<62, "d1")), 0o600); err != nil {
				t.Fatal(err)
			}
			owned := dir
			if which == "parent" {
				owned = parent
			}
			if err := os.Chown(owned, nobody, nobody); err != nil {
				t.Fatal(err)
			}
			l, coalesced, err := AcquireOrCoalesce(bg, dir, "bond0", 50*time.Millisecond, Now(), "d1")
			if err == nil || !errors.Is(err, ErrUnsafeDir) || !strings.Contains(err.Error(), "owned by uid 65534") {
				t.Fatalf("want ErrUnsafeDir naming uid 65534, got lock=%v coalesced=%v err=%v", l, coalesced, err)
			}
			if coalesced || l != nil {
				t.Fatal("the forged stamp was believed")
			}
		})
	}
}

// The default directory lives under /run, which only root may write: no other user
// can create it first.
func TestDefaultDirectoryIsUnderARootOnlyParent(t *testing.T) {
	if strings.HasPrefix(DefaultDir, "/run/lock/") || filepath.Dir(filepath.Dir(DefaultDir)) != "/run" {
		t.Fatalf("DefaultDir %s: want /run/<ours>/..., never the world-writable /run/lock", DefaultDir)
	}
}

// Issue 19 item 1: a run that converged from another configuration than the waiter
// read (an edit came between) does not cover the waiter, however late it ran.
func TestWaiterDoesNotCoalesceWithARunThatReadAnotherFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "locks")
	since := Now()
	holder, err := Acquire(bg, dir, "bond0", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	res := make(chan bool, 1)
	go func() {
		l, c, err := AcquireOrCoalesce(bg, dir, "bond0", 5*time.Second, since, "new")
		if err != nil {
			t.Error(err)
		}
		l.Release()
		res <- c
	}()
	time.Sleep(50 * time.Millisecond)
	if err := holder.Done("old"); err != nil {
		t.Fatal(err)
	}
	holder.Release()
	if <-res {
		t.Fatal("the waiter that read the new file coalesced with a run that read the old one")
	}
}

// Issue 19 item 7: a run told to stop (its context ends) stops waiting at once.
func TestCancelledWaiterStopsAtOnce(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "locks")
	holder, err := Acquire(bg, dir, "bond0", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Release()
	ctx, cancel := context.WithCancel(bg)
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	_, err = Acquire(ctx, dir, "bond0", 30*time.Second)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("want context.Canceled, got %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("stopped waiting after %v", d)
	}
}

// Issue 19 item 6: the parent (where the records live) is readable by all whatever the
// umask; the lock directory stays root-only.
func TestParentIsReadableLockDirIsNot(t *testing.T) {
	old := unix.Umask(0o077)
	defer unix.Umask(old)
	parent := filepath.Join(t.TempDir(), "run-bond-hotplug")
	dir := filepath.Join(parent, "lock")
	l, err := Acquire(bg, dir, "bond0", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	l.Release()
	for d, want := range map[string]os.FileMode{parent: 0o755, dir: 0o700} {
		st, err := os.Stat(d)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", d, st.Mode().Perm(), want)
		}
	}
	// An existing 0700 parent (made by an older version) is opened up too.
	if err := os.Chmod(parent, 0o700); err != nil {
		t.Fatal(err)
	}
	if l, err = Acquire(bg, dir, "bond0", time.Second); err != nil {
		t.Fatal(err)
	}
	l.Release()
	if st, _ := os.Stat(parent); st.Mode().Perm() != 0o755 {
		t.Errorf("existing parent: mode %v, want 0755", st.Mode().Perm())
	}
}
