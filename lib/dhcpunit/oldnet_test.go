// SPDX-License-Identifier: Apache-2.0

package dhcpunit

import (
	"os/exec"
	"slices"
	"testing"

	"github.com/bond-hotplug/bond-hotplug/lib/logx"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// After a move to another network, the old network's DHCPv6 addresses go with the
// client: for dhclient only its /128 leases (the kernel's SLAAC addresses may be the
// new network's answer already), for dhcpcd every global address with a lifetime.
// Static (permanent) and link-local addresses always stay.
func TestTheOldNetworksDHCPv6AddressesGoWithTheClient(t *testing.T) {
	for _, tc := range []struct {
		client     string
		leasesOnly bool
		want       []string
	}{
		{"dhclient", true, []string{"fd00:5::1/64", "fd77::8/64"}},
		{"dhcpcd", false, []string{"fd00:5::1/64"}},
	} {
		t.Run(tc.client, func(t *testing.T) {
			laptop, _ := twoNets(t)
			ipIn(t, laptop, "-6", "addr", "add", "fd00:5::1/64", "dev", "v0", "nodad")
			ipIn(t, laptop, "-6", "addr", "add", "fd77::161/128", "dev", "v0", "nodad", "valid_lft", "3600", "preferred_lft", "3600")
			ipIn(t, laptop, "-6", "addr", "add", "fd77::8/64", "dev", "v0", "nodad", "valid_lft", "1800", "preferred_lft", "1800")
			inNS(t, laptop, func(h *netlink.Handle) {
				e := &Env{Log: &logx.Logger{ID: "bond-hotplug", Out: &testWriter{t}}, Handle: h}
				cmd := exec.Command("sleep", "60")
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				exited := make(chan error, 1)
				go func() { exited <- cmd.Wait() }()
				e.releaseThenStop(cmd, exited, "v0", tc.leasesOnly)
				if cmd.ProcessState == nil {
					t.Fatal("the client still runs")
				}
				l, err := h.LinkByName("v0")
				if err != nil {
					t.Fatal(err)
				}
				as, err := h.AddrList(l, netlink.FAMILY_V6)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, a := range as {
					if !a.IP.IsLinkLocalUnicast() {
						got = append(got, a.IPNet.String())
					} else if a.Flags&unix.IFA_F_PERMANENT == 0 {
						t.Errorf("link-local %s is not permanent", a.IPNet)
					}
				}
				slices.Sort(got)
				if !slices.Equal(got, tc.want) {
					t.Fatalf("global addresses left: %v, want %v", got, tc.want)
				}
			})
		})
	}
}

type testWriter struct{ t *testing.T }

func (w *testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}
