// SPDX-License-Identifier: Apache-2.0

package dhcpunit

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/bond-hotplug/bond-hotplug/lib/config"
)

// Release is the ExecStop of the DHCP units: it runs the client's release command
// (dhclient -r, dhcpcd -k) when the unit is stopped while its client runs, and skips
// it when the main process already exited (systemd sets $EXIT_CODE for ExecStop only
// then). systemd runs no ExecStop after a main process that failed (a crashed client:
// the supervisor exits 1) and restarts the unit (Restart=on-failure); it does run
// ExecStop after one that exited 0 (a client that ended by itself). Either way a
// client that is gone is not asked to release: its lease file lets the next client
// reclaim the lease with the address still in place, and if none comes the lease
// expires at the server.
func (e *Env) Release(ctx context.Context, master string, argv []string) error {
	if err := config.CheckName(master); err != nil {
		return usagef("releasing %q: %v", master, err)
	}
	if len(argv) == 0 || !filepath.IsAbs(argv[0]) {
		return usagef("releasing %s needs an absolute command after --", master)
	}
	if code := os.Getenv("EXIT_CODE"); code != "" {
		e.Log.Info("%s: the DHCP client already exited (%s %s): lease kept for the restart to reclaim",
			master, code, os.Getenv("EXIT_STATUS"))
		return nil
	}
	// The supervisor (the unit's main process) must not take the release's deletion
	// of the lease address for a lost lease and start the client again.
	if pid, err := strconv.Atoi(os.Getenv("MAINPID")); err == nil && pid > 1 {
		_ = syscall.Kill(pid, syscall.SIGUSR1)
	}
	// Only dhcpcd's release is asked again: dhclient -r sleeps 1 s by design and runs
	// its script, so a slow but working release must not be cut short and doubled.
	attempts := 1
	if filepath.Base(argv[0]) == "dhcpcd" {
		attempts = releaseAttempts
	}
	for attempt := 1; ; attempt++ {
		cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("release on %s (%s): %w", master, argv[0], err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		var err error
		if attempt < attempts {
			select {
			case err = <-done:
			case <-time.After(releaseAgainAfter):
				// dhcpcd 9.4.1 sometimes never passes `dhcpcd -k`'s SIGALRM on to the
				// process that releases (docs/BENCHMARKS.md, measure 10), and -k then
				// waits for an exit that never comes; a second request is the only
				// release left before systemd's stop time-out ends the client silently.
				_ = cmd.Process.Kill()
				if werr := <-done; werr == nil {
					return nil // it finished just as the time ran out
				}
				e.Log.Info("%s: %s did not finish the release in %.0f s: asking again", master, filepath.Base(argv[0]), releaseAgainAfter.Seconds())
				continue
			}
		} else {
			err = <-done
		}
		if err != nil {
			return fmt.Errorf("release on %s (%s): %w", master, argv[0], err)
		}
		if attempt > 1 {
			e.Log.Info("%s: released on request %d", master, attempt)
		}
		return nil
	}
}

// releaseAttempts and releaseAgainAfter fit two dhcpcd requests into the DHCP units'
// 5 s stop time-out: dhcpcd's release normally ends within a second (its exit
// included).
const (
	releaseAttempts   = 2
	releaseAgainAfter = 2 * time.Second
)
