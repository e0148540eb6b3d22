// SPDX-License-Identifier: Apache-2.0

package units

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	sd "github.com/coreos/go-systemd/v22/dbus"
	godbus "github.com/godbus/dbus/v5"
)

// State is what systemd says of one unit. A unit systemd does not know has Active "".
type State struct {
	Name   string
	Active string // active, activating, deactivating, inactive, failed, or "" (not loaded)
	Sub    string
	Job    string // type of a pending job ("start", "stop", ...), "" if none
	// Description is the unit's; a supplicant's names its card's index (CardIndex).
	Description string
}

// Running reports whether the unit is up or on its way up. A unit bound to a device
// that udev has not announced yet sits inactive with a queued start job: asking again
// would only merge into that job.
func (s State) Running() bool {
	return s.Active == "active" || s.Active == "activating" || s.Active == "reloading" || s.Job == "start"
}

// Manager starts and stops transient units. The real one talks to systemd; tests use a
// recording fake.
type Manager interface {
	// List returns every loaded unit of ours (bond-*@*.service).
	List(ctx context.Context) ([]State, error)
	// Start queues a start job and returns without waiting for it: from udev's RUN a
	// unit bound to the device would otherwise wait for the device unit, which appears
	// only after the current event ends.
	Start(ctx context.Context, s Spec) error
	// Stop stops a unit; with wait it returns once the stop job finished (DHCP clients
	// must have released their lease before the master goes away).
	Stop(ctx context.Context, name string, wait bool) error
	Close()
}

// ErrUnavailable wraps every failure to reach systemd.
var ErrUnavailable = errors.New("systemd is not reachable")

// Systemd is the Manager backed by systemd's private D-Bus socket (root only, works
// without a running dbus-daemon, so also early at boot), or by the system bus, where
// systemd answers unit-state queries from any user (bond-up --status, -n).
type Systemd struct {
	conn *sd.Conn
	// started holds, per unit, the result of the start job this manager asked for
	// last and nobody waited for yet (Spec.StartAfter).
	mu      sync.Mutex
	started map[string]<-chan string
}

// startedBound bounds the wait for another unit's start (Spec.StartAfter): its job
// may wait for a device systemd has not seen yet, or its result may never come (the
// system bus sends job signals only to subscribers). Then this unit starts anyway.
const startedBound = 2 * time.Second

// waitStarted waits until the start job this manager asked for name has finished
// (whatever its result: that unit's failure is its own), at most startedBound. A
// unit it did not start, or whose result was waited for already, is not waited for.
func (m *Systemd) waitStarted(ctx context.Context, name string) {
	m.mu.Lock()
	ch, ok := m.started[name]
	delete(m.started, name)
	m.mu.Unlock()
	if !ok {
		return
	}
	t := time.NewTimer(startedBound)
	defer t.Stop()
	select {
	case <-ch:
	case <-t.C:
	case <-ctx.Done():
	}
}

// noteStart keeps the channel of a start job's result for waitStarted.
func (m *Systemd) noteStart(name string, ch <-chan string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.started == nil {
		m.started = map[string]<-chan string{}
	}
	m.started[name] = ch
}

// Connect opens the private socket, and when that fails (not root: the socket is
// root's; or no socket at all) the system bus. It returns a nil Manager with the error,
// never a typed nil pointer: a (*Systemd)(nil) inside a Manager is not == nil.
func Connect(ctx context.Context) (Manager, error) {
	c, err := sd.NewSystemdConnectionContext(ctx)
	if err == nil {
		return &Systemd{conn: c}, nil
	}
	c, berr := sd.NewSystemConnectionContext(ctx)
	if berr == nil {
		return &Systemd{conn: c}, nil
	}
	return nil, fmt.Errorf("%w: private socket: %w; system bus: %w", ErrUnavailable, err, berr)
}

// Close is safe on a nil or already closed manager.
func (m *Systemd) Close() {
	if m != nil && m.conn != nil {
		m.conn.Close()
		m.conn = nil
	}
}

func (m *Systemd) List(ctx context.Context) ([]State, error) {
	var pats []string
	for _, r := range Roles {
		pats = append(pats, string(r)+"@*.service")
	}
	list, err := m.conn.ListUnitsByPatternsContext(ctx, nil, pats)
	if err != nil {
		return nil, fmt.Errorf("list units %s: %w", strings.Join(pats, " "), err)
	}
	var out []State
	for _, u := range list {
		out = append(out, State{Name: u.Name, Active: u.ActiveState, Sub: u.SubState, Job: u.JobType, Description: u.Description})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// execCommand is systemd's ExecStart-style D-Bus type a(sasb): path, argv, and
// whether to ignore a failure (the "-" prefix of a unit file; go-systemd calls it
// UncleanIsFailure, the opposite of what it does). It was once true here: every exit
// counted as success, so Restart=on-failure never restarted a crashed DHCP client.
type execCommand struct {
	Path          string
	Args          []string
	IgnoreFailure bool
}

func execProp(name string, cmds [][]string) sd.Property {
	v := make([]execCommand, 0, len(cmds))
	for _, c := range cmds {
		v = append(v, execCommand{Path: c[0], Args: c, IgnoreFailure: false})
	}
	return sd.Property{Name: name, Value: godbus.MakeVariant(v)}
}

func strProp(name, v string) sd.Property {
	return sd.Property{Name: name, Value: godbus.MakeVariant(v)}
}

func usecProp(name string, d time.Duration) sd.Property {
	return sd.Property{Name: name, Value: godbus.MakeVariant(uint64(d / time.Microsecond))}
}

func listProp(name string, v []string) sd.Property {
	return sd.Property{Name: name, Value: godbus.MakeVariant(v)}
}

// Properties turns a Spec into transient-unit properties.
func Properties(s Spec) ([]sd.Property, error) {
	dev := DeviceUnit(s.Device)
	// systemd names a device unit whose escaped path is too long for a unit name
	// by a hash of it; the name's unit is the one we can name then.
	if s.DevicePath != "" {
		if u := PathDeviceUnit(s.DevicePath); len(u) < unitNameMax {
			dev = u
		}
	}
	props := []sd.Property{
		sd.PropDescription(s.Description),
		// Pulling the card stops the unit; After= keeps systemd from starting it before
		// the device unit exists.
		listProp("BindsTo", []string{dev}),
		listProp("After", append([]string{dev}, s.After...)),
		execProp("ExecStart", [][]string{s.ExecStart}),
		// A failed transient unit would otherwise stay loaded and block the next start.
		strProp("CollectMode", "inactive-or-failed"),
	}
	if len(s.Before) > 0 {
		props = append(props, listProp("Before", s.Before))
	}
	if len(s.Wants) > 0 {
		props = append(props, listProp("Wants", s.Wants))
	}
	if len(s.ExecStop) > 0 {
		props = append(props, execProp("ExecStop", s.ExecStop))
	}
	if s.TimeoutStop > 0 {
		props = append(props, sd.Property{Name: "TimeoutStopUSec", Value: godbus.MakeVariant(uint64(s.TimeoutStop / time.Microsecond))})
	}
	if s.Type != "" {
		props = append(props, strProp("Type", s.Type))
	}
	if s.Restart != "" {
		props = append(props, strProp("Restart", s.Restart))
	}
	if s.RestartDelay > 0 {
		props = append(props, usecProp("RestartUSec", s.RestartDelay))
	}
	if s.StartLimitBurst > 0 {
		props = append(props, usecProp("StartLimitIntervalUSec", s.StartLimitInterval),
			sd.Property{Name: "StartLimitBurst", Value: godbus.MakeVariant(s.StartLimitBurst)})
	}
	if s.Sandbox != nil {
		sp, err := sandboxProps(withSupplicantConf(s.Sandbox))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.Name, err)
		}
		props = append(props, sp...)
	}
	return props, nil
}

func (m *Systemd) Start(ctx context.Context, s Spec) error {
	props, err := Properties(s)
	if err != nil {
		return fmt.Errorf("start %s: %w", s.Name, err)
	}
	if s.StartAfter != "" {
		m.waitStarted(ctx, s.StartAfter)
	}
	// The job's result, for a later unit's StartAfter; buffered, as go-systemd sends
	// it once and never blocks on it.
	done := make(chan string, 1)
	for tries := 0; ; tries++ {
		_, err = m.conn.StartTransientUnitContext(ctx, s.Name, "replace", props, done)
		var dbe godbus.Error
		if !errors.As(err, &dbe) || dbe.Name != "org.freedesktop.systemd1.UnitExists" {
			break
		}
		// Still loaded. A unit that is stopped (inactive or failed) but not yet
		// collected would start again with its old properties: after a restart for
		// a changed command line, the old client. Clear it and ask again, so that the
		// new command line takes effect; systemd collects it within milliseconds.
		// One on its way down (a card's supplicant that systemd stops as its device
		// goes) is waited for the same way: started as it is, it would come back
		// bound to the old card's device, which never returns.
		state, serr := m.conn.GetUnitPropertyContext(ctx, s.Name, "ActiveState")
		stopped := serr == nil && (state.Value.Value() == "inactive" || state.Value.Value() == "failed")
		stopping := serr == nil && state.Value.Value() == "deactivating"
		if (stopped || stopping) && tries < collectTries {
			if tries == 0 {
				// Said, so that the lab can tell how often systemd is that late.
				fmt.Fprintf(os.Stderr, "start %s: the old unit is still loaded (%v): waiting for systemd to stop and collect it\n", s.Name, state.Value.Value())
			}
			_ = m.conn.ResetFailedUnitContext(ctx, s.Name)
			select {
			case <-ctx.Done():
				return fmt.Errorf("start %s: %w", s.Name, ctx.Err())
			case <-time.After(collectPoll):
			}
			continue
		}
		if stopped {
			fmt.Fprintf(os.Stderr, "start %s: systemd kept the stopped unit loaded for %v: starting it as it is, with its old command line\n", s.Name, collectTries*collectPoll)
		}
		// Running, or on its way down (a stop we did not wait for): start the unit
		// we already have.
		_, err = m.conn.StartUnitContext(ctx, s.Name, "replace", done)
		break
	}
	if err != nil {
		return fmt.Errorf("start %s: %w", s.Name, err)
	}
	m.noteStart(s.Name, done)
	return nil
}

// unitNameMax is systemd's UNIT_NAME_MAX: a valid unit name is shorter.
const unitNameMax = 256

// How long Start waits for systemd to collect a stopped transient unit.
const (
	collectTries = 40
	collectPoll  = 50 * time.Millisecond
)

func (m *Systemd) Stop(ctx context.Context, name string, wait bool) error {
	var ch chan string
	if wait {
		ch = make(chan string, 1)
	}
	_, err := m.conn.StopUnitContext(ctx, name, "replace", ch)
	var dbe godbus.Error
	if errors.As(err, &dbe) && dbe.Name == "org.freedesktop.systemd1.NoSuchUnit" {
		return nil // already gone
	}
	if err != nil {
		return fmt.Errorf("stop %s: %w", name, err)
	}
	if !wait {
		return nil
	}
	select {
	case res := <-ch:
		if res != "done" {
			return fmt.Errorf("stop %s: job %s", name, res)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("stop %s: %w", name, ctx.Err())
	}
}
