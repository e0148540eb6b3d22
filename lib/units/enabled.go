// SPDX-License-Identifier: Apache-2.0

package units

import (
	"context"
	"fmt"

	sd "github.com/coreos/go-systemd/v22/dbus"
)

// UnitFileStates returns systemd's UnitFileState of each named unit ("enabled",
// "enabled-runtime", "disabled", ...; "" when systemd has no file for it): which
// bond-up@ instances the boot starts.
func UnitFileStates(ctx context.Context, names []string) (map[string]string, error) {
	c, err := sd.NewSystemdConnectionContext(ctx)
	if err != nil {
		var berr error
		if c, berr = sd.NewSystemConnectionContext(ctx); berr != nil {
			return nil, fmt.Errorf("%w: private socket: %w; system bus: %w", ErrUnavailable, err, berr)
		}
	}
	defer c.Close()
	out := map[string]string{}
	for _, n := range names {
		p, err := c.GetUnitPropertyContext(ctx, n, "UnitFileState")
		if err != nil {
			return nil, fmt.Errorf("%w: UnitFileState of %s: %w", ErrUnavailable, n, err)
		}
		s, _ := p.Value.Value().(string)
		out[n] = s
	}
	return out, nil
}
