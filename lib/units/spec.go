// SPDX-License-Identifier: Apache-2.0

package units

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/bond-hotplug/bond-hotplug/lib/config"
)

// Spec describes one transient service. Every command is argv: no value from the
// configuration ever reaches a shell.
type Spec struct {
	Name        string
	Description string
	Device      string // the interface whose device unit the service binds to
	ExecStart   []string
	ExecStop    [][]string
	Restart     string // systemd Restart= value
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
func WPA(p Programs, ifname, conf string) (Spec, error) {
	if err := need(p.WPASupplicant, "wpa_supplicant"); err != nil {
		return Spec{}, err
	}
	sb := sandboxFor(RoleWPA, ifname)
	sb.SupplicantConf = conf
	return Spec{
		Name:        Name(RoleWPA, ifname),
		Description: "wpa_supplicant on " + ifname + " (bond-hotplug)",
		Device:      ifname,
		ExecStart:   []string{p.WPASupplicant, "-c" + conf, "-Dnl80211,wext,wired", "-i", ifname},
		// on-failure, not the seed's on-abnormal: wpa_supplicant reports a bad file
		// or a refused control interface with an exit code, and a card that comes
		// back (rfkill, firmware) deserves another try; at most 5 starts a minute,
		// then the unit stays failed and bond-up --status shows why.
		Restart:            "on-failure",
		RestartDelay:       2 * time.Second,
		StartLimitBurst:    5,
		StartLimitInterval: time.Minute,
		Before:             []string{"network-pre.target"},
		Wants:              []string{"network-pre.target"},
		Sandbox:            sb,
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

func dhcpSpec(role Role, master, what string, start []string, stop [][]string) Spec {
	stop = released(start[0], master, stop)
	return Spec{
		Name:        Name(role, master),
		Description: what + " on " + master + " (bond-hotplug)",
		Device:      master,
		ExecStart:   start,
		ExecStop:    stop,
		// on-failure, not on-abnormal: the supervisor is the main process, and a
		// client that crashed (SIGSEGV, SIGKILL) reaches systemd as the supervisor's
		// exit 1, which on-abnormal ignores. At most 5 starts a minute.
		Restart:            "on-failure",
		RestartDelay:       2 * time.Second,
		StartLimitBurst:    5,
		StartLimitInterval: time.Minute,
		TimeoutStop:        5 * time.Second,
		After:              []string{"network-pre.target"},
		Before:             []string{"network.target"},
		Wants:              []string{"network.target"},
		Sandbox:            sandboxFor(role, master),
	}
}

// DHCP4 is the DHCPv4 client on a master.
func DHCP4(p Programs, master string, d config.DHCP) (Spec, error) {
	switch d.Client {
	case "", "dhclient":
		if err := need(p.Dhclient, "dhclient"); err != nil {
			return Spec{}, err
		}
		pid := "/run/" + RuntimeDir(RoleDHCP4, master) + "/dhclient.pid"
		lf := LeaseFile("", master)
		start, err := supervised(p, master, "--supervise", []string{p.Dhclient, "-4", "-d", "-pf", pid, "-lf", lf, master})
		if err != nil {
			return Spec{}, err
		}
		// -r releases the lease and stops the client named by the pid file.
		return dhcpSpec(RoleDHCP4, master, "DHCPv4 (dhclient)", start,
			[][]string{{p.Dhclient, "-4", "-r", "-pf", pid, "-lf", lf, master}}), nil
	case "dhcpcd":
		if err := need(p.Dhcpcd, "dhcpcd"); err != nil {
			return Spec{}, err
		}
		// --noarp: dhcpcd's default probes the offered address by ARP (RFC 5227)
		// before it binds it, 5.3 s in the lab (docs/BENCHMARKS.md, measure 7)
		// between the DHCPACK and the address; dhclient, NetworkManager and
		// systemd-networkd do not probe by default. It also turns off dhcpcd's
		// IPv4 link-local fallback (169.254/16), which dhclient has no counterpart of.
		// --nodelay: no random wait (up to 2 s) before the first DISCOVER: the
		// supervisor starts the client once, when the link is up and its MAC has
		// settled, so there is no crowd of clients to spread out (dhclient waits
		// none either).
		// --persistent: its exit leaves the address (dhcpcd's default removes it),
		// so that the supervisor's restart after a move (INIT-REBOOT from the lease
		// file) costs no outage on the same network; -k still releases and removes.
		start, err := supervised(p, master, "--supervise", []string{p.Dhcpcd, "-4", "--noarp", "--nodelay", "--persistent", "-B", master})
		if err != nil {
			return Spec{}, err
		}
		s := dhcpSpec(RoleDHCP4, master, "DHCPv4 (dhcpcd)", start,
			[][]string{{p.Dhcpcd, "-4", "-k", master}})
		s.Sandbox = dhcpcdSandbox(s.Sandbox)
		return s, nil
	}
	return Spec{}, fmt.Errorf("unknown DHCPv4 client %q", d.Client)
}

// DHCP6 is the DHCPv6 client on a master.
func DHCP6(p Programs, master string, d config.DHCP) (Spec, error) {
	switch d.Client {
	case "", "dhcp6c":
		if err := need(p.Dhcp6c, "dhcp6c"); err != nil {
			return Spec{}, err
		}
		start, err := supervised(p, master, "--wait-then", []string{p.Dhcp6c, "-f", "-P", "default",
			"-c", "/etc/wide-dhcpv6/dhcp6c.conf", "-p", "/run/" + RuntimeDir(RoleDHCP6, master) + "/dhcp6c.pid", master})
		if err != nil {
			return Spec{}, err
		}
		// dhcp6c sends RELEASE on SIGTERM, the default stop signal; the supervisor
		// passes it on.
		return dhcpSpec(RoleDHCP6, master, "DHCPv6 (dhcp6c)", start, nil), nil
	case "dhclient":
		if err := need(p.Dhclient, "dhclient"); err != nil {
			return Spec{}, err
		}
		pid := "/run/" + RuntimeDir(RoleDHCP6, master) + "/dhclient.pid"
		lf := LeaseFile("6", master)
		start, err := supervised(p, master, "--wait-then", []string{p.Dhclient, "-6", "-d", "-pf", pid, "-lf", lf, master})
		if err != nil {
			return Spec{}, err
		}
		return dhcpSpec(RoleDHCP6, master, "DHCPv6 (dhclient)", start,
			[][]string{{p.Dhclient, "-6", "-r", "-pf", pid, "-lf", lf, master}}), nil
	case "dhcpcd":
		if err := need(p.Dhcpcd, "dhcpcd"); err != nil {
			return Spec{}, err
		}
		// --nodelay: no random wait (up to 1 s each) before the first Router
		// Solicitation and the first Solicit; --wait-then starts the client once
		// the link-local address is usable. --persistent as for DHCPv4: the restart
		// after a move Confirms the lease with the address in place.
		start, err := supervised(p, master, "--wait-then", []string{p.Dhcpcd, "-6", "--nodelay", "--persistent", "-B", master})
		if err != nil {
			return Spec{}, err
		}
		s := dhcpSpec(RoleDHCP6, master, "DHCPv6 (dhcpcd)", start,
			[][]string{{p.Dhcpcd, "-6", "-k", master}})
		s.Sandbox = dhcpcdSandbox(s.Sandbox)
		return s, nil
	}
	return Spec{}, fmt.Errorf("unknown DHCPv6 client %q", d.Client)
}
