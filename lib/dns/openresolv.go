// SPDX-License-Identifier: Apache-2.0

package dns

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// OpenresolvDir is openresolv's state directory as distributions build it
// (./configure on Linux: VARDIR=/run/resolvconf; Debian's /sbin/resolvconf says so).
// The DHCP units' sandbox opens the same path for writing (lib/units, sandboxDHCP4).
const OpenresolvDir = "/run/resolvconf"

// PrepareOpenresolv makes openresolv's state directory, the way openresolv makes it
// at its first run (mkdir -m 0755), when openresolv is the system's resolvconf and
// the directory does not exist; it reports whether it made it. It runs before a DHCP
// unit starts, outside its sandbox: inside, /run is read-only and ReadWritePaths
// opens only a path that exists when the unit starts, so openresolv's own mkdir
// fails there ("Failed to create needed directory"). At boot nothing else may have
// run openresolv before the first lease: /run is empty and, unlike Debian's
// resolvconf, openresolv ships no boot unit or tmpfiles.d entry for it. (openresolv's
// -I initialises the directory too, but also deletes every record in it: not ours
// to call when another program's records may be there.) Debian's resolvconf and
// systemd's shim are left alone: they make their own directories at boot.
func PrepareOpenresolv(lookPath func(string) (string, error), dir string) (bool, error) {
	if _, err := os.Lstat(dir); err == nil {
		return false, nil // there already (a directory, or a link openresolv follows)
	}
	p, err := lookPath("resolvconf")
	if err != nil {
		return false, nil
	}
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		real = p
	}
	if !isOpenresolv(real) {
		return false, nil
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return false, nil // made meanwhile (openresolv itself, another run of ours)
		}
		return false, fmt.Errorf("openresolv's state directory: %w", err)
	}
	// Mkdir's mode is cut by the umask; openresolv's is 0755 whatever the umask.
	if err := os.Chmod(dir, 0o755); err != nil {
		return true, fmt.Errorf("openresolv's state directory: %w", err)
	}
	return true, nil
}

// LookPath finds a program as the DNS backends do: $PATH, then the sbin directories.
func LookPath(prog string) (string, error) { return lookPath(prog) }
