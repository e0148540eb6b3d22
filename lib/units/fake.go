// SPDX-License-Identifier: Apache-2.0

package units

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Fake is a Manager that keeps units in memory and records every call, for tests of
// the logic above systemd (the VM lab proves the real Systemd manager). It can also
// persist to a file so that separate processes (the built binaries under test) share it.
type Fake struct {
	mu    sync.Mutex
	Units map[string]Spec
	Calls []string
	// FailStart makes Start fail, to test "systemd unreachable" paths.
	FailStart error
}

// NewFake returns an empty Fake.
func NewFake() *Fake { return &Fake{Units: map[string]Spec{}} }

func (r *Fake) List(_ context.Context) ([]State, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []State
	for n, s := range r.Units {
		out = append(out, State{Name: n, Active: "active", Sub: "running", Description: s.Description})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (r *Fake) Start(_ context.Context, s Spec) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Calls = append(r.Calls, "start "+s.String())
	if r.FailStart != nil {
		return fmt.Errorf("start %s: %w", s.Name, r.FailStart)
	}
	r.Units[s.Name] = s
	return nil
}

func (r *Fake) Stop(_ context.Context, name string, wait bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	w := ""
	if wait {
		w = " (wait)"
	}
	r.Calls = append(r.Calls, "stop "+name+w)
	delete(r.Units, name)
	return nil
}

func (r *Fake) Close() {}

// Transcript is every call so far, one per line.
func (r *Fake) Transcript() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.Calls, "\n")
}
