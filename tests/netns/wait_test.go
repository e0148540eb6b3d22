package netns_test

import (
	"bytes"
	"context"
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
