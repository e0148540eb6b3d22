// SPDX-License-Identifier: Apache-2.0

package units

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Spec describes one transient service. Every command is argv: no value from the
// configuration ever reaches a shell.
type Spec struct {
	Name        string
	Description string
	Device      string // the interface whose device unit the service binds to
	// DevicePath, when known, is the sysfs path of that interface's device: the unit
	// binds to it instead of the name's device unit (see Card).
	DevicePath string
	ExecStart  []string
	ExecStop   [][]string
	// Type is systemd's Type= ("": simple, started once forked). "exec": started once
	// the program runs, past the sandbox's set-up (the DHCPv4 unit, dhcpSpec).
	Type string
	// StartAfter names a unit whose start, when the same manager asked for it and
	// systemd has not finished it yet, Start waits for (bounded) before it starts this
	// one: the DHCPv6 unit after the DHCPv4 unit, so that their sandboxes are not set
	// up at the same moment (dhcpSpec). Not an After= dependency: that would keep the
	// named unit loaded while this one runs, and a stopped transient unit that stays
	// loaded cannot be started again with a new command line.
	StartAfter string
	Restart    string // systemd Restart= value
	// RestartDelay and the start limit (StartLimitBurst starts within
	// StartLimitInterval) bound a restarting client (0: systemd's defaults).
	RestartDelay       time.Duration
	StartLimitBurst    uint32
	StartLimitInterval time.Duration
	// TimeoutStop bounds a stop (0: systemd's default). dhcp6c retransmits its
	// Release for ~20 s when the server is gone; shutdown must not wait that long.
	TimeoutStop time.Duration
	// Ordering like the seed's units: supplicants before network-pre.target, DHCP clients
	// between network-pre.target and network.target, so that on shutdown the clients
	// release their leases before the supplicants go.
	Before []string
	After  []string
	Wants  []string
	// Sandbox is the unit's hardening (sandbox.go); nil: none.
	Sandbox *Sandbox
}

// String is a one-line, stable rendering used in plans and golden tests.
func (s Spec) String() string {
	return fmt.Sprintf("%s: %s", s.Name, strings.Join(s.ExecStart, " "))
}

// Programs are the absolute paths of the helpers we start. They are looked up at run
// time because distributions disagree (Debian keeps them in /usr/sbin, Arch in /usr/bin).
type Programs struct {
	Self          string // bond-hotplug, for the DHCP wait step
	WPASupplicant string
	Dhclient      string
	Dhcp6c        string
	Dhcpcd        string
}

// sbinDirs are searched after $PATH: udev and systemd give their children a PATH that
// may lack the sbin directories.
var sbinDirs = []string{"/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/local/bin", "/usr/bin", "/bin"}

// Find returns the absolute path of prog, or an error naming it.
// The directory is given without symlinks: the command line is recorded, and a unit
// whose recorded command line differs is restarted, so /sbin/dhclient (a $PATH with
// /sbin first, on a merged /usr) and /usr/sbin/dhclient (udev's) must be one spelling,
// or every other run would restart the DHCP client and release its lease. The name
// itself is kept (a multi-call binary looks at it).
func Find(prog string) (string, error) {
	if p, err := exec.LookPath(prog); err == nil {
		if abs, err := filepath.Abs(p); err == nil {
			return canonicalDir(abs), nil
		}
	}
	for _, d := range sbinDirs {
		p := filepath.Join(d, prog)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return canonicalDir(p), nil
		}
	}
	return "", fmt.Errorf("%s: %w", prog, exec.ErrNotFound)
}

// canonicalDir resolves the symlinks of p's directory, keeping its last element.
func canonicalDir(p string) string {
	if d, err := filepath.EvalSymlinks(filepath.Dir(p)); err == nil {
		return filepath.Join(d, filepath.Base(p))
	}
	return p
}

// FindPrograms looks up every helper. Missing ones stay empty; the spec builders report
// them only when a unit that needs them is wanted.
func FindPrograms() Programs {
	var p Programs
	p.Self, _ = selfSibling("bond-hotplug")
	p.WPASupplicant, _ = Find("wpa_supplicant")
	p.Dhclient, _ = Find("dhclient")
	p.Dhcp6c, _ = Find("dhcp6c")
	p.Dhcpcd, _ = Find("dhcpcd")
	return p
}

// selfSibling finds prog next to the running binary (all three are installed together),
// falling back to $PATH.
func selfSibling(prog string) (string, error) {
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), prog)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return Find(prog)
}

func need(path, prog string) error {
	if path == "" {
		return fmt.Errorf("%s not found in $PATH or %s: %w", prog, strings.Join(sbinDirs, ":"), exec.ErrNotFound)
	}
	return nil
}

// WPA is wpa_supplicant on a slave, as the seed's supplicant@.service runs it.
func WPA(p Programs, card Card, conf string) (Spec, error) {
	if err := need(p.WPASupplicant, "wpa_supplicant"); err != nil {
		return Spec{}, err
	}
	ifname := card.Name
	sb := sandboxFor(RoleWPA, ifname)
	sb.SupplicantConf = conf
	return Spec{
		Name:        Name(RoleWPA, ifname),
		Description: card.describe("wpa_supplicant on " + ifname + " (bond-hotplug"),
		Device:      ifname,
		DevicePath:  card.Path,
		ExecStart:   []string{p.WPASupplicant, "-c" + conf, "-Dnl80211,wext,wired", "-i", ifname},
		// on-failure, not the seed's on-abnormal: wpa_supplicant reports a bad file
		// or a refused control interface with an exit code, and a card that comes
		// back (rfkill, firmware) deserves another try; at most 5 starts a minute,
		// then the unit stays failed and bond-up --status shows why.
		Restart:            "on-failure",
		RestartDelay:       2 * time.Second,
		StartLimitBurst:    5,
		StartLimitInterval: time.Minute,
		// A run that replaces the supplicant of a swapped card waits for its stop
		// while udev holds the new card's event: not systemd's 90 s if
		// wpa_supplicant hangs on a card that is gone.
		TimeoutStop: 5 * time.Second,
		Before:      []string{"network-pre.target"},
		Wants:       []string{"network-pre.target"},
		Sandbox:     sb,
	}, nil
}

// supervised wraps a DHCP client in bond-hotplug's supervisor, which first waits until
// the master has an active slave with carrier (so that the client adopts the MAC that
// carries traffic, where the seed slept a fixed 8 seconds) and, for DHCPv4, restarts
// the client if the MAC changes before it holds a lease. The wait is in the main
// process, not an ExecStartPre: the start job completes at once, so a master with no
// slave never holds up network.target and the boot.
func supervised(p Programs, master, flag string, client []string) ([]string, error) {
	if err := need(p.Self, "bond-hotplug"); err != nil {
		return nil, err
	}
	return append([]string{p.Self, flag, master, "--"}, client...), nil
}

// released wraps each release command in `bond-hotplug --release`, which skips it when
// the client already died (a crash: the restart reclaims the lease). self is the
// supervisor's path, start[0].
func released(self, master string, stop [][]string) [][]string {
	var out [][]string
	for _, c := range stop {
		out = append(out, append([]string{self, "--release", master, "--"}, c...))
	}
	return out
}

// LeaseFile is dhclient's lease file for a master: its own, so two masters never mix
// leases (dhclient's default file is shared). The name fits the distributions'
// AppArmor profile for dhclient (/var/lib/dhcp/dhclient*).
func LeaseFile(family, master string) string {
	return "/var/lib/dhcp/dhclient" + family + "-bond-hotplug-" + master + ".leases"
}
