// SPDX-License-Identifier: Apache-2.0

package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

const goodConf = "bond0SLAVES='enp3s0 wl*'\nbond0PRIMARY=enp3s0\n"

// writeConf writes a config file with an exact mode (umask does not apply).
func writeConf(t *testing.T, name string, mode fs.FileMode) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(goodConf), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
	return p
}

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to chown")
	}
}

// loadErr loads p, expecting failure, and checks the message and ErrInsecure.
func loadErr(t *testing.T, p string, insecure bool, want ...string) {
	t.Helper()
	c, err := Load(p, Options{})
	if err == nil {
		t.Fatalf("Load(%s) accepted it: %+v", p, c)
	}
	var e *Error
	if !errors.As(err, &e) || e.Path != p {
		t.Errorf("error %v is not a *Error for %s", err, p)
	}
	if errors.Is(err, ErrInsecure) != insecure {
		t.Errorf("errors.Is(ErrInsecure) = %v, want %v: %v", !insecure, insecure, err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q lacks %q", err, w)
		}
	}
}

func TestLoadAcceptsARootOwnedFileNotWritableByOthers(t *testing.T) {
	needRoot(t)
	p := writeConf(t, "network.conf", 0o644)
	c, err := Load(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Master("bond0"); !ok || c.Path != p {
		t.Errorf("config %+v", c)
	}
}

func TestLoadRefusesAFileOwnedByAnotherUser(t *testing.T) {
	needRoot(t)
	p := writeConf(t, "network.conf", 0o644)
	if err := os.Chown(p, 1000, 1000); err != nil {
		t.Fatal(err)
	}
	loadErr(t, p, true, p+": owned by uid 1000, must be root")
}

func TestLoadRefusesAFileWritableByOthers(t *testing.T) {
	needRoot(t)
	loadErr(t, writeConf(t, "network.conf", 0o666), true, "writable by group or others (mode 0666)")
}

func TestLoadRefusesAFileWritableByGroup(t *testing.T) {
	needRoot(t)
	loadErr(t, writeConf(t, "network.conf", 0o664), true, "writable by group or others (mode 0664)")
}

func TestLoadReportsOwnerAndModeTogether(t *testing.T) {
	needRoot(t)
	p := writeConf(t, "network.conf", 0o666)
	if err := os.Chown(p, 1000, 1000); err != nil {
		t.Fatal(err)
	}
	loadErr(t, p, true, "owned by uid 1000", "mode 0666")
}

func TestLoadRefusesASymlinkToAFileWritableByOthers(t *testing.T) {
	needRoot(t)
	target := writeConf(t, "real.conf", 0o666)
	link := filepath.Join(t.TempDir(), "network.conf")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	loadErr(t, link, true, "symbolic link to "+target, "mode 0666")
}

func TestLoadFollowsASymlinkToASafeFileAndSaysSo(t *testing.T) {
	needRoot(t)
	target := writeConf(t, "real.conf", 0o644)
	link := filepath.Join(t.TempDir(), "network.conf")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	c, err := Load(link, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Warnings) != 1 || !strings.HasPrefix(c.Warnings[0], link+": symbolic link to "+target) {
		t.Errorf("warnings %q", c.Warnings)
	}
}

func TestLoadRefusesADirectory(t *testing.T) {
	dir := t.TempDir()
	for _, opt := range []Options{{}, {AllowInsecure: true}} {
		_, err := Load(dir, opt)
		if err == nil || !strings.Contains(err.Error(), dir+": not a regular file (a directory)") {
			t.Errorf("Load(dir, %+v) = %v", opt, err)
		}
	}
}

func TestLoadRefusesAFifoWithoutBlocking(t *testing.T) {
	p := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	_, err := Load(p, Options{AllowInsecure: true})
	if err == nil || !strings.Contains(err.Error(), "not a regular file (a named pipe)") {
		t.Errorf("Load(fifo) = %v", err)
	}
}

func TestLoadExplainsAMissingFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "network.conf")
	_, err := Load(p, Options{})
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("errors.Is(fs.ErrNotExist) is false: %v", err)
	}
	for _, w := range []string{p, "-c", EnvPath} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("error %v lacks %q", err, w)
		}
	}
}

func TestLoadExplainsADanglingSymlink(t *testing.T) {
	link := filepath.Join(t.TempDir(), "network.conf")
	if err := os.Symlink("/nonexistent/network.conf", link); err != nil {
		t.Fatal(err)
	}
	_, err := Load(link, Options{})
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("Load(dangling) = %v", err)
	}
}

func TestLoadExplainsAnUnreadableFile(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root can read any file")
	}
	p := writeConf(t, "network.conf", 0o000)
	_, err := Load(p, Options{AllowInsecure: true})
	if !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), p+": cannot read") {
		t.Errorf("Load(unreadable) = %v", err)
	}
}

func TestLoadRefusesALargeFileWithoutReadingIt(t *testing.T) {
	p := writeConf(t, "network.conf", 0o644)
	if err := os.Truncate(p, 10<<20); err != nil {
		t.Fatal(err)
	}
	_, err := Load(p, Options{AllowInsecure: true})
	if err == nil || !strings.Contains(err.Error(), "10485760 bytes, larger than") {
		t.Errorf("Load(10 MB) = %v", err)
	}
}

func TestAllowInsecureSkipsOwnerAndModeChecks(t *testing.T) {
	p := writeConf(t, "network.conf", 0o666)
	if os.Geteuid() == 0 {
		if err := os.Chown(p, 1000, 1000); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Load(p, Options{AllowInsecure: true}); err != nil {
		t.Fatal(err)
	}
}

func TestLoadReportsParseErrorsWithThePath(t *testing.T) {
	p := writeConf(t, "network.conf", 0o644)
	if err := os.WriteFile(p, []byte("# x\nbond0MODE=fast\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(p, Options{AllowInsecure: true})
	if err == nil || !strings.HasPrefix(err.Error(), p+":2: ") {
		t.Errorf("Load = %v", err)
	}
}
