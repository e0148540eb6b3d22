// SPDX-License-Identifier: Apache-2.0

package netns_test

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
)

func TestWaitActive(t *testing.T) {
	t.Parallel()
	t.Run("--wait-active blocks while the bridge has no carrier and returns once a port has one", func(t *testing.T) {
		t.Parallel()
		ns := newNS(t)
		mustVeth(t, ns, "veth0", "peer0")
		conf := writeConfig(t, ns, brConf+noDHCP)
		mustRun(t, ns, nil, upBin, "-c", conf)

		ctx, cancel := context.WithCancel(context.Background())
		cmd := command(ctx, ns, nil, hotplugBin, "-c", conf, "--wait-active", "br0")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		t.Cleanup(func() { cancel(); <-done })

		select {
		case err := <-done:
			t.Fatalf("--wait-active returned (%v) while br0 has no carrier:\n%s", err, stderr.String())
		case <-time.After(1500 * time.Millisecond):
		}

		// The peer coming up gives veth0 carrier, which makes the bridge's port forward.
		withLink(t, ns, "peer0", func(h *netlink.Handle, l netlink.Link) error { return h.LinkSetUp(l) })
		up := time.Now()
		select {
		case err := <-done:
			done <- err // for the cleanup
			if err != nil {
				t.Fatalf("--wait-active: %v:\n%s", err, stderr.String())
			}
			t.Logf("--wait-active returned %v after the port got carrier: %s", time.Since(up), stderr.String())
		case <-time.After(10 * time.Second):
			t.Fatalf("--wait-active still waiting 10 s after br0's port got carrier:\n%s", stderr.String())
		}
	})
}

// Issue 10: the DHCPv6 client (--wait-then) starts only once the master's IPv6
// link-local address has passed duplicate address detection: dhcp6c started on a
// tentative address fails its first Solicit. The command run here prints the
// master's link-local addresses as it starts; none may still be tentative. With IPv6
// disabled on the master there is never one: the wait ends at its bound and the
// command runs anyway.
func TestWaitThenWaitsForAUsableLinkLocalAddress(t *testing.T) {
	t.Parallel()
	for _, disabled := range []bool{false, true} {
		t.Run(map[bool]string{false: "link-local past DAD", true: "IPv6 disabled: bounded"}[disabled], func(t *testing.T) {
			t.Parallel()
			ns := newNS(t)
			mustVeth(t, ns, "veth0", "peer0")
			conf := writeConfig(t, ns, "br0SLAVES='veth*'\n"+noDHCP)
			if disabled {
				// Before the bridge exists: it inherits the namespace's default.
				if out, err := exec.Command("ip", "netns", "exec", ns.Name, "sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1").CombinedOutput(); err != nil {
					t.Fatalf("sysctl: %v %s", err, out)
				}
			}
			mustRun(t, ns, nil, upBin, "-c", conf)
			// Carrier on the port, then a fresh link-local address, which the kernel
			// keeps tentative for about a second of DAD.
			withLink(t, ns, "peer0", func(h *netlink.Handle, l netlink.Link) error { return h.LinkSetUp(l) })
			time.Sleep(200 * time.Millisecond)
			if !disabled {
				// The namespaces of these tests skip DAD (ns_test.go); br0 does it here.
				if out, err := exec.Command("ip", "netns", "exec", ns.Name, "sysctl", "-qw", "net.ipv6.conf.br0.accept_dad=1").CombinedOutput(); err != nil {
					t.Fatalf("sysctl: %v %s", err, out)
				}
				for _, args := range [][]string{{"addr", "flush", "dev", "br0", "scope", "link"}, {"addr", "add", "fe80::1234/64", "dev", "br0"}} {
					if out, err := exec.Command("ip", append([]string{"-n", ns.Name, "-6"}, args...)...).CombinedOutput(); err != nil {
						t.Fatalf("ip %q: %v %s", args, err, out)
					}
				}
			}
			start := time.Now()
			if !disabled {
				// The precondition: without the wait, the client would start on a
				// tentative address (else this test could not fail).
				pre, _ := exec.Command("ip", "-n", ns.Name, "-6", "-o", "addr", "show", "dev", "br0", "scope", "link").CombinedOutput()
				if !strings.Contains(string(pre), "tentative") {
					t.Fatalf("br0's new link-local address is not tentative:\n%s", pre)
				}
			}
			out, errOut := mustRun(t, ns, nil, hotplugBin, "-c", conf, "--wait-then", "br0", "--",
				"/usr/bin/ip", "-6", "-o", "addr", "show", "dev", "br0", "scope", "link")
			took := time.Since(start)
			if disabled {
				if !strings.Contains(errOut, "no usable IPv6 link-local address after 10 s") || took < 10*time.Second {
					t.Fatalf("with IPv6 disabled: ran after %v, stderr:\n%s", took, errOut)
				}
				return
			}
			if !strings.Contains(out, "fe80::1234/64") || strings.Contains(out, "tentative") {
				t.Fatalf("the command started with br0's link-local addresses:\n%s\nwant one, not tentative; stderr:\n%s", out, errOut)
			}
			t.Logf("started %v after the new address: %s", took, errOut)
		})
	}
}

// Issue 10: a master bond-up creates gets optimistic duplicate address detection
// (RFC 4429), so its first link-local address can be sent from while DAD still runs,
// and --wait-then (the DHCPv6 unit) starts its client then instead of 1-2 s later.
// DAD is made long here (5 probes) so that the command demonstrably starts inside it:
// on a tree without optimistic_dad the address is only tentative, the wait lasts
// until DAD ends, and the printed flags no longer say "optimistic".
func TestNewMasterLinkLocalIsOptimisticAndUsableDuringDAD(t *testing.T) {
	t.Parallel()
	ns := newNS(t)
	mustVeth(t, ns, "veth0", "peer0")
	conf := writeConfig(t, ns, "br0SLAVES='veth*'\n"+noDHCP)
	// The namespaces of these tests skip DAD (ns_test.go); br0 inherits the default
	// when bond-up creates it, so it does DAD, slowly.
	if out, err := exec.Command("ip", "netns", "exec", ns.Name, "sysctl", "-qw",
		"net.ipv6.conf.default.accept_dad=1", "net.ipv6.conf.default.dad_transmits=5").CombinedOutput(); err != nil {
		t.Fatalf("sysctl: %v %s", err, out)
	}
	mustRun(t, ns, nil, upBin, "-c", conf)

	got, err := exec.Command("ip", "netns", "exec", ns.Name, "cat", "/proc/sys/net/ipv6/conf/br0/optimistic_dad").CombinedOutput()
	if err != nil || strings.TrimSpace(string(got)) != "1" {
		t.Fatalf("br0's optimistic_dad after bond-up created it: %q (%v), want 1", got, err)
	}
	// Carrier on the port: br0 gets its first link-local address now.
	withLink(t, ns, "peer0", func(h *netlink.Handle, l netlink.Link) error { return h.LinkSetUp(l) })

	start := time.Now()
	out, errOut := mustRun(t, ns, nil, hotplugBin, "-c", conf, "--wait-then", "br0", "--",
		"/usr/bin/ip", "-6", "-o", "addr", "show", "dev", "br0", "scope", "link")
	if !strings.Contains(out, "fe80::") || !strings.Contains(out, "optimistic") {
		t.Fatalf("the command started with br0's link-local addresses:\n%s\nwant one still in DAD and optimistic; stderr:\n%s", out, errOut)
	}
	t.Logf("started %v after carrier, during DAD: %s", time.Since(start), strings.Join(strings.Fields(out), " "))
	// And DAD still ends with an ordinary address (nothing else changed).
	deadline := time.Now().Add(15 * time.Second)
	for {
		now, _ := exec.Command("ip", "-n", ns.Name, "-6", "-o", "addr", "show", "dev", "br0", "scope", "link").CombinedOutput()
		if strings.Contains(string(now), "fe80::") && !strings.Contains(string(now), "tentative") && !strings.Contains(string(now), "optimistic") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("br0's link-local address did not finish DAD:\n%s", now)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
