// SPDX-License-Identifier: Apache-2.0

package app

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bond-hotplug/bond-hotplug/lib/netdev"
)

const airplaneConf = "bond0SLAVES='eth0 wlp2s0'\nbond0PRIMARY=eth0\nbond0DHCP=no\nbond0DHCP6=no\n"

// radioSys is a sysfs tree in which rfkill1 is the switch of wlp2s0's radio.
func radioSys(t *testing.T) string {
	t.Helper()
	sys := t.TempDir()
	phy := filepath.Join(sys, "devices/hwsim0/ieee80211/phy0")
	dirs := []string{filepath.Join(phy, "rfkill1"), filepath.Join(sys, "devices/hwsim0/net/wlp2s0"),
		filepath.Join(sys, "class/net"), filepath.Join(sys, "class/rfkill")}
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for link, target := range map[string]string{
		"devices/hwsim0/ieee80211/phy0/rfkill1/device": phy,
		"devices/hwsim0/net/wlp2s0/phy80211":           phy,
		"class/net/wlp2s0":                             filepath.Join(sys, "devices/hwsim0/net/wlp2s0"),
		"class/rfkill/rfkill1":                         filepath.Join(phy, "rfkill1"),
	} {
		if err := os.Symlink(target, filepath.Join(sys, link)); err != nil {
			t.Fatal(err)
		}
	}
	return sys
}

// Issue 17.1, the logic above the kernel (the VM lab proves it with a real radio):
// a card blocked at boot does not hold up the wired NIC; its unblock enslaves it and
// starts its supplicant; airplane mode at run time leaves it enslaved and down, a run
// in between (a cable plugged) does not fail on it, and the unblock sets it up again.
func TestAirplaneModeBlockedCardNeverHoldsUpTheRestAndComesBackOnUnblock(t *testing.T) {
	e, k, rec, log := fakeEnv(t, airplaneConf)
	e.Sys = radioSys(t)
	ctx := context.Background()
	k.AddLink("eth0", "device")
	w := k.AddLink("wlp2s0", "device")
	w.Wireless = true
	w.RFKill = netdev.RFKill{Hard: true}
	if err := e.Up(ctx, nil); err != nil {
		t.Fatalf("bond-up with the card blocked: %v\n%s", err, log)
	}
	if k.Devs["eth0"].Master != "bond0" || !k.Devs["eth0"].AdminUp {
		t.Fatalf("eth0 not enslaved and up: %s", k.Transcript())
	}
	if w.Master != "" || strings.Contains(k.Transcript(), "wlp2s0") || strings.Contains(rec.Transcript(), "wlp2s0") {
		t.Fatalf("the blocked card was touched:\n%s\n%s", k.Transcript(), rec.Transcript())
	}
	if !strings.Contains(log.String(), "wlp2s0: radio blocked by rfkill (hard): enslaved when unblocked") {
		t.Errorf("the log does not say why wlp2s0 waits:\n%s", log)
	}

	// Unblocked: the rfkill event's run enslaves it, sets it up, starts its supplicant.
	w.RFKill = netdev.RFKill{}
	k.Writes = nil
	if err := e.RFKill(ctx, "rfkill1"); err != nil {
		t.Fatalf("--rfkill rfkill1: %v\n%s", err, log)
	}
	if want := "enslave wlp2s0 to bond0\nset wlp2s0 prio 1\nset wlp2s0 up"; k.Transcript() != want {
		t.Errorf("writes at the unblock:\n%s\nwant:\n%s", k.Transcript(), want)
	}
	if !strings.Contains(rec.Transcript(), "start bond-wpa@wlp2s0.service") {
		t.Errorf("supplicant not started at the unblock:\n%s", rec.Transcript())
	}

	// Airplane mode on: cfg80211 sets the card down, it stays enslaved. A run now (the
	// cable replugged) must succeed without touching it.
	w.RFKill = netdev.RFKill{Soft: true}
	w.AdminUp = false
	k.Writes = nil
	if err := e.Hotplug(ctx, "add", "eth0"); err != nil {
		t.Fatalf("a run during airplane mode: %v\n%s", err, log)
	}
	if strings.Contains(k.Transcript(), "wlp2s0") {
		t.Errorf("a run during airplane mode wrote to the blocked card:\n%s", k.Transcript())
	}
	// Blocked again before the unblock's run read the state (a quick toggle): nothing
	// to do, exit 0.
	if err := e.RFKill(ctx, "rfkill1"); err != nil || strings.Contains(k.Transcript(), "wlp2s0") {
		t.Fatalf("--rfkill while still blocked: %v\n%s", err, k.Transcript())
	}
	// Airplane mode off.
	w.RFKill = netdev.RFKill{}
	if err := e.RFKill(ctx, "rfkill1"); err != nil {
		t.Fatalf("--rfkill rfkill1: %v\n%s", err, log)
	}
	if want := "set wlp2s0 up"; k.Transcript() != want {
		t.Errorf("writes at airplane mode off:\n%s\nwant:\n%s", k.Transcript(), want)
	}
	// Set up before the converging run, which then has nothing to do.
	if !strings.Contains(log.String(), "bond0: set wlp2s0 up (radio unblocked)") || !strings.Contains(e.Out.(*bytes.Buffer).String(), "bond0: nothing to do") {
		t.Errorf("the enslaved card was not set up ahead of the run:\n%s", log)
	}
}

// Blocked between the run's read and its step: the step is skipped (ERFKILL), the
// rest of the plan is applied and the run succeeds.
func TestCardBlockedMidRunIsSkippedAndTheRestApplied(t *testing.T) {
	e, k, _, log := fakeEnv(t, airplaneConf+"bond0ADDRS='10.0.0.2/24'\n")
	e.Sys = radioSys(t)
	k.AddLink("eth0", "device")
	w := k.AddLink("wlp2s0", "device")
	w.Wireless = true
	e.Source = blockOnRead{Fake: k, link: w}
	if err := e.Up(context.Background(), nil); err != nil {
		t.Fatalf("bond-up: %v\n%s", err, log)
	}
	if !strings.Contains(log.String(), "enslave wlp2s0 to bond0: skipped") || len(k.AddrsOf["bond0"]) != 1 {
		t.Errorf("want the enslaving skipped and the address added:\n%s\n%s", log, k.Transcript())
	}
}

// blockOnRead blocks the radio right after the state is read.
type blockOnRead struct {
	*netdev.Fake
	link *netdev.Link
}

func (b blockOnRead) Links() (netdev.Snapshot, error) {
	s, err := b.Fake.Links()
	b.link.RFKill = netdev.RFKill{Soft: true}
	return s, err
}

func TestRFKillRefusesWhatIsNotAnRFKillName(t *testing.T) {
	e, _, _, _ := fakeEnv(t, airplaneConf)
	if err := e.RFKill(context.Background(), "../phy0"); ExitCode(err) != ExitUsage {
		t.Errorf("--rfkill ../phy0: %v, want a usage error", err)
	}
}
