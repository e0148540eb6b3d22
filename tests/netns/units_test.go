// SPDX-License-Identifier: Apache-2.0

package netns_test

import (
	"os"
	"strings"
	"testing"
)

func TestUnits(t *testing.T) {
	t.Parallel()
	t.Run("a slave with SUPPLICANT=yes gets its wpa_supplicant unit on add, loses it on remove, and keeps it over bond-down", func(t *testing.T) {
		t.Parallel()
		ns := newNS(t)
		mustVeth(t, ns, "veth0", "peer0")
		conf := writeConfig(t, ns, brConf+noDHCP+"veth1SUPPLICANT=yes\n")
		mustRun(t, ns, nil, upBin, "-c", conf)
		mustVeth(t, ns, "veth1", "peer1")

		mustRun(t, ns, udevEnv("add", "veth1"), hotplugBin, "-c", conf)

		assertConverged(t, ns, "veth0", "veth1")
		rec, _ := readUnits(t, ns)
		u, ok := rec.Units["bond-wpa@veth1.service"]
		if !ok {
			t.Fatalf("no bond-wpa@veth1.service after the add event; calls %q", rec.Calls)
		}
		if u.Device != "veth1" || !contains(u.ExecStart, "veth1") {
			t.Errorf("bond-wpa@veth1.service = %+v, want it bound to and running on veth1", u)
		}
		if _, ok := rec.Units["bond-wpa@veth0.service"]; ok {
			t.Errorf("veth0 got a supplicant although it is not wireless and not configured for one")
		}

		mustRun(t, ns, nil, downBin, "-c", conf)
		if rec, _ := readUnits(t, ns); rec.Units["bond-wpa@veth1.service"].Name == "" {
			t.Errorf("bond-down without --supplicants stopped the supplicant; calls %q", rec.Calls)
		}
		mustRun(t, ns, nil, upBin, "-c", conf)

		mustDel(t, ns, "veth1")
		before := dump(t, ns)
		mustRun(t, ns, udevEnv("remove", "veth1"), hotplugBin, "-c", conf)

		rec, _ = readUnits(t, ns)
		if _, ok := rec.Units["bond-wpa@veth1.service"]; ok {
			t.Errorf("bond-wpa@veth1.service still recorded after the remove event; calls %q", rec.Calls)
		}
		assertSameDump(t, "the remove event", before, dump(t, ns))
	})

	t.Run("bond-down --supplicants also stops the slaves' supplicants", func(t *testing.T) {
		t.Parallel()
		ns := newNS(t)
		mustVeth(t, ns, "veth0", "peer0")
		conf := writeConfig(t, ns, brConf+noDHCP+"veth0SUPPLICANT=yes\n")
		mustRun(t, ns, nil, upBin, "-c", conf)
		if rec, _ := readUnits(t, ns); rec.Units["bond-wpa@veth0.service"].Name == "" {
			t.Fatalf("no supplicant on veth0 after bond-up; calls %q", rec.Calls)
		}

		mustRun(t, ns, nil, downBin, "--supplicants", "-c", conf)

		rec, _ := readUnits(t, ns)
		if len(rec.Units) != 0 {
			t.Errorf("units left after bond-down --supplicants: %v", rec.Calls)
		}
	})

	t.Run("a remove event for the master stops its DHCP units", func(t *testing.T) {
		t.Parallel()
		ns := newNS(t)
		mustVeth(t, ns, "veth0", "peer0")
		conf := writeConfig(t, ns, brConf)
		mustRun(t, ns, nil, upBin, "-c", conf)
		mustDel(t, ns, "br0")

		mustRun(t, ns, udevEnv("remove", "br0"), hotplugBin, "-c", conf)

		rec, _ := readUnits(t, ns)
		for _, u := range dhcpUnits {
			if _, ok := rec.Units[u]; ok {
				t.Errorf("%s still recorded after br0 was removed; calls %q", u, rec.Calls)
			}
		}
	})

	t.Run("a missing DHCP client fails the run but does not stop the network steps", func(t *testing.T) {
		t.Parallel()
		ns := newNS(t)
		mustVeth(t, ns, "veth0", "peer0")
		conf := writeConfig(t, ns, brConf)
		// No stubs on PATH: this host has neither dhclient nor dhcp6c.
		env := map[string]string{"PATH": os.Getenv("PATH")}

		stdout, stderr, code := run(t, ns, env, upBin, "-c", conf)

		if code != 1 || !strings.Contains(stderr, "dhclient not found") {
			t.Errorf("exit %d (want 1) and stderr should name the missing dhclient:\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
		}
		if ns.link(t, "br0") == nil {
			t.Fatalf("br0 was not created: a missing DHCP client stopped every network step")
		}
		assertConverged(t, ns, "veth0")
	})
}
