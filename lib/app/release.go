package app

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

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
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("release on %s (%s): %w", master, argv[0], err)
	}
	return nil
}
