// SPDX-License-Identifier: Apache-2.0

package coexist

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, root, path, content string) {
	t.Helper()
	p := filepath.Join(root, path)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// The daemons' runtime state as they write it: systemd-networkd's
// /run/systemd/netif/links/IFINDEX (networkd-link.c's link_save) and NetworkManager's
// /run/NetworkManager/devices/IFINDEX keyfile (nm-config.c's device state). The VM
// lab (scenario 52) reads the real networkd's.
func TestClaimsFromTheDaemonsRuntimeState(t *testing.T) {
	root := t.TempDir()
	write(t, root, "run/systemd/netif/links/2", "# This is private data. Do not parse.\nADMIN_STATE=configured\nOPER_STATE=routable\nNETWORK_FILE=/etc/systemd/network/50-eth0.network\n")
	write(t, root, "run/systemd/netif/links/3", "ADMIN_STATE=unmanaged\nOPER_STATE=off\n")
	write(t, root, "run/NetworkManager/devices/4", "[device]\nmanaged=true\nperm-hw-addr-fake=\nconnection-uuid=1b2f-uuid\n")
	write(t, root, "run/NetworkManager/devices/5", "[device]\nmanaged=false\n")
	running := func(comms ...string) *Detector {
		r := filepath.Join(t.TempDir(), "r")
		for i, c := range comms {
			write(t, r, filepath.Join("proc", string(rune('1'+i)), "comm"), c+"\n")
		}
		// The state files under the same root.
		if err := os.Symlink(filepath.Join(root, "run"), filepath.Join(r, "run")); err != nil {
			t.Fatal(err)
		}
		return &Detector{Root: Root(r)}
	}
	both := running("systemd-network", "NetworkManager", "bash")
	cases := []struct {
		d    *Detector
		name string
		idx  int
		want string
	}{
		{both, "eth0", 2, "systemd-networkd manages eth0 (/etc/systemd/network/50-eth0.network configured)"},
		{both, "eth1", 3, ""},
		{both, "wlan0", 4, "NetworkManager manages wlan0 (connection 1b2f-uuid)"},
		{both, "wlan1", 5, ""},
		{both, "eth9", 9, ""},
		// A daemon that does not run manages nothing, whatever state it left.
		{running("bash"), "eth0", 2, ""},
		{running("bash"), "wlan0", 4, ""},
	}
	for _, c := range cases {
		var got []string
		for _, cl := range c.d.Claims(c.name, c.idx) {
			got = append(got, cl.String())
		}
		if strings.Join(got, "; ") != c.want {
			t.Errorf("Claims(%s, %d) = %q, want %q", c.name, c.idx, got, c.want)
		}
	}
}

// Issue 19: the boot unit (ProtectProc=invisible, no CAP_SYS_PTRACE) sees no other
// user's process in /proc; a daemon whose service cgroup holds a process runs.
func TestADaemonSeenOnlyInItsCgroupRuns(t *testing.T) {
	root := t.TempDir()
	write(t, root, "run/systemd/netif/links/2", "ADMIN_STATE=configured\nNETWORK_FILE=/etc/systemd/network/50-eth0.network\n")
	write(t, root, "proc/1/comm", "bond-up\n")
	write(t, root, "sys/fs/cgroup/system.slice/systemd-networkd.service/cgroup.procs", "431\n")
	write(t, root, "sys/fs/cgroup/system.slice/NetworkManager.service/cgroup.procs", "")
	write(t, root, "run/NetworkManager/devices/4", "[device]\nmanaged=true\n")
	d := &Detector{Root: Root(root)}
	if got := d.Claims("eth0", 2); len(got) != 1 || got[0].Manager != "systemd-networkd" {
		t.Errorf("networkd in its cgroup, invisible in /proc: claims %v, want networkd's", got)
	}
	if got := d.Claims("wlan0", 4); len(got) != 0 {
		t.Errorf("NetworkManager's cgroup is empty (stopped): claims %v, want none", got)
	}
}
