// SPDX-License-Identifier: Apache-2.0

package dhcpunit

import (
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// A laptop that moves (cable out at home while Wi-Fi is at the café, Wi-Fi carried to
// another access point) keeps the lease of the network it left unless its client asks
// again: with fail_over_mac=active the bond's carrier need not drop through the move,
// so no client notices by itself. The supervisor recognises that the way the master
// reaches a network changed (the path, below), asks the router whether the network is
// the same (gateway.go), and if not has the client verify its lease the
// way the protocols foresee for a client that may have moved: DHCPv4 INIT-REBOOT (RFC
// 2131 3.2: a DHCPREQUEST for the old address, which the new network's server
// refuses with a DHCPNAK, and the client discovers) and DHCPv6 Confirm (RFC 8415
// 18.2.3: NotOnLink, and the client solicits). docs/ROAMING.md.

// path is what carries the master's traffic: the active slave and how many times its
// carrier came and went (the kernel's carrier_changes: each Wi-Fi association, each
// cable plugged in counts). Another path may lead to another network; the same path
// cannot. The slave's ifindex tells a card that came back (its driver reloaded across
// a suspend) from the one before, even under the same name with the same count: a
// new device counts from zero.
type path struct {
	slave   string
	index   int
	changes uint64
}

func (p path) String() string {
	return p.slave + " (carrier change " + strconv.FormatUint(p.changes, 10) + ")"
}

// currentPath reads master's path from sysfs; ok is false for a master that is no
// bond, and while it carries no traffic: no active slave, or one whose link is not
// yet up for data. A Wi-Fi slave has carrier from the association on, but its
// operstate stays "dormant" until wpa_supplicant has the keys (RFC 2863): a request
// sent before that is lost, and the client waits out its retransmission.
func currentPath(sys, master string) (path, bool) {
	net := filepath.Join(sys, "class/net")
	b, err := os.ReadFile(filepath.Join(net, master, "bonding/active_slave"))
	if err != nil {
		return path{}, false
	}
	slave := strings.TrimSpace(string(b))
	if slave == "" {
		return path{}, false
	}
	op, err := os.ReadFile(filepath.Join(net, slave, "operstate"))
	if err != nil || strings.TrimSpace(string(op)) != "up" {
		return path{}, false
	}
	c, err := os.ReadFile(filepath.Join(net, slave, "carrier_changes"))
	if err != nil {
		return path{}, false
	}
	n, err := strconv.ParseUint(strings.TrimSpace(string(c)), 10, 64)
	if err != nil {
		return path{}, false
	}
	p := path{slave: slave, changes: n}
	if b, err := os.ReadFile(filepath.Join(net, slave, "ifindex")); err == nil {
		p.index, _ = strconv.Atoi(strings.TrimSpace(string(b)))
	}
	return p, true
}

// pathWatch remembers the path a client's lease was obtained or verified on.
type pathWatch struct {
	sys, master string
	known       path
	have        bool
}

// current reads the path now, without taking it as known.
func (w *pathWatch) current() (path, bool) { return currentPath(w.sys, w.master) }

// moved reads the path again and reports a new one (from is the one before). The
// first path seen is the client's own: nothing to verify.
func (w *pathWatch) moved() (from, to path, ok bool) {
	p, up := currentPath(w.sys, w.master)
	if !up || (w.have && p == w.known) {
		return path{}, path{}, false
	}
	from, had := w.known, w.have
	w.known, w.have = p, true
	return from, p, had
}

// How a client verifies its lease after a move, by the program's name.
type verifyMode int

const (
	// verifyNone: an unknown client is left alone.
	verifyNone verifyMode = iota
	// verifyRestart: the client is restarted (SIGTERM: no release, the address stays
	// on the interface) and the new one asks for the lease it finds in its lease file:
	// dhclient -4 with INIT-REBOOT, dhclient -6 with Confirm; dhcpcd (run with
	// --persistent, so that its exit leaves the address) with INIT-REBOOT ("rebinding
	// lease") and Confirm.
	verifyRestart
	// verifyByIPv4: dhcp6c (WIDE) keeps no lease across a restart and has no Confirm;
	// its exit releases the lease and removes the address. So it is restarted only
	// once the master is known to be on another network: the router (IPv4, or IPv6
	// with none) did not answer from its MAC, or with no router known, its DHCPv4
	// lease was replaced by one in another subnet. With neither, a move is noticed
	// at dhcp6c's renewal.
	verifyByIPv4
)

func verifyModeFor(prog string) verifyMode {
	switch filepath.Base(prog) {
	case "dhclient", "dhcpcd":
		return verifyRestart
	case "dhcp6c":
		return verifyByIPv4
	}
	return verifyNone
}

// leaseSubnets are the subnets of master's IPv4 leases (dynamic addresses).
func leaseSubnets(as []addrInfo) []netip.Prefix {
	var out []netip.Prefix
	for _, a := range as {
		if a.dynamic && a.prefix.Addr().Is4() {
			out = append(out, a.prefix.Masked())
		}
	}
	return out
}

// addrInfo is the part of an address the move logic looks at.
type addrInfo struct {
	prefix  netip.Prefix
	dynamic bool
}

// elsewhere reports whether a (a new IPv4 lease) lies outside every subnet of before:
// the lease of another network.
func elsewhere(a netip.Prefix, before []netip.Prefix) bool {
	for _, p := range before {
		if p.Contains(a.Addr()) {
			return false
		}
	}
	return true
}
