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
// it when the client already died (systemd sets $EXIT_CODE for ExecStop only once the
// main process exited). A crashed client is restarted (Restart=on-failure) and
// reclaims its lease from its lease file with the address still in place; releasing
// it first would drop the address for nothing. If the restarts give up, the lease
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
