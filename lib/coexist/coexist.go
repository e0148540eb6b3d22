// SPDX-License-Identifier: Apache-2.0

// Package coexist owns what bond-hotplug knows of the other network managers that may
// run beside it, NetworkManager and systemd-networkd: whether one of them manages a
// device we configure, read from their own runtime state (never by starting or asking
// them), so that runs can say so. Two managers of one device fight: NetworkManager
// runs DHCP on a NIC we flush and enslave, or sets it up between our set-down and
// enslave; networkd configures addresses we do not expect.
package coexist

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Root is prefixed to every path read (tests point it at a directory of their own).
type Root string

// Claim is another manager's hold on one device.
type Claim struct {
	Device  string // interface name
	Manager string // "NetworkManager" or "systemd-networkd"
	Detail  string // e.g. the .network file, or NetworkManager's connection
}

func (c Claim) String() string {
	if c.Detail == "" {
		return fmt.Sprintf("%s manages %s", c.Manager, c.Device)
	}
	return fmt.Sprintf("%s manages %s (%s)", c.Manager, c.Device, c.Detail)
}

// running reports whether the daemon name runs: its service's cgroup holds a process,
// or else a process whose comm is name runs (comm is cut to 15 bytes:
// systemd-networkd is "systemd-network"). The cgroup comes first because the boot
// unit runs with ProtectProc=invisible and no CAP_SYS_PTRACE: /proc shows it only its
// own processes, not networkd's (user systemd-network), and the scan alone never
// found it there (issue 19).
func (r Root) running(name string) bool {
	if b, err := os.ReadFile(filepath.Join(string(r), "/sys/fs/cgroup/system.slice", name+".service", "cgroup.procs")); err == nil &&
		strings.TrimSpace(string(b)) != "" {
		return true
	}
	if len(name) > 15 {
		name = name[:15]
	}
	procs, _ := filepath.Glob(string(r) + "/proc/[0-9]*/comm")
	for _, p := range procs {
		if b, err := os.ReadFile(p); err == nil && strings.TrimSpace(string(b)) == name {
			return true
		}
	}
	return false
}

// keyValues reads a file of KEY=VALUE lines (networkd's link state, NetworkManager's
// device state keyfile; section headers and comments are skipped).
func keyValues(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == '[' {
			continue
		}
		if k, v, ok := strings.Cut(line, "="); ok {
			out[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return out, sc.Err()
}

// Detector answers for devices by interface index. Which daemons run is read once.
type Detector struct {
	Root             Root
	nm, networkd     bool
	checkedProcesses bool
}

// daemons reads which of the two daemons run, once. It scans every process's comm,
// which costs a few hundred file reads (dear in a burst of runs on a slow machine), so
// it is asked only after a state file claimed one of our devices.
func (d *Detector) daemons() {
	if !d.checkedProcesses {
		d.nm = d.Root.running("NetworkManager")
		d.networkd = d.Root.running("systemd-networkd")
		d.checkedProcesses = true
	}
}

// Claims returns the other managers that manage device name (interface index
// ifindex), from their runtime state: networkd's /run/systemd/netif/links/IFINDEX
// (ADMIN_STATE other than unmanaged) and NetworkManager's
// /run/NetworkManager/devices/IFINDEX (managed=true). A daemon that does not run
// manages nothing, whatever state it left behind.
func (d *Detector) Claims(name string, ifindex int) []Claim {
	var out []Claim
	idx := strconv.Itoa(ifindex)
	if kv, err := keyValues(string(d.Root) + "/run/systemd/netif/links/" + idx); err == nil {
		if st := kv["ADMIN_STATE"]; st != "" && st != "unmanaged" {
			if d.daemons(); d.networkd {
				out = append(out, Claim{Device: name, Manager: "systemd-networkd", Detail: strings.TrimSpace(kv["NETWORK_FILE"] + " " + st)})
			}
		}
	}
	if kv, err := keyValues(string(d.Root) + "/run/NetworkManager/devices/" + idx); err == nil && kv["managed"] == "true" {
		if d.daemons(); d.nm {
			detail := ""
			if u := kv["connection-uuid"]; u != "" {
				detail = "connection " + u
			}
			out = append(out, Claim{Device: name, Manager: "NetworkManager", Detail: detail})
		}
	}
	return out
}
