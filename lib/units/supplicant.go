// SPDX-License-Identifier: Apache-2.0

package units

import (
	"bufio"
	"bytes"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// supplicantFile is what a wpa_supplicant configuration file asks of the unit's
// sandbox: its global settings that touch the file system (wpa_supplicant.conf(5)).
type supplicantFile struct {
	// CtrlDir is the control interface's directory ("" none), CtrlGroup its group
	// ("" root's). Two spellings: the seed's `ctrl_interface=/var/run/wpa_supplicant`
	// with `ctrl_interface_group=wheel`, and Debian's
	// `ctrl_interface=DIR=/run/wpa_supplicant GROUP=netdev` (GROUP= wins).
	CtrlDir   string
	CtrlGroup string
	// UpdateConfig is `update_config=1`: `wpa_cli save_config` (and wpa_gui) rewrite
	// the file.
	UpdateConfig bool
}

// parseSupplicantFile reads the global lines of a wpa_supplicant configuration, the
// way wpa_supplicant does (config_file.c): leading blanks skipped, `#` lines ignored,
// `name=value` with the value up to the end of the line; lines inside network={} and
// cred={} blocks are not global.
func parseSupplicantFile(text []byte) supplicantFile {
	var f supplicantFile
	var ctrl, group string
	depth := 0
	sc := bufio.NewScanner(bytes.NewReader(text))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		if strings.HasSuffix(line, "={") {
			depth++
			continue
		}
		if line == "}" {
			if depth > 0 {
				depth--
			}
			continue
		}
		if depth > 0 {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		switch name {
		case "ctrl_interface":
			ctrl = value
		case "ctrl_interface_group":
			group = strings.Trim(value, `"`)
		case "update_config":
			f.UpdateConfig = value == "1"
		}
	}
	if ctrl == "" {
		return f
	}
	// ctrl_iface_unix.c: "DIR=dir GROUP=group", or the directory alone.
	if dir, ok := strings.CutPrefix(ctrl, "DIR="); ok {
		if d, g, ok := strings.Cut(dir, " GROUP="); ok {
			dir, group = d, g
		}
		ctrl = dir
	}
	f.CtrlDir = strings.TrimSpace(ctrl)
	f.CtrlGroup = strings.TrimSpace(group)
	return f
}

// rootGroup reports whether a group named in a configuration is root's own, which
// root may give its files without CAP_CHOWN.
func rootGroup(g string) bool {
	return g == "" || g == "0" || g == "root"
}

// forSupplicantFile amends the supplicant's sandbox for what its configuration file
// (confPath, its contents f) asks, and nothing more:
//
//   - a control interface in /run (or /var/run, a link to /run wherever systemd
//     runs): systemd creates the directory for the unit (RuntimeDirectory, kept
//     when the unit stops: two cards share it), writable whatever the sandbox
//     makes of the rest of /run; elsewhere, the directory is made writable if it
//     exists;
//   - its group (the seed's `ctrl_interface_group=wheel`, Debian's `GROUP=netdev`):
//     wpa_supplicant lchown()s the directory and its socket to that group: the
//     @chown calls (refused, even for gid 0: "lchown[ctrl_interface=/run/
//     wpa_supplicant,gid=0]: Operation not permitted"), and CAP_CHOWN for a group
//     root is not a member of; without it: "lchown[ctrl_interface=/var/run/wpa_supplicant,gid=106]: Operation
//     not permitted", "Failed to initialize control interface", exit 255;
//   - any control interface: wpa_cli binds its end of the socket as
//     /tmp/wpa_ctrl_PID-N, and wpa_supplicant sends its answers there, so the unit
//     sees the host's /tmp (PrivateTmp=no; still read-only for it); with a private
//     /tmp every wpa_cli command times out ("'STATUS' command timed out.");
//   - for a group member's wpa_cli: that socket is the member's, mode 0755 under
//     the usual umask 022, and root may send to it only with CAP_DAC_OVERRIDE
//     (without: the same time-out). The unit can write no more files for it:
//     ProtectSystem=strict leaves the paths above writable, nothing else;
//   - `update_config=1` (the seed's file): `wpa_cli save_config` writes
//     FILE.tmp next to the file and renames it over the file, so the file's
//     directory (/etc/wpa_supplicant) is writable, symlinks resolved by resolve.
func forSupplicantFile(s Sandbox, confPath string, f supplicantFile, resolve func(string) string) Sandbox {
	c := s
	c.Caps = append([]string{}, s.Caps...)
	c.ReadWrite = append([]string{}, s.ReadWrite...)
	c.SharedRuntimeDirs = append([]string{}, s.SharedRuntimeDirs...)
	if d := path.Clean(f.CtrlDir); f.CtrlDir != "" && path.IsAbs(d) {
		rel := ""
		for _, run := range []string{"/run/", "/var/run/"} {
			if r, ok := strings.CutPrefix(d, run); ok {
				rel = r
			}
		}
		if rel != "" {
			c.SharedRuntimeDirs = append(c.SharedRuntimeDirs, rel)
		} else {
			c.ReadWrite = append(c.ReadWrite, "-"+d)
		}
		c.HostTmp = true
		if f.CtrlGroup != "" {
			c.Chown = true
		}
		if !rootGroup(f.CtrlGroup) {
			c.Caps = append(c.Caps, "CAP_CHOWN", "CAP_DAC_OVERRIDE")
		}
	}
	if f.UpdateConfig && confPath != "" {
		c.ReadWrite = append(c.ReadWrite, filepath.Dir(resolve(confPath)))
	}
	return c
}

// resolveLinks is filepath.EvalSymlinks that keeps the path when it cannot resolve
// it (a missing file: wpa_supplicant then fails and says so itself).
func resolveLinks(p string) string {
	if r, err := filepath.EvalSymlinks(p); err == nil {
		return r
	}
	return p
}

// withSupplicantConf reads the supplicant's configuration file, when the sandbox has
// one, and amends the sandbox for it (forSupplicantFile). It runs when the unit is
// started, so that an edited file is honoured by the next start. An unreadable file
// leaves the sandbox as it is: wpa_supplicant fails on it and says why.
func withSupplicantConf(s *Sandbox) *Sandbox {
	if s == nil || s.SupplicantConf == "" {
		return s
	}
	text, err := os.ReadFile(s.SupplicantConf)
	if err != nil {
		return s
	}
	c := forSupplicantFile(*s, s.SupplicantConf, parseSupplicantFile(text), resolveLinks)
	return &c
}
