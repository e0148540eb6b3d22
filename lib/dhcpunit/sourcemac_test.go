// SPDX-License-Identifier: Apache-2.0

package dhcpunit

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// With fail_over_mac=active the router probe leaves from the new active slave's own
// MAC, in the Ethernet header as in the ARP body: the kernel announces the new active
// slave before it gives the bond that slave's MAC, and an access point drops a frame
// from any MAC but its station's (soak 20261207-151956). In the other modes the bond's
// MAC is the one in use. Real links and frames in throw-away namespaces: a bridge
// stands in for the bond (no bonding driver on the test host), a port for the slave,
// and the router's side captures what arrives.
func TestTheRouterProbeLeavesFromTheActiveSlavesMAC(t *testing.T) {
	laptop, router, _, _, ip, _ := bridgeNets(t)
	const brMAC, slaveMAC = "02:00:00:00:00:bb", "02:00:00:00:00:aa"
	ip("-n", laptop, "link", "set", "br0", "address", brMAC)
	ip("-n", laptop, "link", "set", "v0", "address", slaveMAC)
	sys := t.TempDir()
	mode := func(m string) {
		t.Helper()
		p := filepath.Join(sys, "class/net/br0/bonding/fail_over_mac")
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(m+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// What the router hears: a socket opened in its namespace stays there.
	capture := -1
	inNS(t, router, func(h *netlink.Handle) {
		v1, err := h.LinkByName("v1")
		if err != nil {
			t.Fatal(err)
		}
		capture, err = unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_ARP)))
		if err != nil {
			t.Fatal(err)
		}
		if err := unix.Bind(capture, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ARP), Ifindex: v1.Attrs().Index}); err != nil {
			t.Fatal(err)
		}
	})
	defer unix.Close(capture)

	inNS(t, laptop, func(h *netlink.Handle) {
		e := &Env{Handle: h, Sys: sys}
		br, err := h.LinkByName("br0")
		if err != nil {
			t.Fatal(err)
		}
		index := func(name string) int {
			l, err := h.LinkByName(name)
			if err != nil {
				t.Fatal(err)
			}
			return l.Attrs().Index
		}
		slave := path{slave: "v0", index: index("v0")}
		for _, tc := range []struct {
			what, mode string
			to         path
			want       string
		}{
			{"active: the active slave's", "active 1", slave, slaveMAC},
			{"active, no slave index known", "active 1", path{slave: "v0"}, brMAC},
			{"active, a link that is no slave of the master", "active 1", path{slave: "d1", index: index("d1")}, brMAC},
			{"active, a slave gone", "active 1", path{slave: "x", index: 99999}, brMAC},
			{"follow: the bond's", "follow 2", slave, brMAC},
			{"none: the bond's", "none 0", slave, brMAC},
		} {
			mode(tc.mode)
			if got := e.sourceMAC(br, tc.to).String(); got != tc.want {
				t.Errorf("%s: source MAC %s, want %s", tc.what, got, tc.want)
			}
		}
		// A probe through the master's socket: the router answers it.
		mode("active 1")
		g, ok := readGateway(h, "br0", nil)
		if !ok {
			t.Fatal("readGateway: no router")
		}
		same, err := sameGateway(br.Attrs().Index, e.sourceMAC(br, slave), g, gatewayBound)
		if err != nil || !same {
			t.Fatalf("a probe from the slave's MAC: same %v, %v; want the router's answer", same, err)
		}
	})

	// And it came from the slave's MAC, header and body.
	tv := unix.NsecToTimeval((100 * time.Millisecond).Nanoseconds())
	if err := unix.SetsockoptTimeval(capture, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		t.Fatal(err)
	}
	const ethHdr = 14 // a raw socket's frames start with the Ethernet header
	want, _ := net.ParseMAC(slaveMAC)
	buf := make([]byte, 1500)
	requests := 0
	for {
		n, _, err := unix.Recvfrom(capture, buf, 0)
		if err != nil {
			break
		}
		f := buf[:n]
		if n < ethHdr+28 || f[ethHdr+7] != 1 { // ARP requests only
			continue
		}
		if sha := f[ethHdr+8 : ethHdr+14]; !bytes.Equal(sha, want) {
			continue // the kernel's own resolution of the router, not our probe
		}
		requests++
		if src := net.HardwareAddr(f[6:12]); !bytes.Equal(src, want) {
			t.Errorf("the probe's Ethernet source is %s, its ARP sender %s: want both %s", src, want, want)
		}
	}
	if requests == 0 {
		t.Fatal("the router heard no probe from the slave's MAC")
	}
}
