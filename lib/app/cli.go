// SPDX-License-Identifier: Apache-2.0

package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/bond-hotplug/bond-hotplug/lib/dhcpunit"
	"github.com/bond-hotplug/bond-hotplug/lib/trace"
	"github.com/bond-hotplug/bond-hotplug/lib/version"
	"golang.org/x/sys/unix"
)

// common holds the flags every binary takes.
type common struct {
	config   string
	dryRun   bool
	insecure bool
	version  bool
}

func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.config, "c", "", "")
	fs.StringVar(&c.config, "config", "", "")
	fs.BoolVar(&c.dryRun, "n", false, "")
	fs.BoolVar(&c.dryRun, "dry-run", false, "")
	registerTestFlags(fs, &c.insecure)
	fs.BoolVar(&c.version, "version", false, "")
}

// printVersion handles --version: what the build recorded about itself, on stdout.
func (c *common) printVersion(name string) bool {
	if c.version {
		fmt.Fprint(os.Stdout, version.Get().Text(name))
	}
	return c.version
}

// parse accepts flags before and after positional arguments (bond-up bond0 -n); all
// after a standalone "--" is positional, verbatim (the --supervise command).
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var rest []string
	for i, a := range args {
		if a == "--" {
			args, rest = args[:i], args[i+1:]
			break
		}
	}
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return append(pos, rest...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func newFlagSet(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	// The flag package calls Usage for -h/--help and after printing a bad flag's
	// error: help asked for goes to stdout (exit 0), help after an error to stderr.
	out := &wroteWriter{w: stderr}
	fs.SetOutput(out)
	fs.Usage = func() {
		if out.wrote {
			fmt.Fprint(stderr, usage)
		} else {
			fmt.Fprint(os.Stdout, usage)
		}
	}
	return fs
}

// wroteWriter remembers whether anything was written through it.
type wroteWriter struct {
	w     io.Writer
	wrote bool
}

func (w *wroteWriter) Write(p []byte) (int, error) {
	w.wrote = true
	return w.w.Write(p)
}

// verb is one binary, as CNI's skel.PluginMainFuncs is a plugin's verbs: its name and
// help, its own flags, a check of their combination, and the run. main does what
// every binary does around it: the common flags, --version, the environment, the
// signals, the exit status.
type verb struct {
	name, usage string
	flags       func(fs *flag.FlagSet)
	// check says what is wrong with the flags' combination ("": nothing).
	check func() string
	run   func(ctx context.Context, e *Env, pos []string) error
}

func (v verb) main(args []string, stderr io.Writer) int {
	trace.Mark("main")
	var c common
	fs := newFlagSet(v.name, v.usage, stderr)
	c.register(fs)
	if v.flags != nil {
		v.flags(fs)
	}
	pos, err := parse(fs, args)
	if err != nil {
		return flagError(stderr, err)
	}
	if c.printVersion(v.name) {
		return ExitOK
	}
	if v.check != nil {
		if msg := v.check(); msg != "" {
			fmt.Fprintf(stderr, "%s: %s\n", v.name, msg)
			return flagError(stderr, nil)
		}
	}
	e, err := c.env(v.name)
	if err != nil {
		return finish(e, stderr, err)
	}
	defer e.Close()
	ctx, cancel := signalContext()
	defer cancel()
	err = v.run(ctx, e, pos)
	if l := trace.Line(); l != "" {
		e.Log.JournalOnly("trace: %s", l)
	}
	if errors.Is(err, errNotConverged) {
		return ExitFailure // --status: the status printed says why
	}
	return finish(e, stderr, err)
}

func (c *common) env(id string) (*Env, error) {
	e := Default(id)
	e.ConfigPath = ConfigPath(c.config)
	e.DryRun = c.dryRun
	e.AllowInsecure = c.insecure
	if v := os.Getenv("BOND_HOTPLUG_LOCK_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return e, usagef("BOND_HOTPLUG_LOCK_TIMEOUT=%q: not a positive duration such as 30s", v)
		}
		e.LockTimeout = d
	}
	return e, nil
}

// signalContext ends the context on SIGINT, SIGTERM (systemd stopping a unit) and
// SIGHUP (the terminal of a run by hand went away). Each is a request to stop: a run
// stops before its next step and says what it did not apply; the DHCP supervisor
// stops its client and exits, instead of dying and leaving the client to PID 1.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, unix.SIGTERM, unix.SIGHUP)
}

// finish logs the error and returns the exit status.
func finish(e *Env, stderr io.Writer, err error) int {
	code := ExitCode(err)
	if err != nil {
		msg := err.Error()
		if e != nil && e.Log != nil {
			e.Log.Error("%s", strings.ReplaceAll(msg, "\n", "; "))
		}
		if e == nil || e.Log == nil || e.Log.Out == nil {
			fmt.Fprintf(stderr, "%s\n", msg)
		}
		if code == ExitUsage && e != nil && !e.DryRun {
			fmt.Fprintln(stderr, "nothing was changed")
		}
	}
	return code
}

func flagError(stderr io.Writer, err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	fmt.Fprintln(stderr, "nothing was changed")
	return ExitUsage
}

const commonHelp = `
Options:
  -c, --config FILE    configuration file (default $BOND_HOTPLUG_CONFIG or
                       /etc/conf.d/network.conf)
  -n, --dry-run        print the plan and change nothing ("nothing to do" when
                       converged)
  -h, --help           this text
      --version        print the version, the VCS revision (and whether the
                       tree was dirty) and the Go version it was built with

Exit status: 0 done or nothing to do, 1 a run-time failure (a later run
completes the job), 2 bad arguments or configuration (nothing was changed).
Logs go to the journal: journalctl -t bond-up -t bond-down -t bond-hotplug
`

const upUsage = `Usage: bond-up [OPTIONS] [MASTER...]
       bond-up --status [--json] [MASTER...]

Create or repair each MASTER (default: every master in the configuration) and
everything on it: the bond (or bridge, when its name contains "br") with its
options, every configured slave that is present, wpa_supplicant on slaves that
need it, static addresses and routes, and the DHCPv4/DHCPv6 clients (which
start once the master has an active slave). What an earlier run applied and
the file no longer asks for (a slave, an address, a route, a primary, a unit)
is undone; a unit whose command line changed is restarted; what no run of ours
applied is never touched. Running it again changes nothing. Boot runs it
through bond-up@MASTER.service; after editing the file, "systemctl reload
bond-up@MASTER" runs it again. From then on hot-plug events maintain the
master, until bond-down.

  --status             show each master: kind, options, slaves and their
                       links, the active slave, addresses, units, and whether
                       anything is pending; exit 0 when every master is
                       converged with an active slave, 1 when one is
                       degraded, absent, has work pending or cannot be read,
                       2 on bad arguments or configuration
  --json               with --status: one JSON document (schema in the
                       README, /usr/share/doc/bond-hotplug)
  --wait-online        wait until each MASTER (default: those whose
                       bond-up@MASTER.service is enabled, or that are up) has
                       an active slave and an address (global scope, past
                       DAD); exit 1 after --timeout (the main process of
                       bond-wait-online.service, before network-online.target)
  --timeout DURATION   with --wait-online (default 120s)
` + commonHelp

// MainUp is bond-up.
func MainUp(args []string, stderr io.Writer) int {
	var status, asJSON, waitOnline bool
	var timeout time.Duration
	return verb{name: "bond-up", usage: upUsage,
		flags: func(fs *flag.FlagSet) {
			fs.BoolVar(&status, "status", false, "")
			fs.BoolVar(&asJSON, "json", false, "")
			fs.BoolVar(&waitOnline, "wait-online", false, "")
			fs.DurationVar(&timeout, "timeout", DefaultOnlineTimeout, "")
		},
		check: func() string {
			if waitOnline && (status || timeout <= 0) {
				return "--wait-online takes a positive --timeout and no --status"
			}
			return onOff(asJSON && !status, "--json goes with --status", "")
		},
		run: func(ctx context.Context, e *Env, pos []string) error {
			if waitOnline {
				if e.DryRun {
					return usagef("--wait-online changes nothing: no -n")
				}
				return e.WaitOnline(ctx, pos, timeout)
			}
			e.WaitUdev = true
			if status {
				return e.Status(ctx, pos, asJSON)
			}
			return e.Up(ctx, pos)
		},
	}.main(args, stderr)
}

const downUsage = `Usage: bond-down [OPTIONS] [MASTER...]

Tear each MASTER down (default: every master in the configuration, and every
master an earlier run set up that the file no longer names, such as a renamed
one), in this order: the DHCP clients release their leases and stop, static
routes then addresses are removed, the slaves are released (and left up), the
master is deleted. wpa_supplicant keeps running on the slaves unless
--supplicants is given. A master the file no longer names loses only what runs
of ours applied, and is deleted only if one of them created it. Hot-plug
events leave a master that is down alone.

      --supplicants    also stop wpa_supplicant on the master's slaves
` + commonHelp

// MainDown is bond-down.
func MainDown(args []string, stderr io.Writer) int {
	var supp bool
	return verb{name: "bond-down", usage: downUsage,
		flags: func(fs *flag.FlagSet) { fs.BoolVar(&supp, "supplicants", false, "") },
		run: func(ctx context.Context, e *Env, pos []string) error {
			return e.Down(ctx, pos, supp)
		},
	}.main(args, stderr)
}

const hotplugUsage = `Usage: bond-hotplug [OPTIONS] [ACTION [--] INTERFACE]
       bond-hotplug --wait-active MASTER

Run by udev (90-bond-hotplug.rules) when a slave of a master that is up is
added, removed or renamed; ACTION and INTERFACE default to udev's $ACTION and
$INTERFACE. udev runs it for no other device: bond-up and bond-down keep the
rule that names the devices of the masters that are up
(/run/udev/rules.d/89-bond-hotplug-up.rules). A device that belongs to no
configured master is ignored at once, and so is every event of a master that
is not up (bond-up has not run since boot, or bond-down ran:
bond-up@MASTER.service stopped stays stopped). On add, the master is created
if needed and converged (the device enslaved, wpa_supplicant started when it
needs one); on remove, the device's units are stopped and nothing else is
touched. It never waits for carrier, association or unit start-up, so udev is
never held up.

  --rfkill RFKILL       the radio of rfkill device RFKILL (rfkill0) was
                        unblocked (airplane mode off): converge the master of
                        each of its interfaces that is a slave of ours, which
                        sets it up again (run by udev for the unblock of a
                        wlan radio, only while a master is up)
  --wait-active MASTER  block until MASTER has an active slave with carrier
  --supervise MASTER -- COMMAND...
                        wait as --wait-active and until MASTER's MAC has
                        settled (with fail_over_mac=active: the active
                        slave's), then run a DHCPv4 client and restart it if
                        MASTER's MAC changes before it holds a lease (the
                        main process of bond-dhcp4@MASTER.service)
  --wait-then MASTER -- COMMAND...
                        wait as --wait-active and until MASTER has an IPv6
                        link-local address a client can send from (past
                        duplicate address detection, or optimistic), then
                        run COMMAND (bond-dhcp6@MASTER)
  --release MASTER -- COMMAND...
                        run the DHCP client's release COMMAND, unless the
                        unit's client already died (the ExecStop of the DHCP
                        units: a crashed client is restarted and keeps its
                        lease); a dhcpcd COMMAND is run once more if it has
                        not finished after 2 s
  --dns-update MASTER   hand the DNS servers and search domains of a DHCP
                        lease to systemd-resolved, resolvconf or
                        /etc/resolv.conf, merged with MASTER's other lease
                        (run by the DHCP client's script, which passes the
                        lease in its environment: dhclient's enter hook
                        zz-bond-hotplug)
` + commonHelp

// dhcpUnit is the environment of the DHCP units' process (lib/dhcpunit).
func (e *Env) dhcpUnit() *dhcpunit.Env {
	return &dhcpunit.Env{Log: e.Log, Sys: e.Sys, LinkRcvBuf: testLinkRcvBuf(0)}
}

// MainHotplug is bond-hotplug.
func MainHotplug(args []string, stderr io.Writer) int {
	var wait, supervise, waitThen, release, rfkill, dnsUpdate string
	return verb{name: "bond-hotplug", usage: hotplugUsage,
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&wait, "wait-active", "", "")
			fs.StringVar(&supervise, "supervise", "", "")
			fs.StringVar(&waitThen, "wait-then", "", "")
			fs.StringVar(&release, "release", "", "")
			fs.StringVar(&rfkill, "rfkill", "", "")
			fs.StringVar(&dnsUpdate, "dns-update", "", "")
		},
		run: func(ctx context.Context, e *Env, pos []string) error {
			if rfkill != "" {
				if len(pos) > 0 {
					return usagef("--rfkill takes no other arguments (got %q)", pos)
				}
				return e.RFKill(ctx, rfkill)
			}
			d := e.dhcpUnit()
			defer d.Close()
			switch {
			case supervise != "":
				return d.Supervise(ctx, supervise, pos, true)
			case waitThen != "":
				return d.Supervise(ctx, waitThen, pos, false)
			case release != "":
				return d.Release(ctx, release, pos)
			case dnsUpdate != "":
				if len(pos) > 0 {
					return usagef("--dns-update takes no other arguments (got %q)", pos)
				}
				return d.DNSUpdate(dnsUpdate)
			case wait != "":
				if len(pos) > 0 {
					return usagef("--wait-active takes no other arguments (got %q)", pos)
				}
				return d.WaitActive(ctx, wait)
			}
			action, ifname := os.Getenv("ACTION"), os.Getenv("INTERFACE")
			switch len(pos) {
			case 0:
			case 2:
				action, ifname = pos[0], pos[1]
			default:
				return usagef("expected ACTION and INTERFACE, got %d argument(s): %q", len(pos), pos)
			}
			return e.Hotplug(ctx, action, ifname)
		},
	}.main(args, stderr)
}
