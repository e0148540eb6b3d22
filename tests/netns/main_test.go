// SPDX-License-Identifier: Apache-2.0

// Package netns_test runs the built bond-up, bond-down and bond-hotplug binaries inside
// throw-away network namespaces, exactly as a user or udev runs them, and checks the
// kernel state they leave with real netlink. The host kernel has no bonding driver, so
// the masters here are bridges (a name containing "br"); the VM lab proves bonds.
//
// Needs root (network namespaces); without it, or without veth and bridge support,
// every test skips with the reason.
package netns_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

var (
	// skipReason, when set, makes every test skip (not root, no namespaces, ...).
	skipReason string
	// binDir holds the built binaries; stubDir the fake DHCP clients put first on PATH.
	binDir, stubDir            string
	upBin, downBin, hotplugBin string
)

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	tmp, err := os.MkdirTemp("", "bond-hotplug-netns-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(tmp)
	// Traversable by everyone: some tests run the binaries as an unprivileged user.
	if err := os.Chmod(tmp, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if os.Geteuid() != 0 {
		skipReason = "needs root: creates network namespaces"
		return m.Run()
	}
	removeStaleNamespaces()
	if reason := probeKernel(); reason != "" {
		skipReason = reason
		return m.Run()
	}
	binDir = filepath.Join(tmp, "bin")
	if err := build(binDir, testHooksTag); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	upBin = filepath.Join(binDir, "bond-up")
	downBin = filepath.Join(binDir, "bond-down")
	hotplugBin = filepath.Join(binDir, "bond-hotplug")
	stubDir = filepath.Join(tmp, "stubs")
	if err := writeStubs(stubDir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// testHooksTag compiles in the hooks the tests steer the binaries with: the
// file-backed fake of systemd (BOND_HOTPLUG_UNITS=record:FILE), a per-test lock
// directory (BOND_HOTPLUG_LOCKDIR) and --insecure-config. install.sh builds without it.
const testHooksTag = "bondhotplug_testhooks"

// build compiles the three binaries once with scripts/build, as install.sh does, but
// with the test hooks, or without them (tags "") as installed.
func build(dir string, tags string) error {
	goBin, err := exec.LookPath("go") // go test puts GOROOT/bin first on PATH
	if err != nil {
		return fmt.Errorf("find the go command: %w", err)
	}
	script, err := filepath.Abs("../../scripts/build") // go test runs in the package's directory
	if err != nil {
		return err
	}
	cmd := exec.Command(script)
	cmd.Env = append(os.Environ(), "GO="+goBin, "OUT="+dir, "TAGS="+tags)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("scripts/build TAGS=%s: %w\n%s", tags, err, out)
	}
	return nil
}

// writeStubs provides dhclient, dhcp6c and wpa_supplicant: the units are recorded,
// never run, but the planner wants the programs' absolute paths, and this host has
// none of them installed.
func writeStubs(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, p := range []string{"dhclient", "dhcp6c", "wpa_supplicant"} {
		if err := os.WriteFile(filepath.Join(dir, p), []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
			return err
		}
	}
	return nil
}

// probeKernel checks, in a scratch namespace, what every test needs: `ip netns add`,
// veth and bridge. It returns why the tests cannot run, or "".
func probeKernel() string {
	name := fmt.Sprintf("bhprobe-%d", os.Getpid())
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		return fmt.Sprintf("cannot create a network namespace (`ip netns add`): %v: %s", err, strings.TrimSpace(string(out)))
	}
	defer exec.Command("ip", "netns", "del", name).Run()
	for _, args := range [][]string{
		{"link", "add", "pv0", "type", "veth", "peer", "name", "pv1"},
		{"link", "add", "pbr0", "type", "bridge"},
	} {
		full := append([]string{"-n", name}, args...)
		if out, err := exec.Command("ip", full...).CombinedOutput(); err != nil {
			return fmt.Sprintf("kernel lacks a feature the tests need (ip %s): %v: %s",
				strings.Join(args, " "), err, strings.TrimSpace(string(out)))
		}
	}
	return ""
}

// removeStaleNamespaces deletes the namespaces of earlier runs that were killed before
// their cleanups ran (names carry the test process's pid; live runs are left alone).
func removeStaleNamespaces() {
	names, _ := filepath.Glob("/run/netns/bhtest-*")
	for _, p := range names {
		name := filepath.Base(p)
		var pid, seq int
		if _, err := fmt.Sscanf(name, "bhtest-%d-%d", &pid, &seq); err != nil {
			continue
		}
		if err := unix.Kill(pid, 0); errors.Is(err, unix.ESRCH) {
			exec.Command("ip", "netns", "del", name).Run()
		}
	}
}
