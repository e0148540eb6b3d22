// SPDX-License-Identifier: Apache-2.0

package units

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
)

// Failure is how a unit's last run ended when it failed, from this boot's journal:
// systemd's result ("exit-code", "signal", "core-dump", "start-limit-hit", ...) and
// the last line the unit's program logged (what a sandbox that refused something
// makes it say: "Failed to initialize control interface ...").
type Failure struct {
	Result   string
	LastLine string
}

// The journal's message ids of systemd's "Failed with result '...'" (with the field
// UNIT_RESULT) and "Deactivated successfully" (sd-messages.h:
// SD_MESSAGE_UNIT_FAILURE_RESULT, SD_MESSAGE_UNIT_SUCCESS).
const (
	msgUnitFailureResult = "d9b373ed55a64feb8242e02dbe79a49c"
	msgUnitSuccess       = "7ad2d189f7e94e70a38c781354912448"
)

// journalctl is the program LastFailure runs (a variable for tests of the parsing).
var journalctl = "journalctl"

// LastFailure reads this boot's journal for unit: its last end, and when that was a
// failure, the last line its program logged. It returns nil when the unit's last run
// did not fail, never ran, or the journal cannot be read (a user outside the
// journal's groups sees nothing). journalctl runs as argv, the unit name as a match.
func LastFailure(ctx context.Context, unit string) *Failure {
	end, err := journal(ctx, "-o", "json", "UNIT="+unit, "MESSAGE_ID="+msgUnitFailureResult, "MESSAGE_ID="+msgUnitSuccess)
	if err != nil {
		return nil
	}
	f := parseEnd(end)
	if f == nil {
		return nil
	}
	if line, err := journal(ctx, "-o", "cat", "_SYSTEMD_UNIT="+unit); err == nil {
		f.LastLine = strings.TrimSpace(string(line))
	}
	return f
}

// journal runs journalctl for the last entry of this boot that matches.
func journal(ctx context.Context, args ...string) ([]byte, error) {
	argv := append([]string{"-b", "-q", "--no-pager", "-n", "1"}, args...)
	cmd := exec.CommandContext(ctx, journalctl, argv...)
	cmd.Env = append(os.Environ(), "LC_ALL=C", "SYSTEMD_COLORS=0")
	return cmd.Output()
}

// parseEnd reads journalctl's JSON entry of a unit's end: a Failure for "Failed with
// result", nil for a success or no entry.
func parseEnd(entry []byte) *Failure {
	entry = bytes.TrimSpace(entry)
	if len(entry) == 0 {
		return nil
	}
	var e map[string]any
	if err := json.Unmarshal(entry, &e); err != nil {
		return nil
	}
	if id, _ := e["MESSAGE_ID"].(string); id != msgUnitFailureResult {
		return nil
	}
	r, _ := e["UNIT_RESULT"].(string)
	if r == "" {
		r = "failed"
	}
	return &Failure{Result: r}
}
