// SPDX-License-Identifier: Apache-2.0

package dhcpunit

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A router probe whose path goes away while it waits (the radio blocked a moment
// after the association: the soak, run 20261207-143709) heard nothing because nothing
// could be heard: no verdict, the client keeps its lease. A probe on a path that stays
// and hears nothing still has the client verify its lease. Real netlink and ARP in
// throw-away namespaces; the bond's sysfs is the test's (bridgeNets).
func TestAProbeCutShortByItsPathGivesNoVerdict(t *testing.T) {
	laptop, router, sys, bin, ip, _ := bridgeNets(t)
	// Nobody answers for the router's address.
	ip("-n", router, "addr", "flush", "dev", "v1")
	const (
		noVerdict = iota
		verify
		active
	)
	log := newCountingLog("no verdict, lease kept", "restarting "+filepath.Join(bin, "dhclient")+" to verify it", "br0: active (")
	ctx, cancel := context.WithCancel(context.Background())
	ended := make(chan error, 1)
	go func() {
		ended <- superviseIn(ctx, laptop, sys, log, true, []string{filepath.Join(bin, "dhclient"), "infinity"})
	}()
	defer func() {
		cancel()
		<-ended
	}()
	waitCount := func(what string, i int, want int64) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for log.count(i) < want {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within 10 s (last log line %q)", what, log.lastLine())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitCount("the supervisor waiting", active, 1)
	time.Sleep(3 * settlePoll) // its first path taken

	// wlan0 active and associated; a moment into the probe (it waits gatewayBound)
	// the radio is blocked: wlan0 dormant, no path.
	fakeBondSys(t, sys, "wlan0", 2)
	ip("-n", laptop, "link", "set", "d0", "down")
	time.Sleep(gatewayBound / 4)
	if err := os.WriteFile(filepath.Join(sys, "class/net/wlan0/operstate"), []byte("dormant\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	waitCount("no verdict on a probe cut short", noVerdict, 1)
	if n := log.count(verify); n != 0 {
		t.Fatalf("the client was restarted to verify its lease after a probe cut short (%d times)", n)
	}

	// Back on eth0, which stays: the silence now means another network.
	fakeBondSys(t, sys, "eth0", 3)
	ip("-n", laptop, "link", "set", "d0", "up")
	waitCount("a verification after a probe unanswered on a path that stayed", verify, 1)
	if n := log.count(noVerdict); n != 1 {
		t.Fatalf("no verdict %d times, want once", n)
	}
}
