// SPDX-License-Identifier: Apache-2.0

// Package app owns what the three binaries do, from parsed arguments to exit status:
// load and check the configuration, take the master's lock, read state, plan, apply
// or print (bond-up, bond-down, bond-hotplug's udev run, --status). The main packages
// only call in here. The DHCP units' process (bond-hotplug --supervise, --wait-then,
// --release, --wait-active) is a second program: lib/dhcpunit.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/bond-hotplug/bond-hotplug/lib/coexist"
	"github.com/bond-hotplug/bond-hotplug/lib/config"
	"github.com/bond-hotplug/bond-hotplug/lib/dhcpunit"
	"github.com/bond-hotplug/bond-hotplug/lib/dns"
	"github.com/bond-hotplug/bond-hotplug/lib/lock"
	"github.com/bond-hotplug/bond-hotplug/lib/logx"
	"github.com/bond-hotplug/bond-hotplug/lib/netdev"
	"github.com/bond-hotplug/bond-hotplug/lib/record"
	"github.com/bond-hotplug/bond-hotplug/lib/trace"
	"github.com/bond-hotplug/bond-hotplug/lib/udevrule"
	"github.com/bond-hotplug/bond-hotplug/lib/units"
	"github.com/vishvananda/netlink"
)

// Exit codes shared by the three binaries.
const (
	ExitOK      = 0
	ExitFailure = 1 // something failed at run time; a later run completes the job
	ExitUsage   = 2 // bad arguments, environment or configuration; nothing was changed
)

// UsageError marks bad arguments or environment: exit 2, nothing changed.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

func usagef(format string, args ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, args...)}
}

// ExitCode maps an error to the exit status.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var ue *UsageError
	var de *dhcpunit.UsageError
	var ce *config.Error
	var cl config.ErrorList
	if errors.As(err, &ue) || errors.As(err, &de) || errors.As(err, &ce) || errors.As(err, &cl) || errors.Is(err, config.ErrInsecure) {
		return ExitUsage
	}
	return ExitFailure
}

// Env is everything a run touches, injected so tests can point it at a namespace and
// a fake systemd.
type Env struct {
	Out           io.Writer // plans, status (stdout)
	Log           *logx.Logger
	ConfigPath    string
	AllowInsecure bool
	Handle        *netlink.Handle
	// Kernel and Source, when set, replace the netlink writer and reader (tests run
	// the apply path on netdev.Fake without root).
	Kernel  netdev.Kernel
	Source  netdev.Source
	Info    netdev.DeviceInfo
	Sys     string
	LockDir string
	// StateDir holds the records of what runs applied (record.DefaultDir).
	StateDir    string
	LockTimeout time.Duration
	// Since is when this run started (lock.Now()): a full run that took the lock
	// later has seen every change that made this run start.
	Since  int64
	DryRun bool
	// WaitUdev lets a run wait (briefly) for udev; never inside udev's RUN.
	WaitUdev bool
	// UdevRule is the runtime rule bond-up and bond-down keep (udevrule.Path; "": none);
	// UdevLive has udev reload it and re-evaluate the devices it names differently.
	UdevRule    string
	UdevLive    bool
	ruleWork    chan struct{} // the udev reload of the last rule change, and its events to devices that leave
	ruleChanges []*ruleChange // the rule's changes whose devices waitRule still sends events
	// settled names, per master whose bond-up run succeeded, the links udev had
	// finished with when the run read the state (settle).
	settled map[string]map[string]bool
	// reloadUdev and nmHandOver stand in for udevadm and NetworkManager in tests (nil:
	// the real ones).
	reloadUdev func() error
	nmHandOver func(gained, lost []string)
	// Programs are the helpers' paths; FindPrograms fills them on first need, so a
	// device that belongs to no master never pays for the look-ups.
	Programs     units.Programs
	FindPrograms func() units.Programs
	// Units connects to the unit manager; called at most once, and only when a run
	// needs it (a device that belongs to no master never pays for it).
	Units func(ctx context.Context) (units.Manager, error)
	// PrepareDNS runs before a unit whose sandbox hands DNS to resolvconf starts, and
	// reports what it made (dns.PrepareOpenresolv: openresolv's state directory);
	// nil: nothing (tests).
	PrepareDNS func() (made string, err error)

	// UnitFailure reads how a unit's last run failed (--status); nil: the journal
	// (units.LastFailure).
	UnitFailure func(ctx context.Context, unit string) *units.Failure

	mgr    units.Manager
	mgrErr error
	// dialing, while set, is closed when a connection startUnits began is made (or
	// failed): until then mgr and mgrErr belong to that goroutine.
	dialing chan struct{}
	// Coexist reads other network managers' state (nil: the real one, made on need).
	Coexist *coexist.Detector
	warned  map[string]bool // masters whose other managers this run already named
}

// Default is the environment of a real run.
func Default(id string) *Env {
	rule, live := testUdevRule(udevrule.Path)
	return &Env{
		UdevRule:   rule,
		UdevLive:   live,
		Out:        os.Stdout,
		Log:        logx.New(id, os.Stderr),
		ConfigPath: ConfigPath(""),
		LockDir:    testLockDir(lock.DefaultDir),
		StateDir:   testStateDir(record.DefaultDir),
		// Generous: a burst of udev events queues on the lock (most runs coalesce),
		// and a run at boot may wait for a busy systemd; udev gives an event 180 s.
		LockTimeout:  60 * time.Second,
		Since:        lock.Now(),
		Info:         netdev.NewUdev(),
		FindPrograms: units.FindPrograms,
		Units:        UnitsFromEnv,
		PrepareDNS:   prepareOpenresolv,
	}
}

func prepareOpenresolv() (string, error) {
	made, err := dns.PrepareOpenresolv(dns.LookPath, dns.OpenresolvDir)
	if made {
		return dns.OpenresolvDir, err
	}
	return "", err
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// ConfigPath applies the precedence: flag, then $BOND_HOTPLUG_CONFIG, then the default.
func ConfigPath(flag string) string {
	if flag != "" {
		return flag
	}
	return envOr(config.EnvPath, config.DefaultPath)
}

// UnitsFromEnv connects to systemd, or, in binaries built for the tests only, to a
// file-backed fake (units.FileFake) selected with BOND_HOTPLUG_UNITS=record:FILE (see
// hooks_on.go).
func UnitsFromEnv(ctx context.Context) (units.Manager, error) {
	if m, ok := testUnits(ctx); ok {
		return m, nil
	}
	return units.Connect(ctx)
}

// programs resolves the helpers' paths once.
func (e *Env) programs() units.Programs {
	if e.FindPrograms != nil {
		e.Programs = e.FindPrograms()
		e.FindPrograms = nil
	}
	return e.Programs
}

func (e *Env) units(ctx context.Context) (units.Manager, error) {
	if e.dialing != nil {
		<-e.dialing
		e.dialing = nil
	}
	if e.mgr == nil && e.mgrErr == nil {
		e.mgr, e.mgrErr = e.Units(ctx)
	}
	return e.mgr, e.mgrErr
}

// startUnits begins connecting to the unit manager in the background, for a run that
// will need it: the connection (two D-Bus authentications with go-systemd) was the
// longest single step of a hot-plug run in the VM lab, and it waits mostly on
// systemd, so it overlaps the lock, the record and the netlink reads (issue 20).
// units() waits for it.
func (e *Env) startUnits(ctx context.Context) {
	if e.dialing != nil || e.mgr != nil || e.mgrErr != nil {
		return
	}
	done := make(chan struct{})
	e.dialing = done
	go func() {
		defer close(done)
		e.mgr, e.mgrErr = e.Units(ctx)
		trace.Mark("dbus-connected")
	}()
}

// Close releases the connections a run opened.
func (e *Env) Close() {
	// e.Units returns a nil interface with its error (never a typed nil pointer), so
	// this check is enough; Systemd.Close is nil-safe as well. A connection still
	// being made is waited for, so that it is closed too.
	if e.dialing != nil {
		<-e.dialing
		e.dialing = nil
	}
	if e.mgr != nil {
		e.mgr.Close()
	}
	if e.Handle != nil {
		e.Handle.Close()
	}
}

func (e *Env) handle() (*netlink.Handle, error) {
	if e.Handle == nil {
		h, err := netdev.NewHandle()
		if err != nil {
			return nil, err
		}
		e.Handle = h
	}
	return e.Handle, nil
}

// loadConfig loads and checks the whole file; warnings go to the log.
func (e *Env) loadConfig() (*config.Config, error) {
	c, err := config.Load(e.ConfigPath, config.Options{AllowInsecure: e.AllowInsecure})
	if err != nil {
		return nil, err
	}
	trace.Mark("config")
	for _, w := range c.Warnings {
		e.Log.Warn("%s", w)
	}
	return c, nil
}

// selectMasters resolves the MASTER arguments (none: every configured master).
func selectMasters(c *config.Config, args []string) ([]*config.Master, error) {
	if len(args) == 0 {
		names := c.MasterNames()
		if len(names) == 0 {
			return nil, usagef("%s configures no master (no <name>SLAVES or <name>PRIMARY key)", c.Path)
		}
		args = names
	}
	var out []*config.Master
	seen := map[string]bool{}
	for _, a := range args {
		m, ok := c.Master(a)
		if !ok {
			known := c.MasterNames()
			sort.Strings(known)
			return nil, usagef("argument %q: not a master in %s (configured: %s)", a, c.Path, strings.Join(known, ", "))
		}
		if !seen[a] {
			out = append(out, m)
			seen[a] = true
		}
	}
	return out, nil
}

// sysRoot is the sysfs the run reads and writes (Sys; tests give a fake one).
func (e *Env) sysRoot() string {
	if e.Sys == "" {
		return "/sys"
	}
	return e.Sys
}
