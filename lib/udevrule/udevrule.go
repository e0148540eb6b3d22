// SPDX-License-Identifier: Apache-2.0

// Package udevrule owns the runtime udev rule that bond-up and bond-down keep under
// /run/udev/rules.d. It names the devices of the masters that are up (bond-up ran,
// bond-down has not since) and nothing else: udev marks those devices with
// BOND_HOTPLUG_MASTER and NM_UNMANAGED=1, and the installed 90-bond-hotplug.rules runs
// bond-hotplug only for the slaves among them (BOND_HOTPLUG_SLAVE=1). A device of no master that is up (a
// container's veth, a VPN tunnel, a NIC of a master that is down) costs no process of
// ours, and NetworkManager leaves alone exactly the devices we manage.
package udevrule

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// Path is where the rule lives. It sorts after 80-net-setup-link.rules (NAME is the
// final interface name) and NetworkManager's 85-nm-unmanaged.rules (our NM_UNMANAGED
// wins), and before 90-bond-hotplug.rules, which reads BOND_HOTPLUG_MASTER. /run is a
// tmpfs: after a reboot no master is up until bond-up@ runs, and so no rule exists.
const Path = "/run/udev/rules.d/89-bond-hotplug-up.rules"

// Master is a master that is up and the devices that are its own.
type Master struct {
	Name string
	// Slaves are names and globs in path.Match syntax, as lib/config stores them
	// ("[^...]" for a negated class).
	Slaves []string
}

// Glob translates one name or glob from path.Match syntax into udev's (fnmatch(3)
// without flags): '*', '?' and classes mean the same in both; a negated class is
// written "[!...]", which every fnmatch reads as negation ('^' is a glibc extension
// that POSIXLY_CORRECT turns off). What a rule value cannot hold verbatim or udev
// would read differently (a backslash escape, '|' which separates alternatives, a
// quote, space, anything outside interface names) is refused: lib/config never stores
// it, so an error here is a bug, not a user's mistake.
func Glob(p string) (string, error) {
	if p == "" {
		return "", errors.New("empty pattern")
	}
	if _, err := path.Match(p, ""); err != nil {
		return "", fmt.Errorf("pattern %q: %w", p, err)
	}
	var b strings.Builder
	inClass := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '[' && !inClass:
			inClass = true
			b.WriteByte('[')
			if i+1 < len(p) && p[i+1] == '^' {
				b.WriteByte('!')
				i++
			}
			continue
		case c == ']' && inClass:
			inClass = false
		case c == '*' || c == '?' || c == '-' || c == '.' || c == '_':
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		default:
			return "", fmt.Errorf("pattern %q: %q at byte %d has no udev equivalent here", p, c, i)
		}
		b.WriteByte(c)
	}
	return b.String(), nil
}

const (
	header = `# Written by bond-up and bond-down (bond-hotplug); do not edit: the next bond-up or
# bond-down rewrites it, and it is removed when no master is up. The devices of the
# masters that are up: NetworkManager leaves them alone, and udev runs bond-hotplug
# for the slaves among them (BOND_HOTPLUG_SLAVE=1) only (90-bond-hotplug.rules). A device is matched by its final name: NAME
# once a rule renamed it on "add", else the kernel's name.
`
	upPrefix = "# up: "
	end      = "bond_hotplug_up_end"
)

// Text is the rule for the masters ms, or "" when none is up. Where two masters'
// globs match one device, the first by name wins (as lib/config decides): the masters
// are written last-first, so the first one's assignment comes last.
func Text(ms []Master) (string, error) {
	if len(ms) == 0 {
		return "", nil
	}
	ms = slices.Clone(ms)
	slices.SortFunc(ms, func(a, b Master) int { return strings.Compare(a.Name, b.Name) })
	var b strings.Builder
	b.WriteString(header)
	for _, m := range ms {
		fmt.Fprintf(&b, "%s%s\n", upPrefix, strings.Join(append([]string{m.Name}, m.Slaves...), " "))
	}
	// A wlan radio's rfkill switch: its unblock (RFKILL_STATE=1) runs bond-hotplug
	// --rfkill (90-bond-hotplug.rules), which sets our slaves of that radio up again
	// (cfg80211 set them down at the block). Only while a master is up, and only
	// unblocks of Wi-Fi radios: rare, and a radio that is not ours costs one short run.
	b.WriteString("SUBSYSTEM==\"rfkill\", ENV{RFKILL_TYPE}==\"wlan\", ENV{BOND_HOTPLUG_RFKILL}=\"1\", GOTO=\"" + end + "\"\n")
	fmt.Fprintf(&b, "SUBSYSTEM!=\"net\", GOTO=%q\n", end)
	for i := len(ms) - 1; i >= 0; i-- {
		m := ms[i]
		if err := checkMasterName(m.Name); err != nil {
			return "", err
		}
		var alts []string
		for _, s := range m.Slaves {
			g, err := Glob(s)
			if err != nil {
				return "", fmt.Errorf("%s: %w", m.Name, err)
			}
			alts = append(alts, g)
		}
		// The master is marked for NetworkManager only: its own events run nothing.
		// bond-up made it and converges it; systemd starts the DHCP units bound to
		// its device once udev has processed its add event, and a run of ours
		// there would only queue on bond-up's lock and hold them back.
		fmt.Fprintf(&b, "NAME==\"\", KERNEL==%q, ENV{BOND_HOTPLUG_MASTER}=%q, ENV{BOND_HOTPLUG_SLAVE}=\"\"\n", m.Name, m.Name)
		fmt.Fprintf(&b, "NAME==%q, ENV{BOND_HOTPLUG_MASTER}=%q, ENV{BOND_HOTPLUG_SLAVE}=\"\"\n", m.Name, m.Name)
		if len(alts) > 0 {
			match := strings.Join(alts, "|")
			fmt.Fprintf(&b, "NAME==\"\", KERNEL==%q, ENV{BOND_HOTPLUG_MASTER}=%q, ENV{BOND_HOTPLUG_SLAVE}=\"1\"\n", match, m.Name)
			fmt.Fprintf(&b, "NAME==%q, ENV{BOND_HOTPLUG_MASTER}=%q, ENV{BOND_HOTPLUG_SLAVE}=\"1\"\n", match, m.Name)
		}
	}
	b.WriteString("ENV{BOND_HOTPLUG_MASTER}==\"?*\", ENV{NM_UNMANAGED}=\"1\"\n")
	fmt.Fprintf(&b, "LABEL=%q\n", end)
	return b.String(), nil
}

// checkMasterName refuses a master name that a rule would read as a pattern.
func checkMasterName(n string) error {
	g, err := Glob(n)
	if err != nil || g != n || strings.ContainsAny(n, "*?[]") {
		return fmt.Errorf("master name %q cannot be named in a udev rule", n)
	}
	return nil
}

// Parse returns the masters a rule written by Text names (its "# up:" lines).
func Parse(text string) []Master {
	var out []Master
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), upPrefix)
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) > 0 {
			out = append(out, Master{Name: f[0], Slaves: f[1:]})
		}
	}
	return out
}

// Owner returns the master of ms whose devices include name: the master itself, else
// the first master by name whose globs match (what the rule says).
func Owner(ms []Master, name string) (string, bool) {
	best := ""
	for _, m := range ms {
		mine := m.Name == name
		for _, s := range m.Slaves {
			if ok, _ := path.Match(s, name); ok {
				mine = true
			}
		}
		if mine && (best == "" || m.Name < best) {
			best = m.Name
		}
	}
	return best, best != ""
}

// Read returns the rule file's text ("" when there is none).
func Read(file string) (string, error) {
	b, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read udev rule: %w", err)
	}
	return string(b), nil
}

// Write puts text in place atomically (a reader sees the old rule or the new one,
// never half of one), or removes the file when text is "". It reports whether the
// file changed.
func Write(file, text string) (changed bool, err error) {
	old, err := Read(file)
	if err != nil {
		return false, err
	}
	if old == text {
		return false, nil
	}
	if text == "" {
		if err := os.Remove(file); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return false, fmt.Errorf("remove udev rule: %w", err)
		}
		return true, nil
	}
	dir := filepath.Dir(file)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return false, fmt.Errorf("write udev rule: %w", err)
	}
	// udev reads only *.rules: the temporary name is never read half-written.
	f, err := os.CreateTemp(dir, "."+filepath.Base(file)+".*.tmp")
	if err != nil {
		return false, fmt.Errorf("write udev rule: %w", err)
	}
	tmp := f.Name()
	_, err = f.Write([]byte(text))
	err = errors.Join(err, f.Chmod(0o644), f.Close())
	if err == nil {
		err = os.Rename(tmp, file)
	}
	if err != nil {
		os.Remove(tmp)
		return false, fmt.Errorf("write udev rule %s: %w", file, err)
	}
	return true, nil
}
