// SPDX-License-Identifier: Apache-2.0

package config

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// Options change how Load reads the file.
type Options struct {
	// AllowInsecure skips the owner and permission checks, for tests run without
	// root. The file must still be a regular file no larger than MaxSize.
	AllowInsecure bool
}

// Load reads and parses the file at path. Unless opt.AllowInsecure, the file must be
// owned by root and not writable by group or others (ErrInsecure otherwise): it
// decides what root does to the network. A symbolic link is followed only if its
// target passes the same checks, and is reported in Warnings.
//
// Errors are an ErrorList, as from Parse; a missing file wraps fs.ErrNotExist.
func Load(path string, opt Options) (*Config, error) {
	e := &errs{path: path}
	data, notes := readFile(e, path, opt)
	if err := e.err(); err != nil {
		return nil, err
	}
	c, err := Parse(path, data)
	if err != nil {
		return nil, err
	}
	c.Warnings = append(notes, c.Warnings...)
	sum := sha256.Sum256(data)
	c.Digest = hex.EncodeToString(sum[:])
	return c, nil
}

func readFile(e *errs, path string, opt Options) ([]byte, []string) {
	lst, err := os.Lstat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			e.wrap(err, 0, "", "no such file; create it, or name another file with -c or %s", EnvPath)
		} else {
			e.wrap(err, 0, "", "cannot read: %v", unwrapPath(err))
		}
		return nil, nil
	}
	openPath, subject := path, ""
	var notes []string
	if lst.Mode()&fs.ModeSymlink != 0 {
		target, err := filepath.EvalSymlinks(path)
		if err != nil {
			e.wrap(err, 0, "", "symbolic link that cannot be followed: %v; name the real file with -c or %s", unwrapPath(err), EnvPath)
			return nil, nil
		}
		openPath, subject = target, fmt.Sprintf("symbolic link to %s: ", target)
		note := fmt.Sprintf("%s: symbolic link to %s", path, target)
		if !opt.AllowInsecure {
			note += " (followed: the target is owned by root and not writable by group or others)"
		}
		notes = append(notes, note)
		if lst, err = os.Stat(path); err != nil {
			e.wrap(err, 0, "", "%scannot read: %v", subject, unwrapPath(err))
			return nil, nil
		}
	}
	// Refuse devices and fifos before opening them: opening alone can have effects.
	if !lst.Mode().IsRegular() {
		e.add(0, "", "%snot a regular file (%s)", subject, describeMode(lst.Mode()))
		return nil, nil
	}
	// O_NOFOLLOW and the fstat below make the checks apply to the file actually read,
	// even if someone swaps the path in between.
	f, err := os.OpenFile(openPath, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			e.wrap(err, 0, "", "%sbecame a symbolic link while being opened", subject)
		} else {
			e.wrap(err, 0, "", "%scannot read: %v", subject, unwrapPath(err))
		}
		return nil, nil
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		e.wrap(err, 0, "", "%scannot stat: %v", subject, unwrapPath(err))
		return nil, nil
	}
	if !fi.Mode().IsRegular() {
		e.add(0, "", "%snot a regular file (%s)", subject, describeMode(fi.Mode()))
		return nil, nil
	}
	if !opt.AllowInsecure {
		if st, ok := fi.Sys().(*syscall.Stat_t); !ok {
			e.wrap(ErrInsecure, 0, "", "%scannot tell who owns it", subject)
		} else if st.Uid != 0 {
			e.wrap(ErrInsecure, 0, "", "%sowned by uid %d, must be root", subject, st.Uid)
		}
		if perm := fi.Mode().Perm(); perm&0o022 != 0 {
			e.wrap(ErrInsecure, 0, "", "%swritable by group or others (mode %04o)", subject, perm)
		}
		if len(e.list) > 0 {
			return nil, nil
		}
	}
	if fi.Size() > MaxSize {
		e.add(0, "", "%sfile is %d bytes, larger than the %d-byte limit; refusing to read it", subject, fi.Size(), MaxSize)
		return nil, nil
	}
	// The size can still change after fstat; never read more than the limit.
	data, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		e.wrap(err, 0, "", "%scannot read: %v", subject, unwrapPath(err))
		return nil, nil
	}
	if len(data) > MaxSize {
		e.add(0, "", "%sfile grew beyond the %d-byte limit while being read", subject, MaxSize)
		return nil, nil
	}
	return data, notes
}

// unwrapPath drops the *PathError's own copy of the path, which Error already shows.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func describeMode(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	}
	return "mode " + m.String()
}
