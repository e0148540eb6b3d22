// SPDX-License-Identifier: Apache-2.0

//go:build bondhotplug_testhooks

package app

import (
	"context"
	"flag"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/bond-hotplug/bond-hotplug/lib/units"
)

// This file is compiled only with -tags bondhotplug_testhooks, which the namespace
// tests and the cost benchmark use to build their binaries; install.sh, the Makefile
// and the lab build without it, so an installed root binary has none of these hooks.

// testUnits returns the file-backed fake of systemd selected with
// BOND_HOTPLUG_UNITS=record:FILE: the built binaries share it across processes where
// no systemd runs.
func testUnits(context.Context) (units.Manager, bool) {
	if v, ok := strings.CutPrefix(os.Getenv("BOND_HOTPLUG_UNITS"), "record:"); ok {
		return units.FileFake{Path: v}, true
	}
	return nil, false
}

// testLockDir lets each test use its own lock directory (BOND_HOTPLUG_LOCKDIR).
func testLockDir(def string) string { return envOr("BOND_HOTPLUG_LOCKDIR", def) }

// registerTestFlags adds --insecure-config: tests write config files as whoever runs
// them.
func registerTestFlags(fs *flag.FlagSet, insecure *bool) {
	fs.BoolVar(insecure, "insecure-config", false, "")
}

// testLinkRcvBuf shrinks the link subscription's receive buffer
// (BOND_HOTPLUG_NETLINK_RCVBUF=BYTES), so that a test's burst of link events surely
// overflows it.
func testLinkRcvBuf(def int) int {
	if n, err := strconv.Atoi(os.Getenv("BOND_HOTPLUG_NETLINK_RCVBUF")); err == nil && n > 0 {
		return n
	}
	return def
}

// testStateDir lets each test keep its own records (BOND_HOTPLUG_STATEDIR).
func testStateDir(def string) string { return envOr("BOND_HOTPLUG_STATEDIR", def) }

// steps counts the steps this process applied, for testStep.
var steps int

// testStep runs right after the Nth applied step has been recorded. With
// BOND_HOTPLUG_KILL_AFTER=N it kills the process (SIGKILL: no deferred code runs, as
// with kill -9 or the OOM killer): the tests prove a run can die at any step without
// orphaning what it made. With BOND_HOTPLUG_TERM_AFTER=N it sends itself SIGTERM and
// waits until the signal has ended ctx, as systemd stopping the unit mid-run would.
func testStep(ctx context.Context) {
	steps++
	if n, err := strconv.Atoi(os.Getenv("BOND_HOTPLUG_KILL_AFTER")); err == nil && n == steps {
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {}
	}
	if n, err := strconv.Atoi(os.Getenv("BOND_HOTPLUG_TERM_AFTER")); err == nil && n == steps {
		_ = syscall.Kill(os.Getpid(), syscall.SIGTERM)
		<-ctx.Done()
	}
}

// testUdevRule: the tests' binaries keep the runtime udev rule only where
// BOND_HOTPLUG_UDEV_RULE says, and never reload udev nor send uevents (the host's).
func testUdevRule(string) (string, bool) { return os.Getenv("BOND_HOTPLUG_UDEV_RULE"), false }
