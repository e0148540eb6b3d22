// SPDX-License-Identifier: Apache-2.0

package units

import (
	"fmt"
	"time"

	"github.com/bond-hotplug/bond-hotplug/lib/config"
)

// dhcpKey names one DHCP client for one family (4 or 6).
type dhcpKey struct {
	family int
	client string
}

// dhcpClient is everything a DHCP unit needs of one client. run is the unit's
// runtime directory (/run/bond-hotplug/ROLE-MASTER: pid files).
type dhcpClient struct {
	// path is the client's program among the helpers found.
	path func(p Programs) string
	// start is the client's command line, which the supervisor runs (supervised).
	start func(path, master, run string) []string
	// stop are its release commands (ExecStop, through --release); none: SIGTERM.
	stop func(path, master, run string) [][]string
	// sandbox adds what the client needs beyond the role's sandbox (nil: nothing).
	sandbox func(*Sandbox) *Sandbox
}

// dhcpClients is the one table of the DHCP clients. The configuration's
// <master>DHCP_CLIENT and DHCP6_CLIENT accept the names in config.DHCP4Clients and
// config.DHCP6Clients (lib/config cannot import this package, which imports it);
// TestDHCPClientTableIsTheConfigurationsChoice holds the two to each other.
var dhcpClients = map[dhcpKey]dhcpClient{
	{4, "dhclient"}: {
		path: func(p Programs) string { return p.Dhclient },
		start: func(path, master, run string) []string {
			return []string{path, "-4", "-d", "-pf", run + "/dhclient.pid", "-lf", LeaseFile("", master), master}
		},
		// -r releases the lease and stops the client named by the pid file.
		stop: func(path, master, run string) [][]string {
			return [][]string{{path, "-4", "-r", "-pf", run + "/dhclient.pid", "-lf", LeaseFile("", master), master}}
		},
	},
	{4, "dhcpcd"}: {
		path: func(p Programs) string { return p.Dhcpcd },
		// --noarp: dhcpcd's default probes the offered address by ARP (RFC 5227)
		// before it binds it, 5.3 s in the lab (docs/BENCHMARKS.md, measure 7)
		// between the DHCPACK and the address; dhclient, NetworkManager and
		// systemd-networkd do not probe by default. It also turns off dhcpcd's
		// IPv4 link-local fallback (169.254/16), which dhclient has no counterpart of.
		// --nodelay: no random wait (up to 2 s) before the first DISCOVER: the
		// supervisor starts the client once, when the link is up and its MAC has
		// settled, so there is no crowd of clients to spread out (dhclient waits
		// none either).
		// --nohook resolv.conf: its 20-resolv.conf hook does not write DNS itself;
		// bond-hotplug's hook (21-bond-hotplug) hands it to --dns-update, merged with
		// the DHCPv6 lease's (lib/dns).
		// --persistent: its exit leaves the address (dhcpcd's default removes it),
		// so that the supervisor's restart after a move (INIT-REBOOT from the lease
		// file) costs no outage on the same network; -k still releases and removes.
		start: func(path, master, _ string) []string {
			return []string{path, "-4", "--noarp", "--nodelay", "--nohook", "resolv.conf", "--persistent", "-B", master}
		},
		stop:    func(path, master, _ string) [][]string { return [][]string{{path, "-4", "-k", master}} },
		sandbox: dhcpcdSandbox,
	},
	{6, "dhcp6c"}: {
		path: func(p Programs) string { return p.Dhcp6c },
		start: func(path, master, run string) []string {
			return []string{path, "-f", "-P", "default", "-c", "/etc/wide-dhcpv6/dhcp6c.conf", "-p", run + "/dhcp6c.pid", master}
		},
		// dhcp6c sends RELEASE on SIGTERM, the default stop signal; the supervisor
		// passes it on.
		stop: func(string, string, string) [][]string { return nil },
	},
	{6, "dhclient"}: {
		path: func(p Programs) string { return p.Dhclient },
		start: func(path, master, run string) []string {
			return []string{path, "-6", "-d", "-pf", run + "/dhclient.pid", "-lf", LeaseFile("6", master), master}
		},
		stop: func(path, master, run string) [][]string {
			return [][]string{{path, "-6", "-r", "-pf", run + "/dhclient.pid", "-lf", LeaseFile("6", master), master}}
		},
	},
	{6, "dhcpcd"}: {
		path: func(p Programs) string { return p.Dhcpcd },
		// --nodelay: no random wait (up to 1 s each) before the first Router
		// Solicitation and the first Solicit; --wait-then starts the client once
		// the link-local address is usable. --persistent as for DHCPv4: the restart
		// after a move Confirms the lease with the address in place.
		start: func(path, master, _ string) []string {
			return []string{path, "-6", "--nodelay", "--nohook", "resolv.conf", "--persistent", "-B", master}
		},
		stop:    func(path, master, _ string) [][]string { return [][]string{{path, "-6", "-k", master}} },
		sandbox: dhcpcdSandbox,
	},
}

// DHCP4 is the DHCPv4 client on a master.
func DHCP4(p Programs, master string, d config.DHCP) (Spec, error) {
	return dhcpUnit(p, 4, master, d.Client)
}

// DHCP6 is the DHCPv6 client on a master.
func DHCP6(p Programs, master string, d config.DHCP) (Spec, error) {
	return dhcpUnit(p, 6, master, d.Client)
}

// dhcpUnit is the unit of the family's client on master ("": the default client).
// DHCPv4 runs under --supervise (it waits for the MAC and restarts the client when it
// changes before a lease), DHCPv6 under --wait-then (it waits for a usable link-local
// address).
func dhcpUnit(p Programs, family int, master, client string) (Spec, error) {
	role, flag, def := RoleDHCP4, "--supervise", config.DefaultDHCPClient
	if family == 6 {
		role, flag, def = RoleDHCP6, "--wait-then", config.DefaultDHCP6Client
	}
	if client == "" {
		client = def
	}
	c, ok := dhcpClients[dhcpKey{family, client}]
	if !ok {
		return Spec{}, fmt.Errorf("unknown DHCPv%d client %q", family, client)
	}
	path := c.path(p)
	if err := need(path, client); err != nil {
		return Spec{}, err
	}
	run := "/run/" + RuntimeDir(role, master)
	start, err := supervised(p, master, flag, c.start(path, master, run))
	if err != nil {
		return Spec{}, err
	}
	s := dhcpSpec(role, master, fmt.Sprintf("DHCPv%d (%s)", family, client), start, c.stop(path, master, run))
	if c.sandbox != nil {
		s.Sandbox = c.sandbox(s.Sandbox)
	}
	return s, nil
}

// dhcpSpec is the unit around a client's start and stop commands, the same for every
// client.
func dhcpSpec(role Role, master, what string, start []string, stop [][]string) Spec {
	stop = released(start[0], master, stop)
	// When one run starts both, the DHCPv6 unit is started once the DHCPv4 unit's
	// supervisor was executed (Type=exec, StartAfter). Set up at the same moment, the
	// two sandboxes and Go starts shared the CPUs: in the lab (2 vCPUs, TCG) the IPv4
	// lease came 0.2-0.7 s later with the DHCPv6 unit beside it (docs/BENCHMARKS.md,
	// issue 20, sixth session). The DHCPv6 client waits for the link-local address
	// anyway. A DHCPv6 unit started alone (DHCPv4 running already, or DHCP='no')
	// starts at once.
	typ, startAfter := "", ""
	switch role {
	case RoleDHCP4:
		typ = "exec"
	case RoleDHCP6:
		startAfter = Name(RoleDHCP4, master)
	}
	return Spec{
		Name:        Name(role, master),
		Description: what + " on " + master + " (bond-hotplug)",
		Device:      master,
		ExecStart:   start,
		ExecStop:    stop,
		Type:        typ,
		StartAfter:  startAfter,
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
