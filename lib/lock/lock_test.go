package lock

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSecondHolderWaitsThenTimesOut(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "locks")
	l, err := Acquire(dir, "bond0", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Acquire(dir, "bond0", 50*time.Millisecond); !errors.Is(err, ErrTimeout) {
		t.Fatalf("second Acquire: want ErrTimeout, got %v", err)
	}
	if _, err := Acquire(dir, "br0", 50*time.Millisecond); err != nil {
		t.Fatalf("another master's lock must be independent: %v", err)
	}
	l.Release()
	l2, err := Acquire(dir, "bond0", 50*time.Millisecond)
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
	if _, err := Acquire(dir, "bond0", 50*time.Millisecond); err == nil {
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
	if _, err := Acquire(link, "bond0", 50*time.Millisecond); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Fatalf("symlinked directory: %v", err)
	}
	open := filepath.Join(base, "open")
	os.MkdirAll(open, 0o700)
	os.Chmod(open, 0o777)
	if _, err := Acquire(open, "bond0", 50*time.Millisecond); err == nil || !strings.Contains(err.Error(), "writable") {
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
		l, err := Acquire(dir, "bond0", 10*time.Millisecond)
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
	l, err := Acquire(dir, "bond0", time.Second)
	if err != nil {
		t.Fatalf("after the holder was killed: %v", err)
	}
	l.Release()
}
