// SPDX-License-Identifier: Apache-2.0

package units

import (
	"fmt"
	"sort"

	sd "github.com/coreos/go-systemd/v22/dbus"
	godbus "github.com/godbus/dbus/v5"
)

// Sandbox is the systemd hardening of one transient unit: what the program in it may
// do beyond the common baseline (sandboxBase), which every unit gets. Each role's
// sandbox is the least its program needs; the lab measures the result with
// `systemd-analyze security` (scenario 40) and every lab scenario runs under it.
//
// The programs run as root: dhclient-script writes root's files (/etc/resolv.conf,
// leases) and sets addresses with ip(8); wpa_supplicant and the DHCP clients open raw
// and netlink sockets. Root is made small instead: the capability bounding set holds
// only what the role needs, and without CAP_DAC_OVERRIDE/CAP_FOWNER/CAP_SYS_ADMIN root
// can write only what root owns, inside a read-only file system (ProtectSystem=strict)
// with the few writable paths below.
type Sandbox struct {
	// Caps is the capability bounding set (names such as "CAP_NET_ADMIN").
	Caps []string
	// Families are the socket address families the program may open (AF_UNIX for the
	// journal and control sockets is always allowed).
	Families []string
	// ReadWrite are the paths writable under ProtectSystem=strict; a leading "-" means
	// the path may be missing.
	ReadWrite []string
	// RuntimeDir is a directory under /run that systemd creates for the unit and
	// removes after it stopped (pid files).
	RuntimeDir string
	// Devices are device nodes the program may open (read-write). With none the unit
	// gets PrivateDevices=yes (no device nodes but the pseudo devices).
	Devices []string
	// IPAllow, when set, limits the IP addresses the unit's sockets may talk to
	// (IPAddressDeny=any plus these). []string{} denies every address; nil leaves
	// IP traffic unfiltered (DHCPv4 renews by unicast to a server of any address).
	IPAllow []string
	// UMask for files the program creates; 0 means 0077. The DHCP units use 0022:
	// dhclient-script may create /etc/resolv.conf, which every user must read.
	UMask uint32
	// Chown allows the @chown system calls back after @privileged is denied:
	// dhclient-script keeps resolv.conf's owner with chown --reference, and
	// wpa_supplicant lchown()s its control directory to its group (with the calls
	// refused it fails: "lchown[ctrl_interface=/run/wpa_supplicant,gid=0]: Operation
	// not permitted", "Failed to initialize control interface", and exits).
	// Without CAP_CHOWN they can only give root's files to root's groups.
	Chown bool
	// AllowCalls are system calls or groups allowed back after the deny list.
	AllowCalls []string
	// HostTmp leaves the host's /tmp visible (PrivateTmp=no; read-only under
	// ProtectSystem=strict): wpa_cli binds its end of the control socket there and
	// wpa_supplicant answers to that path.
	HostTmp bool
	// SupplicantConf is wpa_supplicant's configuration file: when the unit starts, the
	// sandbox gives back what the file asks for (control interface directory and
	// group, update_config; supplicant.go).
	SupplicantConf string
	// SharedRuntimeDirs are directories under /run that the program creates for
	// itself and that another unit may share (dhcpcd's /run/dhcpcd: both dhcpcd
	// units): systemd creates them and keeps them when the unit stops
	// (RuntimeDirectoryPreserve), as /run is read-only in the sandbox.
	SharedRuntimeDirs []string
	// Resolvconf: the program hands DNS to resolvconf(8) (bond-hotplug --dns-update
	// from the client's script), which writes under /run/resolvconf. openresolv makes
	// that directory at its first run, which this sandbox forbids, and nothing makes
	// it at boot: the unit's starter makes it first (lib/app, dns.PrepareOpenresolv).
	Resolvconf bool
}

// dhcpcdSandbox amends a DHCP sandbox for dhcpcd, whose privilege separation drops
// its network-facing processes to the dhcpcd user inside a chroot, limits their
// resources and signals them from the privileged one: it needs the capabilities and
// calls for that (setuid/setgid, chroot, setrlimit, kill across users), in
// exchange for running its parsers unprivileged.
func dhcpcdSandbox(s *Sandbox) *Sandbox {
	if s == nil {
		return nil
	}
	c := *s
	c.Caps = append(append([]string{}, s.Caps...), "CAP_SETUID", "CAP_SETGID", "CAP_SYS_CHROOT", "CAP_KILL")
	c.AllowCalls = append(append([]string{}, s.AllowCalls...), "@setuid", "chroot", "setrlimit", "prlimit64")
	c.SharedRuntimeDirs = []string{"dhcpcd"}
	// It sets the interface's sysctls at start and applies router advertisements to
	// them (without them: "bond0: if_init:
	// Read-only file system", "interface not found", exit 1; "ipv6nd_applyra:
	// Read-only file system").
	c.ReadWrite = append(append([]string{}, s.ReadWrite...), "/proc/sys/net/ipv4/conf", "/proc/sys/net/ipv6/conf",
		"/proc/sys/net/ipv4/neigh", "/proc/sys/net/ipv6/neigh")
	return &c
}

// capBits are Linux capability numbers (linux/capability.h); only the ones we name.
var capBits = map[string]uint{
	"CAP_CHOWN":            0,
	"CAP_DAC_OVERRIDE":     1,
	"CAP_KILL":             5,
	"CAP_SETGID":           6,
	"CAP_SETUID":           7,
	"CAP_NET_BIND_SERVICE": 10,
	"CAP_NET_BROADCAST":    11,
	"CAP_NET_ADMIN":        12,
	"CAP_NET_RAW":          13,
	"CAP_SYS_MODULE":       16,
	"CAP_SYS_CHROOT":       18,
	"CAP_SYS_ADMIN":        21,
}

// CapMask turns capability names into the bit mask systemd's D-Bus API takes.
func CapMask(names []string) (uint64, error) {
	var m uint64
	for _, n := range names {
		b, ok := capBits[n]
		if !ok {
			return 0, fmt.Errorf("unknown capability %q", n)
		}
		m |= 1 << b
	}
	return m, nil
}

// The sandboxes of the three roles (Roles). Comments say why each item is there.
var (
	// wpa_supplicant: nl80211 (generic netlink) and SIOCSIFFLAGS need CAP_NET_ADMIN,
	// the EAPOL socket (AF_PACKET) CAP_NET_RAW, the ioctl socket is AF_INET.
	// /dev/rfkill: it follows the radio's kill switch through
	// it (without it, it logs "rfkill: Cannot open RFKILL control device" and keeps
	// working). It talks no IP at all: every IP address is denied. It sets the
	// interface's drop_unicast_in_l2_multicast, drop_gratuitous_arp and
	// drop_unsolicited_na sysctls (/proc/sys/net/ipv{4,6}/conf, read-only under
	// ProtectKernelTunables: "nl80211: Failed to open
	// /proc/sys/net/ipv4/conf/wlan0/drop_unicast_in_l2_multicast: Read-only file
	// system"), so those two directories stay writable. The rest (control
	// interface, its group, update_config) is given back from the configuration
	// file when the unit starts (forSupplicantFile). Certificates and keys of EAP
	// networks (/etc/ssl/certs, /etc/wpa_supplicant, /etc/ssl/private) are root's
	// files, readable as they are (lab scenario 42: EAP-TLS with the key in
	// /etc/ssl/private, 0600 root); ProtectHome hides /home and /root.
	sandboxWPA = Sandbox{
		Caps:      []string{"CAP_NET_ADMIN", "CAP_NET_RAW"},
		Families:  []string{"AF_NETLINK", "AF_PACKET", "AF_INET", "AF_INET6"},
		ReadWrite: []string{"/proc/sys/net/ipv4/conf", "/proc/sys/net/ipv6/conf"},
		Devices:   []string{"/dev/rfkill"},
		IPAllow:   []string{},
	}
	// DHCPv4 (dhclient or dhcpcd, under bond-hotplug --supervise): raw DHCP packets
	// (AF_PACKET, CAP_NET_RAW), port 68 (CAP_NET_BIND_SERVICE), addresses and routes
	// set by dhclient-script's ip(8) (netlink, CAP_NET_ADMIN). Writes: leases
	// (/var/lib/dhcp, dhcpcd: /var/lib/dhcpcd), and /etc: Debian's dhclient-script
	// writes /etc/resolv.conf.dhclient-new.PID and then moves or copies it over
	// /etc/resolv.conf, so the directory, not only the file, must be writable (a
	// bind-mounted single file cannot be renamed over: EBUSY). With resolvconf(8) or
	// systemd-resolved it writes under /run/resolvconf or talks D-Bus instead.
	// ProtectHostname: a hostname offered by the server is not set (dhclient-script
	// sets it only when the host has none). dhcpcd also writes /run/dhcpcd.
	sandboxDHCP4 = Sandbox{
		Caps:     []string{"CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_NET_BIND_SERVICE"},
		Families: []string{"AF_NETLINK", "AF_PACKET", "AF_INET", "AF_INET6"},
		ReadWrite: []string{"/etc", "-/var/lib/dhcp", "-/var/lib/dhcpcd", "-/run/dhcpcd",
			"-/run/resolvconf", "-/run/systemd/resolve"},
		UMask:      0o022,
		Chown:      true,
		Resolvconf: true,
	}
	// DHCPv6 (dhcp6c, dhclient -6 or dhcpcd): UDP 546 (CAP_NET_BIND_SERVICE), addresses
	// set through ioctl/netlink (CAP_NET_ADMIN). dhcp6c keeps its DUID in
	// /var/lib/dhcpv6 and its control port on localhost:5546; its script (when
	// configured) writes /etc/resolv.conf. IP: link-local and multicast (a DHCPv6
	// exchange never leaves the link), localhost for the control port; a server that
	// offers unicast (option 12) is answered on the link too, never off it.
	sandboxDHCP6 = Sandbox{
		Caps:     []string{"CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_NET_BIND_SERVICE"},
		Families: []string{"AF_NETLINK", "AF_PACKET", "AF_INET", "AF_INET6"},
		ReadWrite: []string{"/etc", "-/var/lib/dhcp", "-/var/lib/dhcpv6", "-/var/lib/dhcpcd", "-/run/dhcpcd",
			"-/run/resolvconf", "-/run/systemd/resolve"},
		IPAllow:    []string{"localhost", "link-local", "multicast"},
		UMask:      0o022,
		Chown:      true,
		Resolvconf: true,
	}
)

// sandboxFor returns the role's sandbox with the unit's own runtime directory.
func sandboxFor(role Role, ifname string) *Sandbox {
	var s Sandbox
	switch role {
	case RoleWPA:
		s = sandboxWPA
	case RoleDHCP4:
		s = sandboxDHCP4
	case RoleDHCP6:
		s = sandboxDHCP6
	default:
		return nil
	}
	s.RuntimeDir = RuntimeDir(role, ifname)
	return &s
}

// RuntimeDir is the unit's directory under /run, for pid files: ProtectSystem=strict
// makes the rest of /run read-only.
func RuntimeDir(role Role, ifname string) string {
	return "bond-hotplug/" + string(role) + "-" + ifname
}

func boolProp(name string, v bool) sd.Property {
	return sd.Property{Name: name, Value: godbus.MakeVariant(v)}
}

// listSet is systemd's (bas) type: an allow list (true) or a deny list (false).
type listSet struct {
	Allow bool
	List  []string
}

func setProp(name string, allow bool, list []string) sd.Property {
	return sd.Property{Name: name, Value: godbus.MakeVariant(listSet{Allow: allow, List: list})}
}

// deviceAllow is DeviceAllow's a(ss) element: path and access ("rw").
type deviceAllow struct {
	Path   string
	Access string
}

// sandboxProps are the D-Bus properties of a sandbox: the common baseline, then the
// role's own. The names and types are systemd's transient-unit API (org.freedesktop.
// systemd1(5), the same that `systemd-run -p` sends).
func sandboxProps(s *Sandbox) ([]sd.Property, error) {
	caps, err := CapMask(s.Caps)
	if err != nil {
		return nil, err
	}
	fams := append([]string{"AF_UNIX"}, s.Families...)
	sort.Strings(fams)
	umask := s.UMask
	if umask == 0 {
		umask = 0o077
	}
	p := []sd.Property{
		{Name: "CapabilityBoundingSet", Value: godbus.MakeVariant(caps)},
		{Name: "AmbientCapabilities", Value: godbus.MakeVariant(uint64(0))},
		boolProp("NoNewPrivileges", true),
		strProp("ProtectSystem", "strict"),
		strProp("ProtectHome", "yes"),
		boolProp("PrivateTmp", !s.HostTmp),
		boolProp("ProtectKernelTunables", true),
		boolProp("ProtectKernelModules", true),
		boolProp("ProtectKernelLogs", true),
		boolProp("ProtectControlGroups", true),
		boolProp("ProtectClock", true),
		boolProp("ProtectHostname", true),
		strProp("ProtectProc", "invisible"),
		boolProp("LockPersonality", true),
		boolProp("MemoryDenyWriteExecute", true),
		// 0: no namespace type may be created (the D-Bus value is the allowed set).
		{Name: "RestrictNamespaces", Value: godbus.MakeVariant(uint64(0))},
		boolProp("RestrictRealtime", true),
		boolProp("RestrictSUIDSGID", true),
		boolProp("RemoveIPC", true),
		strProp("KeyringMode", "private"),
		listProp("SystemCallArchitectures", []string{"native"}),
		setProp("SystemCallFilter", true, []string{"@system-service"}),
		setProp("RestrictAddressFamilies", true, fams),
		// A call outside the filter fails with EPERM instead of killing the program:
		// Go's runtime and dhclient-script's tools cope with a refused call.
		{Name: "SystemCallErrorNumber", Value: godbus.MakeVariant(int32(1))},
		{Name: "UMask", Value: godbus.MakeVariant(umask)},
	}
	// Later assignments amend the allow list: a deny list removes from it, an allow
	// list adds back (systemd.exec(5), SystemCallFilter=).
	p = append(p, setProp("SystemCallFilter", false, []string{"@privileged", "@resources"}))
	allow := append([]string{}, s.AllowCalls...)
	if s.Chown {
		allow = append(allow, "@chown")
	}
	if len(allow) > 0 {
		p = append(p, setProp("SystemCallFilter", true, allow))
	}
	if len(s.ReadWrite) > 0 {
		p = append(p, listProp("ReadWritePaths", s.ReadWrite))
	}
	var rt []string
	if s.RuntimeDir != "" {
		rt = append(rt, s.RuntimeDir)
	}
	rt = append(rt, s.SharedRuntimeDirs...)
	if len(rt) > 0 {
		p = append(p, listProp("RuntimeDirectory", rt))
	}
	if len(s.SharedRuntimeDirs) > 0 {
		p = append(p, strProp("RuntimeDirectoryPreserve", "yes"))
	}
	if len(s.Devices) == 0 {
		p = append(p, boolProp("PrivateDevices", true))
	} else {
		// PrivateDevices=yes would hide these nodes: allow them by name instead.
		var d []deviceAllow
		for _, n := range s.Devices {
			d = append(d, deviceAllow{Path: n, Access: "rw"})
		}
		p = append(p, strProp("DevicePolicy", "closed"),
			sd.Property{Name: "DeviceAllow", Value: godbus.MakeVariant(d)})
	}
	if s.IPAllow != nil {
		p = append(p, ipProp("IPAddressDeny", []string{"any"}))
		if len(s.IPAllow) > 0 {
			p = append(p, ipProp("IPAddressAllow", s.IPAllow))
		}
	}
	return p, nil
}

// ipPrefix is IPAddressAllow/IPAddressDeny's a(iayu) element: address family,
// address bytes, prefix length.
type ipPrefix struct {
	Family int32
	Addr   []byte
	Len    uint32
}

// ipNames are systemd's symbolic address sets (systemd.resource-control(5)).
var ipNames = map[string][]ipPrefix{
	"any": {{2, make([]byte, 4), 0}, {10, make([]byte, 16), 0}},
	"localhost": {{2, []byte{127, 0, 0, 0}, 8},
		{10, []byte{15: 1}, 128}},
	"link-local": {{2, []byte{169, 254, 0, 0}, 16},
		{10, []byte{0xfe, 0x80, 15: 0}, 64}},
	"multicast": {{2, []byte{224, 0, 0, 0}, 4},
		{10, []byte{0xff, 15: 0}, 8}},
}

func ipProp(name string, sets []string) sd.Property {
	var v []ipPrefix
	for _, s := range sets {
		v = append(v, ipNames[s]...)
	}
	return sd.Property{Name: name, Value: godbus.MakeVariant(v)}
}
